"""The chart of accounts. Accounts are opened and deactivated, never removed or renamed by code."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger import errors
from ledger.model import (
    MAX_ACCOUNT_CODE_LEN,
    MAX_ACCOUNT_NAME_LEN,
    Account,
    AccountKind,
    check_text,
)
from ledger.tables import AccountRow


def open_account(
    session: Session, code: str, name: str, kind: AccountKind, *, now: datetime
) -> Account:
    check_text(code, "code", MAX_ACCOUNT_CODE_LEN)
    check_text(name, "name", MAX_ACCOUNT_NAME_LEN)
    kind = AccountKind(kind)
    if session.scalar(select(AccountRow.id).where(AccountRow.code == code)) is not None:
        raise errors.DuplicateAccount(code)
    session.add(AccountRow(code=code, name=name, kind=kind.value, active=True, created_at=now))
    session.flush()
    return Account(code=code, name=name, kind=kind, active=True)


def ensure_account(
    session: Session, code: str, name: str, kind: AccountKind, *, now: datetime
) -> Account:
    """Open the account if it does not exist; otherwise bring its name and kind up to date."""
    row = session.scalars(select(AccountRow).where(AccountRow.code == code)).first()
    if row is None:
        return open_account(session, code, name, kind, now=now)
    check_text(name, "name", MAX_ACCOUNT_NAME_LEN)
    row.name = name
    row.kind = AccountKind(kind).value
    session.flush()
    return _account(row)


def set_active(session: Session, code: str, active: bool) -> Account:
    row = session.scalars(select(AccountRow).where(AccountRow.code == code)).first()
    if row is None:
        raise errors.AccountNotFound(code)
    row.active = active
    session.flush()
    return _account(row)


def get_account(session: Session, code: str) -> Account:
    row = session.scalars(select(AccountRow).where(AccountRow.code == code)).first()
    if row is None:
        raise errors.AccountNotFound(code)
    return _account(row)


def list_accounts(session: Session) -> list[Account]:
    rows = session.scalars(select(AccountRow).order_by(AccountRow.code))
    return [_account(row) for row in rows]


def _account(row: AccountRow) -> Account:
    return Account(code=row.code, name=row.name, kind=AccountKind(row.kind), active=row.active)
