"""Posting and reversing entries. Nothing here commits: the caller owns the transaction.

Write path, per entry: resolve accounts, draw an entry id, insert the postings, insert the entry
row (whose database trigger checks the whole entry). No balance row is read or written, so
concurrent writers to the same accounts never wait on each other; balances are derived (see
`ledger.balances`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime

from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ledger import errors
from ledger.db import is_postgresql
from ledger.model import (
    MAX_DESCRIPTION_LEN as _MAX_DESCRIPTION_LEN,
)
from ledger.model import (
    MAX_IDEMPOTENCY_KEY_LEN as _MAX_KEY_LEN,
)
from ledger.model import (
    MAX_SOURCE_LEN as _MAX_SOURCE_LEN,
)
from ledger.model import (
    Entry,
    EntryRequest,
    Posting,
    PostingLine,
    ReversalRequest,
    check_entry_request,
    check_text,
    reversal_lines,
)
from ledger.tables import AccountRow, EntryRow, PeriodRow, PostingRow


def post_entry(session: Session, request: EntryRequest, *, now: datetime) -> Entry:
    """Record a balanced entry, or return the original for a replayed idempotency key."""
    check_entry_request(request)
    key, key_hash = request.idempotency_key, request.request_hash()
    return _idempotent(
        session,
        key,
        key_hash,
        lambda: _write_entry(session, request, now=now, reverses=None, key=key, key_hash=key_hash),
    )


def reverse_entry(session: Session, request: ReversalRequest, *, now: datetime) -> Entry:
    """Record the entry that nets `request.entry_id` to zero. An entry is reversed once."""
    check_text(request.description, "description", _MAX_DESCRIPTION_LEN)
    check_text(request.source, "source", _MAX_SOURCE_LEN)
    if request.idempotency_key is not None:
        check_text(request.idempotency_key, "idempotency_key", _MAX_KEY_LEN)

    key, key_hash = request.idempotency_key, request.request_hash()

    def write() -> int:
        original = get_entry(session, request.entry_id)
        existing = _reversal_of(session, original.id)
        if existing is not None:
            raise errors.AlreadyReversed(original.id, existing)
        as_request = EntryRequest(
            effective_date=request.effective_date,
            description=request.description,
            lines=reversal_lines(original.postings),
            source=request.source,
            currency=original.postings[0].currency,
        )
        return _write_entry(
            session, as_request, now=now, reverses=original.id, key=key, key_hash=key_hash
        )

    return _idempotent(session, key, key_hash, write)


def get_entry(session: Session, entry_id: int) -> Entry:
    row = session.get(EntryRow, entry_id)
    if row is None:
        raise errors.EntryNotFound(entry_id)
    return _entry_from_row(session, row, replayed=False)


def _idempotent(
    session: Session, key: str | None, request_hash: str, write: Callable[[], int]
) -> Entry:
    if key is None:
        return get_entry(session, write())
    original = _entry_by_key(session, key)
    if original is not None:
        return _replay(session, original, key, request_hash)
    try:
        # A savepoint, so that losing a race for the key leaves the caller's transaction usable.
        with session.begin_nested():
            entry_id = write()
    except IntegrityError as exc:
        if not _is_key_conflict(exc):
            raise
        original = _entry_by_key(session, key)
        if original is None:  # the winner rolled back after all: nothing to return
            raise
        return _replay(session, original, key, request_hash)
    return get_entry(session, entry_id)


def _replay(session: Session, original: EntryRow, key: str, request_hash: str) -> Entry:
    if original.request_hash != request_hash:
        raise errors.IdempotencyKeyReused(key, original.id)
    return _entry_from_row(session, original, replayed=True)


def _entry_by_key(session: Session, key: str) -> EntryRow | None:
    return session.scalars(select(EntryRow).where(EntryRow.idempotency_key == key)).first()


def _write_entry(
    session: Session,
    request: EntryRequest,
    *,
    now: datetime,
    reverses: int | None,
    key: str | None,
    key_hash: str,
) -> int:
    lines = request.lines
    account_ids = _resolve_accounts(session, lines)
    _refuse_closed_period(session, request.effective_date)
    entry_id = _next_entry_id(session)
    try:
        session.execute(
            insert(PostingRow),
            [
                {
                    "entry_id": entry_id,
                    "account_id": account_ids[line.account_code],
                    "amount_pence": line.amount_pence,
                    "currency": request.currency,
                    "sub_account_key": line.sub_account_key,
                }
                for line in lines
            ],
        )
        session.execute(
            insert(EntryRow).values(
                id=entry_id,
                effective_date=request.effective_date,
                posted_at=now,
                description=request.description,
                source=request.source,
                idempotency_key=key,
                request_hash=key_hash if key is not None else None,
                reverses_entry_id=reverses,
            )
        )
    except IntegrityError as exc:
        if _is_key_conflict(exc):
            raise  # the idempotent wrapper replays the winner's entry
        raise translate_integrity_error(exc, request, reverses) from exc
    return entry_id


def _resolve_accounts(session: Session, lines: Sequence[PostingLine]) -> dict[str, int]:
    codes = {line.account_code for line in lines}
    rows = session.execute(
        select(AccountRow.code, AccountRow.id, AccountRow.active).where(AccountRow.code.in_(codes))
    ).all()
    found = {code: (account_id, active) for code, account_id, active in rows}
    for index, line in enumerate(lines):
        field = f"lines[{index}].account_code"
        if line.account_code not in found:
            raise errors.AccountNotFound(line.account_code, field=field)
        if not found[line.account_code][1]:
            raise errors.AccountInactive(line.account_code, field=field)
    return {code: account_id for code, (account_id, _active) in found.items()}


def _refuse_closed_period(session: Session, effective_date: date) -> None:
    name = session.scalar(
        select(PeriodRow.name).where(
            PeriodRow.closed_at.is_not(None),
            PeriodRow.starts_on <= effective_date,
            PeriodRow.ends_on >= effective_date,
        )
    )
    if name is not None:
        raise errors.PeriodClosed(effective_date.isoformat(), name)


def _next_entry_id(session: Session) -> int:
    if is_postgresql(session):
        value = session.scalar(text("SELECT nextval('ledger_entry_id_seq')"))
    else:
        # SQLite writers hold the database lock (BEGIN IMMEDIATE), so max + 1 cannot race.
        value = session.scalar(select(func.coalesce(func.max(EntryRow.id), 0) + 1))
    assert isinstance(value, int)
    return value


def _reversal_of(session: Session, entry_id: int) -> int | None:
    return session.scalar(select(EntryRow.id).where(EntryRow.reverses_entry_id == entry_id))


def _entry_from_row(session: Session, row: EntryRow, *, replayed: bool) -> Entry:
    postings = session.execute(
        select(
            AccountRow.code,
            PostingRow.amount_pence,
            PostingRow.currency,
            PostingRow.sub_account_key,
        )
        .join(AccountRow, AccountRow.id == PostingRow.account_id)
        .where(PostingRow.entry_id == row.id)
        .order_by(PostingRow.id)
    ).all()
    return Entry(
        id=row.id,
        effective_date=row.effective_date,
        posted_at=row.posted_at,
        description=row.description,
        source=row.source,
        idempotency_key=row.idempotency_key,
        reverses_entry_id=row.reverses_entry_id,
        postings=tuple(
            Posting(code, amount, currency, key) for code, amount, currency, key in postings
        ),
        replayed=replayed,
    )


def _is_key_conflict(exc: IntegrityError) -> bool:
    return "idempotency_key" in str(exc.orig)


def translate_integrity_error(
    exc: IntegrityError, request: EntryRequest, reverses: int | None
) -> Exception:
    """Map a refusal by the database to the domain error it means.

    Races the domain check cannot see (a key or reversal taken concurrently, a period closed or an
    account deactivated since it was read) are domain errors. Anything else means the domain
    checks let through what the database refused: that is a bug.
    """
    message = str(exc.orig)
    if "reverses_entry_id" in message and reverses is not None:
        return errors.AlreadyReversed(reverses, None)
    if "[ledger:period_closed]" in message:
        return errors.PeriodClosed(request.effective_date.isoformat(), "(closed meanwhile)")
    if "[ledger:account_inactive]" in message:
        return errors.AccountInactive("(deactivated meanwhile)", field="lines")
    return errors.LedgerInvariantBroken(
        f"The database refused an entry that passed the ledger's own checks: {message}"
    )
