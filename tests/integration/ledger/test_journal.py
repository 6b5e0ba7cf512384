"""Posting, reversing, periods and balances through the ledger's own code."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.engine import Engine

from ledger import AccountKind, EntryRequest, LedgerService, PostingLine, ReversalRequest, errors
from tests.integration.ledger import rawsql

DAY = date(2026, 11, 24)


@pytest.fixture
def ledger(ledger_service: LedgerService) -> LedgerService:
    ledger_service.open_account("CARD", "Card clearing", AccountKind.ASSET)
    ledger_service.open_account("CTAX", "Council tax", AccountKind.INCOME)
    ledger_service.open_account("VAT", "VAT output", AccountKind.LIABILITY)
    return ledger_service


def payment(
    amount_pence: int = 1000, *, key: str | None = None, day: date = DAY, reference: str = "A1"
) -> EntryRequest:
    return EntryRequest(
        day,
        "card payment",
        (PostingLine("CARD", amount_pence), PostingLine("CTAX", -amount_pence, reference)),
        idempotency_key=key,
    )


def test_a_posted_entry_is_returned_with_its_postings(ledger: LedgerService) -> None:
    entry = ledger.post(payment(1234))
    assert entry.id > 0
    assert [(p.account_code, p.amount_pence, p.sub_account_key) for p in entry.postings] == [
        ("CARD", 1234, None),
        ("CTAX", -1234, "A1"),
    ]
    assert entry.posted_at.tzinfo is not None
    assert ledger.get_entry(entry.id) == entry


def test_a_three_leg_entry_splits_vat(ledger: LedgerService) -> None:
    ledger.post(
        EntryRequest(
            DAY,
            "fee with VAT",
            (
                PostingLine("CARD", 1200),
                PostingLine("CTAX", -1000),
                PostingLine("VAT", -200),
            ),
        )
    )
    assert (ledger.balance("CARD"), ledger.balance("CTAX"), ledger.balance("VAT")) == (
        1200,
        -1000,
        -200,
    )


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ((PostingLine("CARD", 100), PostingLine("CTAX", -99)), "lines"),
        ((PostingLine("CARD", 100),), "lines"),
        ((PostingLine("CARD", 0), PostingLine("CTAX", 0)), "lines[0].amount_pence"),
        ((PostingLine("NOPE", 100), PostingLine("CTAX", -100)), "lines[0].account_code"),
        ((PostingLine("CARD", 10**13), PostingLine("CTAX", -(10**13))), "lines[0].amount_pence"),
    ],
)
def test_a_malformed_entry_is_refused_naming_the_field_and_writing_nothing(
    ledger: LedgerService, engine: Engine, lines: tuple[PostingLine, ...], field: str
) -> None:
    before = rawsql.table_snapshot(engine)
    with pytest.raises(errors.LedgerError) as refused:
        ledger.post(EntryRequest(DAY, "bad", lines))
    assert refused.value.field == field
    assert refused.value.message
    assert rawsql.table_snapshot(engine) == before


def test_a_posting_to_an_inactive_account_is_refused(ledger: LedgerService) -> None:
    ledger.set_account_active("CTAX", False)
    with pytest.raises(errors.AccountInactive):
        ledger.post(payment())


def test_replaying_an_idempotency_key_returns_the_original_and_writes_nothing(
    ledger: LedgerService, engine: Engine
) -> None:
    first = ledger.post(payment(500, key="pay-1"))
    before = rawsql.table_snapshot(engine)
    again = ledger.post(payment(500, key="pay-1"))
    assert again.id == first.id and again.replayed and not first.replayed
    assert rawsql.table_snapshot(engine) == before
    assert ledger.balance("CARD") == 500


def test_reusing_an_idempotency_key_for_a_different_request_is_refused(
    ledger: LedgerService, engine: Engine
) -> None:
    ledger.post(payment(500, key="pay-1"))
    before = rawsql.table_snapshot(engine)
    with pytest.raises(errors.IdempotencyKeyReused) as refused:
        ledger.post(payment(501, key="pay-1"))
    assert refused.value.field == "idempotency_key"
    assert rawsql.table_snapshot(engine) == before


def test_a_reversal_nets_the_original_to_zero_leg_by_leg(ledger: LedgerService) -> None:
    original = ledger.post(payment(700, reference="REF9"))
    reversal = ledger.reverse(ReversalRequest(original.id, date(2026, 11, 25), "refund"))
    assert reversal.reverses_entry_id == original.id
    assert ledger.balance("CARD") == 0
    assert ledger.sub_account_balance("CTAX", "REF9") == 0
    assert ledger.balance("CARD", as_at=DAY) == 700


def test_an_entry_is_reversed_once(ledger: LedgerService, engine: Engine) -> None:
    original = ledger.post(payment())
    ledger.reverse(ReversalRequest(original.id, DAY, "refund"))
    before = rawsql.table_snapshot(engine)
    with pytest.raises(errors.AlreadyReversed):
        ledger.reverse(ReversalRequest(original.id, DAY, "refund again"))
    assert rawsql.table_snapshot(engine) == before


def test_a_replayed_reversal_returns_the_first_reversal(ledger: LedgerService) -> None:
    original = ledger.post(payment())
    request = ReversalRequest(original.id, DAY, "refund", idempotency_key="rev-1")
    first = ledger.reverse(request)
    again = ledger.reverse(request)
    assert again.id == first.id and again.replayed


def test_reversing_a_missing_entry_names_it(ledger: LedgerService) -> None:
    with pytest.raises(errors.EntryNotFound, match="9999"):
        ledger.reverse(ReversalRequest(9999, DAY, "refund"))


def test_closing_a_period_refuses_entries_dated_in_it_but_not_after(
    ledger: LedgerService, engine: Engine
) -> None:
    ledger.define_period("2026-10", date(2026, 10, 1), date(2026, 10, 31))
    ledger.post(payment(day=date(2026, 10, 15)))
    ledger.close_period("2026-10")
    before = rawsql.table_snapshot(engine)
    with pytest.raises(errors.PeriodClosed) as refused:
        ledger.post(payment(day=date(2026, 10, 31)))
    assert refused.value.field == "effective_date"
    assert rawsql.table_snapshot(engine) == before
    ledger.post(payment(day=date(2026, 11, 1)))


def test_a_reversal_dated_in_a_closed_period_is_refused(ledger: LedgerService) -> None:
    ledger.define_period("2026-10", date(2026, 10, 1), date(2026, 10, 31))
    original = ledger.post(payment(day=date(2026, 10, 15)))
    ledger.close_period("2026-10")
    with pytest.raises(errors.PeriodClosed):
        ledger.reverse(ReversalRequest(original.id, date(2026, 10, 20), "refund"))
    ledger.reverse(ReversalRequest(original.id, date(2026, 11, 2), "refund"))


def test_overlapping_or_inverted_periods_are_refused(ledger: LedgerService) -> None:
    ledger.define_period("2026-10", date(2026, 10, 1), date(2026, 10, 31))
    with pytest.raises(errors.InvalidPeriod, match="overlaps"):
        ledger.define_period("odd", date(2026, 10, 30), date(2026, 11, 5))
    with pytest.raises(errors.InvalidPeriod, match="Swap"):
        ledger.define_period("back", date(2026, 12, 31), date(2026, 12, 1))
    with pytest.raises(errors.PeriodNotFound):
        ledger.close_period("never")


def test_balances_as_at_a_date_count_only_entries_effective_by_then(ledger: LedgerService) -> None:
    ledger.post(payment(100, day=date(2026, 1, 1)))
    ledger.post(payment(200, day=date(2026, 6, 1)))
    ledger.post(payment(400, day=date(2026, 12, 31)))
    for sealed in (False, True):
        if sealed:
            ledger.seal_all()
        assert ledger.balance("CARD", as_at=date(2025, 12, 31)) == 0
        assert ledger.balance("CARD", as_at=date(2026, 1, 1)) == 100
        assert ledger.balance("CARD", as_at=date(2026, 6, 30)) == 300
        assert ledger.balance("CARD") == 700
        assert ledger.trial_balance(as_at=date(2026, 6, 30)).total_pence == 0


def test_balances_are_the_same_before_and_after_sealing(ledger: LedgerService) -> None:
    for i in range(1, 8):
        ledger.post(payment(i * 10, day=date(2026, 11, i)))
    before = ledger.trial_balance()
    ledger.seal(batch_size=3)  # partly sealed: checkpoints plus the queue
    assert ledger.trial_balance() == before
    ledger.seal_all()
    assert ledger.trial_balance() == before


def test_sub_account_balances_total_per_reference(ledger: LedgerService) -> None:
    ledger.post(payment(100, reference="A"))
    ledger.post(payment(250, reference="B"))
    ledger.post(payment(50, reference="A", day=date(2026, 12, 1)))
    assert ledger.sub_account_balance("CTAX", "A") == -150
    assert ledger.sub_account_balance("CTAX", "A", as_at=DAY) == -100
    assert ledger.sub_account_balance("CTAX", "Z") == 0


def test_the_trial_balance_lists_every_account_and_sums_to_zero(ledger: LedgerService) -> None:
    ledger.post(payment(100))
    trial = ledger.trial_balance()
    assert [line.account_code for line in trial.lines] == ["CARD", "CTAX", "VAT"]
    assert trial.total_pence == 0
    assert sum(line.balance_pence for line in trial.lines) == 0


def test_the_balance_of_an_unknown_account_names_the_code(ledger: LedgerService) -> None:
    with pytest.raises(errors.AccountNotFound, match="NOPE"):
        ledger.balance("NOPE")


def test_opening_an_account_twice_is_refused(ledger: LedgerService) -> None:
    with pytest.raises(errors.DuplicateAccount):
        ledger.open_account("CARD", "Again", AccountKind.ASSET)
