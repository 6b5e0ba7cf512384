from datetime import date

from ledger import AccountKind, EntryRequest, LedgerService, PostingLine


def test_a_balanced_entry_moves_both_balances(ledger_service: LedgerService) -> None:
    ledger_service.open_account("CARD", "Card clearing", AccountKind.ASSET)
    ledger_service.open_account("CTAX", "Council tax", AccountKind.INCOME)
    ledger_service.post(
        EntryRequest(
            date(2026, 11, 24),
            "card payment",
            (PostingLine("CARD", 1250), PostingLine("CTAX", -1250, "5012345678")),
        )
    )
    assert ledger_service.balance("CARD") == 1250
    assert ledger_service.balance("CTAX") == -1250
