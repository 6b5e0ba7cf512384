"""Balances, derived: never a read-modify-write row that every writer would queue on.

balance(account, as at D) = the sealer's daily totals for the account up to D
                          + the postings of entries still waiting in the seal queue up to D.

The sealer moves entries from the queue into the daily totals in one transaction, and each read
below is a single statement (one snapshot), so no entry is counted twice or missed. A read costs
one row per day with postings plus the short queue, however long the journal grows.

Per sub-account key (an account reference, say) the postings are summed directly through their
(account, key) index: one reference has few postings.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from ledger import errors
from ledger.model import AccountKind, TrialBalance, TrialBalanceLine
from ledger.tables import AccountRow, DailyTotalRow, EntryRow, PostingRow, SealQueueRow


def account_balance(session: Session, account_code: str, as_at: date | None = None) -> int:
    account_id = _account_id(session, account_code)
    per_account = _balances_statement(as_at, account_id=account_id)
    total = session.execute(per_account).first()
    return int(total[1]) if total is not None else 0


def trial_balance(session: Session, as_at: date | None = None) -> TrialBalance:
    sums = {
        account_id: int(amount)
        for account_id, amount in session.execute(_balances_statement(as_at, account_id=None))
    }
    accounts = session.execute(
        select(AccountRow.id, AccountRow.code, AccountRow.name, AccountRow.kind).order_by(
            AccountRow.code
        )
    ).all()
    lines = tuple(
        TrialBalanceLine(code, name, AccountKind(kind), sums.get(account_id, 0))
        for account_id, code, name, kind in accounts
    )
    return TrialBalance(as_at=as_at, lines=lines, total_pence=sum(sums.values()))


def sub_account_balance(
    session: Session, account_code: str, sub_account_key: str, as_at: date | None = None
) -> int:
    account_id = _account_id(session, account_code)
    statement = select(func.coalesce(func.sum(PostingRow.amount_pence), 0)).where(
        PostingRow.account_id == account_id, PostingRow.sub_account_key == sub_account_key
    )
    if as_at is not None:
        statement = statement.join(EntryRow, EntryRow.id == PostingRow.entry_id).where(
            EntryRow.effective_date <= as_at
        )
    return int(session.scalar(statement) or 0)


def sub_account_balances(
    session: Session, account_code: str, as_at: date | None = None
) -> dict[str | None, int]:
    account_id = _account_id(session, account_code)
    statement = (
        select(PostingRow.sub_account_key, func.sum(PostingRow.amount_pence))
        .where(PostingRow.account_id == account_id)
        .group_by(PostingRow.sub_account_key)
    )
    if as_at is not None:
        statement = statement.join(EntryRow, EntryRow.id == PostingRow.entry_id).where(
            EntryRow.effective_date <= as_at
        )
    return {key: int(amount) for key, amount in session.execute(statement)}


def recomputed_balances(session: Session, as_at: date | None = None) -> dict[str, int]:
    """Every account's balance summed from its postings alone: the slow path, for checking."""
    statement = (
        select(AccountRow.code, func.sum(PostingRow.amount_pence))
        .join(AccountRow, AccountRow.id == PostingRow.account_id)
        .group_by(AccountRow.code)
    )
    if as_at is not None:
        statement = statement.join(EntryRow, EntryRow.id == PostingRow.entry_id).where(
            EntryRow.effective_date <= as_at
        )
    return {code: int(amount) for code, amount in session.execute(statement)}


def _balances_statement(as_at: date | None, *, account_id: int | None) -> Select[tuple[int, int]]:
    totals = select(
        DailyTotalRow.account_id.label("account_id"),
        DailyTotalRow.amount_pence.label("amount_pence"),
    )
    pending = (
        select(
            PostingRow.account_id.label("account_id"),
            PostingRow.amount_pence.label("amount_pence"),
        )
        .join(SealQueueRow, SealQueueRow.entry_id == PostingRow.entry_id)
        .join(EntryRow, EntryRow.id == PostingRow.entry_id)
    )
    if as_at is not None:
        totals = totals.where(DailyTotalRow.effective_date <= as_at)
        pending = pending.where(EntryRow.effective_date <= as_at)
    if account_id is not None:
        totals = totals.where(DailyTotalRow.account_id == account_id)
        pending = pending.where(PostingRow.account_id == account_id)
    both = union_all(totals, pending).subquery()
    return select(
        both.c.account_id, func.coalesce(func.sum(both.c.amount_pence), literal(0))
    ).group_by(both.c.account_id)


def _account_id(session: Session, account_code: str) -> int:
    account_id = session.scalar(select(AccountRow.id).where(AccountRow.code == account_code))
    if account_id is None:
        raise errors.AccountNotFound(account_code)
    return account_id
