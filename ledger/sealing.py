"""Tamper evidence: committed entries are sealed, in order, into an HMAC-keyed hash chain.

    link(n) = HMAC-SHA256(key, link(n-1) || canonical(entry n with its postings))

Sealing runs apart from posting (the worker calls `seal_pending`), so it never serialises
writers. Entries reach it through the seal queue that a database trigger fills, so an entry that
commits late (its id drawn earlier than one already sealed) is sealed later, never skipped. The
same pass folds the sealed entries' postings into the daily balance checkpoints.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import delete, insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ledger.db import is_postgresql
from ledger.tables import DailyTotalRow, EntryRow, PostingRow, SealQueueRow, SealRow

GENESIS_LINK = "0" * 64

# Entries sealed per transaction: large enough to keep up with a busy day in a few passes, small
# enough that one pass holds its locks for well under a second.
SEAL_BATCH_SIZE = 2_000

# Only one sealer may extend the chain at a time (PostgreSQL advisory lock id; any constant that
# no other part of the application uses).
SEALER_LOCK_ID = 0x1ED6E5EA1


@dataclass(frozen=True, slots=True)
class SealedPosting:
    id: int
    account_id: int
    amount_pence: int
    currency: str
    sub_account_key: str | None


@dataclass(frozen=True, slots=True)
class SealedEntry:
    id: int
    effective_date: date
    posted_at: datetime
    description: str
    source: str
    idempotency_key: str | None
    request_hash: str | None
    reverses_entry_id: int | None
    postings: tuple[SealedPosting, ...]


def canonical_bytes(entry: SealedEntry) -> bytes:
    """The exact bytes a link covers: every stored field of the entry and of its postings."""
    payload = {
        "id": entry.id,
        "effective_date": entry.effective_date.isoformat(),
        "posted_at": utc_text(entry.posted_at),
        "description": entry.description,
        "source": entry.source,
        "idempotency_key": entry.idempotency_key,
        "request_hash": entry.request_hash,
        "reverses_entry_id": entry.reverses_entry_id,
        "postings": [
            [p.id, p.account_id, p.amount_pence, p.currency, p.sub_account_key]
            for p in sorted(entry.postings, key=lambda p: p.id)
        ],
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode("utf-8")


def chain_link(key: bytes, previous_link: str, entry: SealedEntry) -> str:
    message = previous_link.encode("ascii") + canonical_bytes(entry)
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def utc_text(moment: datetime) -> str:
    """SQLite hands timestamps back without a zone; every one this ledger writes is UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def seal_pending(
    session: Session, key: bytes, *, now: datetime, batch_size: int = SEAL_BATCH_SIZE
) -> int:
    """Seal up to `batch_size` queued entries; returns how many were sealed (0 if another sealer
    holds the chain)."""
    if is_postgresql(session) and not session.scalar(
        text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": SEALER_LOCK_ID}
    ):
        return 0
    queued = list(
        session.scalars(
            select(SealQueueRow.entry_id).order_by(SealQueueRow.entry_id).limit(batch_size)
        )
    )
    if not queued:
        return 0
    head = session.execute(
        select(SealRow.seq, SealRow.chain_hash).order_by(SealRow.seq.desc()).limit(1)
    ).first()
    seq, link = (head[0], head[1]) if head is not None else (0, GENESIS_LINK)
    entries = load_entries(session, queued)
    seals = []
    for entry in entries:
        seq += 1
        link = chain_link(key, link, entry)
        seals.append({"seq": seq, "entry_id": entry.id, "chain_hash": link, "sealed_at": now})
    session.execute(insert(SealRow), seals)
    _add_to_daily_totals(session, entries)
    session.execute(delete(SealQueueRow).where(SealQueueRow.entry_id.in_(queued)))
    return len(entries)


def load_entries(session: Session, entry_ids: Sequence[int]) -> list[SealedEntry]:
    """Entries with their postings, in the order of `entry_ids`."""
    postings: dict[int, list[SealedPosting]] = defaultdict(list)
    for row in session.execute(
        select(
            PostingRow.entry_id,
            PostingRow.id,
            PostingRow.account_id,
            PostingRow.amount_pence,
            PostingRow.currency,
            PostingRow.sub_account_key,
        ).where(PostingRow.entry_id.in_(entry_ids))
    ):
        postings[row[0]].append(SealedPosting(row[1], row[2], row[3], row[4], row[5]))
    rows = {
        row.id: row for row in session.scalars(select(EntryRow).where(EntryRow.id.in_(entry_ids)))
    }
    return [
        SealedEntry(
            id=row.id,
            effective_date=row.effective_date,
            posted_at=row.posted_at,
            description=row.description,
            source=row.source,
            idempotency_key=row.idempotency_key,
            request_hash=row.request_hash,
            reverses_entry_id=row.reverses_entry_id,
            postings=tuple(postings[row.id]),
        )
        for row in (rows[entry_id] for entry_id in entry_ids if entry_id in rows)
    ]


def daily_sums(entries: Iterable[SealedEntry]) -> dict[tuple[int, date], int]:
    sums: dict[tuple[int, date], int] = defaultdict(int)
    for entry in entries:
        for posting in entry.postings:
            sums[(posting.account_id, entry.effective_date)] += posting.amount_pence
    return sums


def _add_to_daily_totals(session: Session, entries: Sequence[SealedEntry]) -> None:
    rows = [
        {"account_id": account_id, "effective_date": day, "amount_pence": amount}
        for (account_id, day), amount in sorted(daily_sums(entries).items())
    ]
    if not rows:
        return
    dialect_insert = pg_insert if is_postgresql(session) else sqlite_insert
    statement = dialect_insert(DailyTotalRow)
    statement = statement.on_conflict_do_update(
        index_elements=[DailyTotalRow.account_id, DailyTotalRow.effective_date],
        set_={"amount_pence": DailyTotalRow.amount_pence + statement.excluded.amount_pence},
    )
    session.execute(statement, rows)
