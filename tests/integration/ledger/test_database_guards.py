"""Each invariant the database protects, attacked with raw SQL that bypasses the code.

The code checks everything first; these guards are the second line, for scripts, consoles and
bugs. Every test here runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from ledger import AccountKind, EntryRequest, LedgerService, PostingLine
from ledger.db import make_engine, make_session_factory
from tests.conftest import TEST_SEAL_KEY
from tests.integration.ledger import rawsql


@pytest.fixture
def ledger(ledger_service: LedgerService) -> LedgerService:
    ledger_service.open_account("CARD", "Card clearing", AccountKind.ASSET)
    ledger_service.open_account("CTAX", "Council tax", AccountKind.INCOME)
    return ledger_service


def _payment(
    ledger: LedgerService, amount_pence: int = 1000, day: date = date(2026, 11, 24)
) -> int:
    entry = ledger.post(
        EntryRequest(
            day,
            "card payment",
            (PostingLine("CARD", amount_pence), PostingLine("CTAX", -amount_pence, "A1")),
        )
    )
    return entry.id


def test_a_balanced_entry_written_by_hand_is_accepted(
    ledger: LedgerService, engine: Engine
) -> None:
    rawsql.raw_entry(engine, [("CARD", 500), ("CTAX", -500)])
    assert ledger.balance("CARD") == 500


def test_an_entry_whose_postings_do_not_sum_to_zero_cannot_be_committed(
    ledger: LedgerService, engine: Engine
) -> None:
    before = rawsql.table_snapshot(engine)
    with pytest.raises(IntegrityError, match=r"\[ledger:unbalanced\]"):
        rawsql.raw_entry(engine, [("CARD", 500), ("CTAX", -499)])
    assert rawsql.table_snapshot(engine) == before


def test_an_entry_with_a_single_posting_cannot_be_committed(
    engine: Engine, ledger: LedgerService
) -> None:
    # Which guard speaks first is up to the database; either refusal is right.
    with pytest.raises(IntegrityError, match=r"\[ledger:(too_few_postings|unbalanced)\]"):
        rawsql.raw_entry(engine, [("CARD", 500)])
    with pytest.raises(IntegrityError, match=r"\[ledger:(too_few_postings|mixed_currency)\]"):
        rawsql.raw_entry(engine, [])


def test_postings_without_their_entry_cannot_be_committed(
    engine: Engine, ledger: LedgerService
) -> None:
    before = rawsql.table_snapshot(engine)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        entry_id = rawsql.next_entry_id(conn)
        rawsql.insert_posting(conn, entry_id, rawsql.account_id(conn, "CARD"), 700)
        rawsql.insert_posting(conn, entry_id, rawsql.account_id(conn, "CTAX"), -600)
    assert rawsql.table_snapshot(engine) == before


def test_a_posting_cannot_be_added_to_a_recorded_entry(
    engine: Engine, ledger: LedgerService
) -> None:
    entry_id = _payment(ledger)
    with pytest.raises(IntegrityError, match=r"\[ledger:entry_recorded\]"), engine.begin() as conn:
        rawsql.insert_posting(conn, entry_id, rawsql.account_id(conn, "CARD"), 1)
        rawsql.insert_posting(conn, entry_id, rawsql.account_id(conn, "CTAX"), -1)


def test_a_zero_posting_cannot_be_inserted(engine: Engine, ledger: LedgerService) -> None:
    with pytest.raises(IntegrityError), engine.begin() as conn:
        entry_id = rawsql.next_entry_id(conn)
        rawsql.insert_posting(conn, entry_id, rawsql.account_id(conn, "CARD"), 0)


def test_a_posting_beyond_the_amount_limit_cannot_be_inserted(
    engine: Engine, ledger: LedgerService
) -> None:
    with pytest.raises(IntegrityError), engine.begin() as conn:
        entry_id = rawsql.next_entry_id(conn)
        rawsql.insert_posting(conn, entry_id, rawsql.account_id(conn, "CARD"), 10**13)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_postings SET amount_pence = amount_pence + 1",
        "UPDATE ledger_postings SET sub_account_key = 'other'",
        "DELETE FROM ledger_postings",
        "UPDATE ledger_entries SET description = 'changed'",
        "UPDATE ledger_entries SET effective_date = '2020-01-01'",
        "DELETE FROM ledger_entries",
    ],
)
def test_postings_and_entries_cannot_be_updated_or_deleted(
    engine: Engine, ledger: LedgerService, statement: str
) -> None:
    _payment(ledger)
    before = rawsql.table_snapshot(engine)
    with pytest.raises(DBAPIError, match=r"\[ledger:append_only\]"), engine.begin() as conn:
        conn.execute(text(statement))
    assert rawsql.table_snapshot(engine) == before


def test_sealed_links_cannot_be_updated_or_deleted(engine: Engine, ledger: LedgerService) -> None:
    _payment(ledger)
    ledger.seal_all()
    for statement in ("UPDATE ledger_seals SET chain_hash = 'x'", "DELETE FROM ledger_seals"):
        with pytest.raises(DBAPIError, match=r"\[ledger:append_only\]"), engine.begin() as conn:
            conn.execute(text(statement))


def test_ledger_tables_cannot_be_truncated_on_postgresql(pg_url: str) -> None:
    # SQLite has no TRUNCATE: its DELETE, refused row by row, is tested above.
    engine = make_engine(pg_url)
    ledger = LedgerService(make_session_factory(engine), seal_key=TEST_SEAL_KEY)
    ledger.open_account("CARD", "Card clearing", AccountKind.ASSET)
    ledger.open_account("CTAX", "Council tax", AccountKind.INCOME)
    _payment(ledger)
    for table in ("ledger_postings", "ledger_entries", "ledger_seals", "ledger_seal_queue"):
        with pytest.raises(DBAPIError, match=r"\[ledger:append_only\]"), engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {table} CASCADE"))
    engine.dispose()
    engine.dispose()


def test_nothing_can_be_posted_into_a_closed_period(engine: Engine, ledger: LedgerService) -> None:
    ledger.define_period("2026-10", date(2026, 10, 1), date(2026, 10, 31))
    ledger.close_period("2026-10")
    before = rawsql.table_snapshot(engine)
    with pytest.raises(IntegrityError, match=r"\[ledger:period_closed\]"):
        rawsql.raw_entry(engine, [("CARD", 500), ("CTAX", -500)], effective_date="2026-10-31")
    assert rawsql.table_snapshot(engine) == before
    rawsql.raw_entry(engine, [("CARD", 500), ("CTAX", -500)], effective_date="2026-11-01")


def test_a_closed_period_cannot_be_reopened_moved_or_removed(
    engine: Engine, ledger: LedgerService
) -> None:
    ledger.define_period("2026-10", date(2026, 10, 1), date(2026, 10, 31))
    ledger.close_period("2026-10")
    for statement in (
        "UPDATE ledger_periods SET closed_at = NULL",
        "UPDATE ledger_periods SET ends_on = '2026-10-15'",
        "DELETE FROM ledger_periods",
    ):
        with pytest.raises(DBAPIError, match=r"\[ledger:period_final\]"), engine.begin() as conn:
            conn.execute(text(statement))


def test_periods_cannot_overlap(engine: Engine, ledger: LedgerService) -> None:
    ledger.define_period("2026-10", date(2026, 10, 1), date(2026, 10, 31))
    with pytest.raises(IntegrityError, match=r"\[ledger:period_overlap\]"), engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO ledger_periods (name, starts_on, ends_on) "
                "VALUES ('overlap', '2026-10-31', '2026-11-30')"
            )
        )


def test_an_entry_cannot_be_reversed_twice(engine: Engine, ledger: LedgerService) -> None:
    original = rawsql.raw_entry(engine, [("CARD", 1000), ("CTAX", -1000)])
    rawsql.raw_entry(engine, [("CARD", -1000), ("CTAX", 1000)], reverses=original)
    with pytest.raises(IntegrityError):
        rawsql.raw_entry(engine, [("CARD", -1000), ("CTAX", 1000)], reverses=original)


def test_a_reversal_must_net_its_original_to_zero(engine: Engine, ledger: LedgerService) -> None:
    original = rawsql.raw_entry(engine, [("CARD", 1000), ("CTAX", -1000)])
    with pytest.raises(IntegrityError, match=r"\[ledger:reversal_mismatch\]"):
        rawsql.raw_entry(engine, [("CARD", -400), ("CTAX", 400)], reverses=original)


def test_an_account_with_postings_cannot_be_removed_or_recoded(
    engine: Engine, ledger: LedgerService
) -> None:
    _payment(ledger)
    with pytest.raises(DBAPIError, match=r"\[ledger:account_kept\]"), engine.begin() as conn:
        conn.execute(text("DELETE FROM ledger_accounts WHERE code = 'CARD'"))
    with pytest.raises(DBAPIError, match=r"\[ledger:account_code_fixed\]"), engine.begin() as conn:
        conn.execute(text("UPDATE ledger_accounts SET code = 'CARD2' WHERE code = 'CARD'"))


def test_an_inactive_account_takes_no_postings(engine: Engine, ledger: LedgerService) -> None:
    ledger.set_account_active("CTAX", False)
    with pytest.raises(IntegrityError, match=r"\[ledger:account_inactive\]"):
        rawsql.raw_entry(engine, [("CARD", 500), ("CTAX", -500)])


def test_an_unsealed_entry_cannot_be_taken_off_the_seal_queue(
    engine: Engine, ledger: LedgerService
) -> None:
    _payment(ledger)
    with pytest.raises(IntegrityError, match=r"\[ledger:not_sealed\]"), engine.begin() as conn:
        conn.execute(text("DELETE FROM ledger_seal_queue"))


def test_a_sealed_entry_cannot_be_queued_again(engine: Engine, ledger: LedgerService) -> None:
    entry_id = _payment(ledger)
    ledger.seal_all()
    with pytest.raises(IntegrityError, match=r"\[ledger:already_sealed\]"), engine.begin() as conn:
        conn.execute(text("INSERT INTO ledger_seal_queue (entry_id) VALUES (:e)"), {"e": entry_id})
