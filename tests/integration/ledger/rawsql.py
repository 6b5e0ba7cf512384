"""Raw SQL against the ledger's tables, bypassing the code: what an attacker or a careless script
could run. Values are passed as ISO text so the same statements work on both databases."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

# SQLite keeps timestamps as UTC text in SQLAlchemy's layout; PostgreSQL takes an explicit zone.
POSTED_AT = {"sqlite": "2026-11-24 09:00:00.000000", "postgresql": "2026-11-24 09:00:00+00"}


def next_entry_id(conn: Connection) -> int:
    if conn.dialect.name == "postgresql":
        return int(conn.execute(text("SELECT nextval('ledger_entry_id_seq')")).scalar_one())
    return int(
        conn.execute(text("SELECT coalesce(max(id), 0) + 1 FROM ledger_entries")).scalar_one()
    )


def account_id(conn: Connection, code: str) -> int:
    return int(
        conn.execute(
            text("SELECT id FROM ledger_accounts WHERE code = :c"), {"c": code}
        ).scalar_one()
    )


def insert_posting(conn: Connection, entry_id: int, account: int, amount_pence: int) -> None:
    conn.execute(
        text(
            "INSERT INTO ledger_postings (entry_id, account_id, amount_pence, currency) "
            "VALUES (:e, :a, :p, 'GBP')"
        ),
        {"e": entry_id, "a": account, "p": amount_pence},
    )


def insert_entry(
    conn: Connection,
    entry_id: int,
    *,
    effective_date: str = "2026-11-24",
    reverses: int | None = None,
) -> None:
    conn.execute(
        text(
            "INSERT INTO ledger_entries (id, effective_date, posted_at, description, source, "
            "reverses_entry_id) VALUES (:id, :d, :t, 'raw', 'raw-sql', :r)"
        ),
        {"id": entry_id, "d": effective_date, "t": POSTED_AT[conn.dialect.name], "r": reverses},
    )


def raw_entry(
    engine: Engine,
    legs: list[tuple[str, int]],
    *,
    effective_date: str = "2026-11-24",
    reverses: int | None = None,
) -> int:
    """Write a whole entry by hand in one transaction, in the order the ledger uses."""
    with engine.begin() as conn:
        entry_id = next_entry_id(conn)
        for code, amount in legs:
            insert_posting(conn, entry_id, account_id(conn, code), amount)
        insert_entry(conn, entry_id, effective_date=effective_date, reverses=reverses)
    return entry_id


def drop_posting_guard(conn: Connection) -> None:
    """What someone with DDL rights would do before tampering."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("DROP TRIGGER ledger_postings_append_only ON ledger_postings"))
    else:
        conn.execute(text("DROP TRIGGER ledger_postings_no_update"))


def table_snapshot(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every ledger row, to show that a refused operation changed nothing."""
    tables = {
        "ledger_accounts": "id",
        "ledger_entries": "id",
        "ledger_postings": "id",
        "ledger_periods": "id",
        "ledger_seal_queue": "entry_id",
        "ledger_seals": "seq",
        "ledger_daily_totals": "id",
    }
    with engine.connect() as conn:
        return {
            table: [
                tuple(row) for row in conn.execute(text(f"SELECT * FROM {table} ORDER BY {key}"))
            ]
            for table, key in tables.items()
        }
