"""Accounting periods. Closing one is final: nothing posts into it afterwards."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ledger import errors
from ledger.db import is_postgresql
from ledger.model import MAX_PERIOD_NAME_LEN, check_text
from ledger.tables import PeriodRow


@dataclass(frozen=True, slots=True)
class Period:
    name: str
    starts_on: date
    ends_on: date
    closed_at: datetime | None


def define_period(session: Session, name: str, starts_on: date, ends_on: date) -> Period:
    check_text(name, "name", MAX_PERIOD_NAME_LEN)
    if starts_on > ends_on:
        raise errors.InvalidPeriod(
            f"Period {name!r} starts on {starts_on} after it ends on {ends_on}. Swap the dates.",
            field="starts_on",
        )
    if session.scalar(select(PeriodRow.id).where(PeriodRow.name == name)) is not None:
        raise errors.InvalidPeriod(
            f"A period named {name!r} already exists. Choose another name.", field="name"
        )
    overlapping = session.scalar(
        select(PeriodRow.name).where(PeriodRow.starts_on <= ends_on, starts_on <= PeriodRow.ends_on)
    )
    if overlapping is not None:
        raise errors.InvalidPeriod(
            f"Period {name!r} ({starts_on} to {ends_on}) overlaps period {overlapping!r}. "
            "Periods must not overlap.",
            field="starts_on",
        )
    session.add(PeriodRow(name=name, starts_on=starts_on, ends_on=ends_on, closed_at=None))
    session.flush()
    return Period(name, starts_on, ends_on, None)


def close_period(session: Session, name: str, *, clock: Callable[[], datetime]) -> Period:
    """Close a period for good.

    The close is stamped only once every transaction that was inserting entries has finished
    (PostgreSQL: the SHARE lock on entries waits for them and holds new ones back; SQLite: this
    transaction already holds the write lock), so every entry that got in carries an earlier
    `posted_at` than the period's `closed_at`, which `verify` checks.
    """
    row = session.scalars(select(PeriodRow).where(PeriodRow.name == name)).first()
    if row is None:
        raise errors.PeriodNotFound(name)
    if row.closed_at is None:
        if is_postgresql(session):
            session.execute(text("LOCK TABLE ledger_entries IN SHARE MODE"))
        row.closed_at = clock()
        session.flush()
    return _period(row)


def list_periods(session: Session) -> list[Period]:
    rows = session.scalars(select(PeriodRow).order_by(PeriodRow.starts_on))
    return [_period(row) for row in rows]


def _period(row: PeriodRow) -> Period:
    return Period(row.name, row.starts_on, row.ends_on, row.closed_at)
