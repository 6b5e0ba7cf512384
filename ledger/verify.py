"""Recompute everything from the raw journal and name the first thing that does not hold.

Used by `receipting ledger verify` and by the tests after every step. It trusts nothing derived:
the hash chain is recomputed link by link, balances are summed from postings and compared with
the checkpoints, and every entry invariant is checked again in SQL.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from ledger.sealing import GENESIS_LINK, chain_link, daily_sums, load_entries, utc_text
from ledger.tables import (
    DailyTotalRow,
    EntryRow,
    PeriodRow,
    PostingRow,
    SealQueueRow,
    SealRow,
)

# Seals verified per round trip while walking the chain.
VERIFY_BATCH_SIZE = 2_000


@dataclass
class VerifyReport:
    problems: list[str] = field(default_factory=list)
    entries: int = 0
    postings: int = 0
    seals: int = 0
    queued: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_ledger(session: Session, key: bytes) -> VerifyReport:
    report = VerifyReport()
    report.entries = session.scalar(select(func.count()).select_from(EntryRow)) or 0
    report.postings = session.scalar(select(func.count()).select_from(PostingRow)) or 0
    report.seals = session.scalar(select(func.count()).select_from(SealRow)) or 0
    report.queued = session.scalar(select(func.count()).select_from(SealQueueRow)) or 0
    for check in (
        _check_chain,
        _check_entries_balance,
        _check_every_entry_sealed_or_queued,
        _check_reversals,
        _check_orphan_postings,
        _check_trial_balance,
        _check_daily_totals,
        _check_closed_periods,
    ):
        check(session, key, report)
    return report


def _check_chain(session: Session, key: bytes, report: VerifyReport) -> None:
    link, expected_seq, after = GENESIS_LINK, 1, 0
    while True:
        seals = session.execute(
            select(SealRow.seq, SealRow.entry_id, SealRow.chain_hash)
            .where(SealRow.seq > after)
            .order_by(SealRow.seq)
            .limit(VERIFY_BATCH_SIZE)
        ).all()
        if not seals:
            return
        entries = {e.id: e for e in load_entries(session, [s.entry_id for s in seals])}
        for seq, entry_id, stored in seals:
            if seq != expected_seq:
                report.problems.append(
                    f"seal chain: link {expected_seq} is missing (next is {seq}); links were "
                    "removed from the chain"
                )
                return
            entry = entries.get(entry_id)
            if entry is None:
                report.problems.append(
                    f"seal chain: link {seq} seals entry {entry_id}, which no longer exists"
                )
                return
            link = chain_link(key, link, entry)
            if link != stored:
                report.problems.append(
                    f"seal chain: link {seq} (entry {entry_id}) does not verify: the entry or "
                    "its postings were changed after sealing, the chain was altered, or the "
                    "sealing key is wrong"
                )
                return
            expected_seq += 1
            after = seq


def _check_entries_balance(session: Session, key: bytes, report: VerifyReport) -> None:
    counts = (
        select(
            EntryRow.id,
            func.count(PostingRow.id),
            func.coalesce(func.sum(PostingRow.amount_pence), 0),
        )
        .outerjoin(PostingRow, PostingRow.entry_id == EntryRow.id)
        .group_by(EntryRow.id)
    )
    bad = session.execute(
        counts.having(
            (func.count(PostingRow.id) < 2)
            | (func.coalesce(func.sum(PostingRow.amount_pence), 0) != 0)
        )
        .order_by(EntryRow.id)
        .limit(1)
    ).first()
    if bad is not None:
        report.problems.append(
            f"entry {bad[0]}: {bad[1]} postings summing to {bad[2]} pence (needs two or more "
            "summing to zero)"
        )
    zero = session.scalar(
        select(PostingRow.id).where(PostingRow.amount_pence == 0).order_by(PostingRow.id).limit(1)
    )
    if zero is not None:
        report.problems.append(f"posting {zero}: amount is zero")


def _check_every_entry_sealed_or_queued(session: Session, key: bytes, report: VerifyReport) -> None:
    missing = session.scalar(
        select(EntryRow.id)
        .outerjoin(SealRow, SealRow.entry_id == EntryRow.id)
        .outerjoin(SealQueueRow, SealQueueRow.entry_id == EntryRow.id)
        .where(SealRow.entry_id.is_(None), SealQueueRow.entry_id.is_(None))
        .order_by(EntryRow.id)
        .limit(1)
    )
    if missing is not None:
        report.problems.append(
            f"entry {missing}: neither sealed nor waiting to be sealed (removed from the queue)"
        )
    both = session.scalar(
        select(SealQueueRow.entry_id)
        .join(SealRow, SealRow.entry_id == SealQueueRow.entry_id)
        .limit(1)
    )
    if both is not None:
        report.problems.append(f"entry {both}: sealed and still queued (counted twice)")


def _check_reversals(session: Session, key: bytes, report: VerifyReport) -> None:
    reversal = aliased(EntryRow)
    pairs = session.execute(
        select(reversal.id, reversal.reverses_entry_id)
        .where(reversal.reverses_entry_id.is_not(None))
        .order_by(reversal.id)
    ).all()
    if not pairs:
        return
    # An entry can belong to two pairs: as the reversal of one and the original of another.
    involved = {entry_id for pair in pairs for entry_id in pair}
    postings: dict[int, list[tuple[int, str, int]]] = defaultdict(list)
    for entry_id, account_id, sub_key, amount in session.execute(
        select(
            PostingRow.entry_id,
            PostingRow.account_id,
            PostingRow.sub_account_key,
            PostingRow.amount_pence,
        ).where(PostingRow.entry_id.in_(involved))
    ):
        postings[entry_id].append((account_id, sub_key or "", amount))
    for reversal_id, original_id in pairs:
        legs: dict[tuple[int, str], int] = defaultdict(int)
        for account_id, sub_key, amount in (*postings[reversal_id], *postings[original_id]):
            legs[(account_id, sub_key)] += amount
        off = {leg: amount for leg, amount in legs.items() if amount != 0}
        if off:
            (account_id, _sub), amount = min(off.items())
            report.problems.append(
                f"entry {reversal_id}: does not net entry {original_id}, which it reverses, to "
                f"zero (account id {account_id} is off by {amount} pence)"
            )
            return


def _check_orphan_postings(session: Session, key: bytes, report: VerifyReport) -> None:
    orphan = session.scalar(
        select(PostingRow.id)
        .outerjoin(EntryRow, EntryRow.id == PostingRow.entry_id)
        .where(EntryRow.id.is_(None))
        .limit(1)
    )
    if orphan is not None:
        report.problems.append(f"posting {orphan}: belongs to no entry")


def _check_trial_balance(session: Session, key: bytes, report: VerifyReport) -> None:
    total = session.scalar(select(func.coalesce(func.sum(PostingRow.amount_pence), 0))) or 0
    if total != 0:
        report.problems.append(f"trial balance: all postings sum to {total} pence, not zero")


def _check_daily_totals(session: Session, key: bytes, report: VerifyReport) -> None:
    expected: dict[tuple[int, date], int] = defaultdict(int)
    rows = session.execute(
        select(PostingRow.account_id, EntryRow.effective_date, func.sum(PostingRow.amount_pence))
        .join(EntryRow, EntryRow.id == PostingRow.entry_id)
        .join(SealRow, SealRow.entry_id == EntryRow.id)
        .group_by(PostingRow.account_id, EntryRow.effective_date)
    )
    for account_id, day, amount in rows:
        expected[(account_id, day)] = int(amount)
    stored = {
        (account_id, day): int(amount)
        for account_id, day, amount in session.execute(
            select(
                DailyTotalRow.account_id, DailyTotalRow.effective_date, DailyTotalRow.amount_pence
            )
        )
    }
    for key_ in sorted(set(expected) | set(stored)):
        if expected.get(key_, 0) != stored.get(key_, 0):
            account_id, day = key_
            report.problems.append(
                f"balance checkpoint: account id {account_id} on {day} holds "
                f"{stored.get(key_, 0)} pence but its sealed postings sum to "
                f"{expected.get(key_, 0)}"
            )
            return


def _check_closed_periods(session: Session, key: bytes, report: VerifyReport) -> None:
    late = session.execute(
        select(EntryRow.id, EntryRow.posted_at, PeriodRow.name, PeriodRow.closed_at)
        .join(
            PeriodRow,
            (EntryRow.effective_date >= PeriodRow.starts_on)
            & (EntryRow.effective_date <= PeriodRow.ends_on),
        )
        .where(PeriodRow.closed_at.is_not(None), EntryRow.posted_at > PeriodRow.closed_at)
        .order_by(EntryRow.id)
        .limit(1)
    ).first()
    if late is not None:
        entry_id, posted_at, name, closed_at = late
        report.problems.append(
            f"entry {entry_id}: posted at {utc_text(posted_at)} into period {name!r}, closed "
            f"at {utc_text(closed_at)}"
        )


__all__ = ["VerifyReport", "daily_sums", "verify_ledger"]
