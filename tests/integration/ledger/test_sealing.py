"""The hash chain: sealing in order, verifying, and catching tampering."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from ledger import AccountKind, EntryRequest, LedgerService, PostingLine, ReversalRequest
from tests.integration.ledger import rawsql


@pytest.fixture
def ledger(ledger_service: LedgerService) -> LedgerService:
    ledger_service.open_account("CARD", "Card clearing", AccountKind.ASSET)
    ledger_service.open_account("CTAX", "Council tax", AccountKind.INCOME)
    for i in range(1, 6):
        ledger_service.post(
            EntryRequest(
                date(2026, 11, i),
                f"payment {i}",
                (PostingLine("CARD", 100 * i), PostingLine("CTAX", -100 * i, f"REF{i}")),
            )
        )
    return ledger_service


def test_an_untouched_ledger_verifies(ledger: LedgerService) -> None:
    assert ledger.seal_all() == 5
    report = ledger.verify()
    assert report.ok, report.problems
    assert (report.entries, report.postings, report.seals, report.queued) == (5, 10, 5, 0)


def test_unsealed_entries_verify_as_queued(ledger: LedgerService) -> None:
    ledger.seal(batch_size=2)
    report = ledger.verify()
    assert report.ok, report.problems
    assert (report.seals, report.queued) == (2, 3)


def test_sealing_twice_seals_nothing_new(ledger: LedgerService) -> None:
    ledger.seal_all()
    assert ledger.seal_all() == 0


def test_a_sealed_posting_altered_by_raw_sql_is_found_and_named(
    ledger: LedgerService, engine: Engine
) -> None:
    ledger.seal_all()
    with engine.begin() as conn:
        rawsql.drop_posting_guard(conn)
        conn.execute(
            text(
                "UPDATE ledger_postings SET amount_pence = amount_pence + 1 "
                "WHERE id = (SELECT min(id) FROM ledger_postings WHERE entry_id = 3)"
            )
        )
    report = ledger.verify()
    assert not report.ok
    assert "link 3 (entry 3) does not verify" in report.problems[0]


def test_a_balanced_tamper_that_keeps_the_trial_balance_is_still_found(
    ledger: LedgerService, engine: Engine
) -> None:
    ledger.seal_all()
    with engine.begin() as conn:
        rawsql.drop_posting_guard(conn)
        conn.execute(
            text(
                "UPDATE ledger_postings SET sub_account_key = 'STOLEN' "
                "WHERE sub_account_key = 'REF4'"
            )
        )
    report = ledger.verify()
    assert report.problems[0].startswith("seal chain: link 4 (entry 4)")


def test_verifying_with_the_wrong_key_fails_at_the_first_link(
    ledger: LedgerService, session_factory: sessionmaker[Session]
) -> None:
    ledger.seal_all()
    other = LedgerService(session_factory, seal_key=b"another-key-of-sufficient-length-000")
    assert "link 1 (entry 1)" in other.verify().problems[0]


def test_a_tampered_checkpoint_is_found(ledger: LedgerService, engine: Engine) -> None:
    ledger.seal_all()
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE ledger_daily_totals SET amount_pence = amount_pence + 5 "
                "WHERE id = (SELECT min(id) FROM ledger_daily_totals)"
            )
        )
    problems = ledger.verify().problems
    assert any(p.startswith("balance checkpoint:") for p in problems), problems


def test_reversals_are_sealed_like_any_entry(ledger: LedgerService) -> None:
    ledger.reverse(ReversalRequest(2, date(2026, 11, 20), "refund"))
    ledger.seal_all()
    report = ledger.verify()
    assert report.ok and report.seals == 6


def test_sealing_continues_the_chain_across_passes(ledger: LedgerService) -> None:
    ledger.seal(batch_size=2)
    ledger.post(
        EntryRequest(date(2026, 11, 9), "late", (PostingLine("CARD", 1), PostingLine("CTAX", -1)))
    )
    ledger.seal_all()
    report = ledger.verify()
    assert report.ok, report.problems
    assert report.seals == 6


def test_a_reversal_of_a_reversal_verifies(ledger: LedgerService) -> None:
    # Found by the state machine: an entry that is both a reversal and reversed again.
    first = ledger.reverse(ReversalRequest(1, date(2026, 11, 20), "refund"))
    ledger.reverse(ReversalRequest(first.id, date(2026, 11, 21), "refund was wrong"))
    report = ledger.verify()
    assert report.ok, report.problems
    assert ledger.balance("CARD") == 1500
