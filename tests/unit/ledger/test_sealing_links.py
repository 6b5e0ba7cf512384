"""The hash chain's pure parts: canonical bytes and links."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

from ledger.sealing import GENESIS_LINK, SealedEntry, SealedPosting, chain_link, utc_text

KEY = b"k" * 32
ENTRY = SealedEntry(
    id=1,
    effective_date=date(2026, 11, 24),
    posted_at=datetime(2026, 11, 24, 9, 30, tzinfo=UTC),
    description="card payment",
    source="test",
    idempotency_key=None,
    request_hash=None,
    reverses_entry_id=None,
    postings=(SealedPosting(1, 1, 100, "GBP", None), SealedPosting(2, 2, -100, "GBP", "REF")),
)


def test_a_link_depends_on_every_field_of_the_entry_and_its_postings() -> None:
    link = chain_link(KEY, GENESIS_LINK, ENTRY)
    first, second = ENTRY.postings
    changed = [
        replace(ENTRY, description="card payment."),
        replace(ENTRY, effective_date=date(2026, 11, 25)),
        replace(ENTRY, posted_at=ENTRY.posted_at + timedelta(microseconds=1)),
        replace(ENTRY, reverses_entry_id=7),
        replace(ENTRY, postings=(first, replace(second, sub_account_key="X"))),
        replace(ENTRY, postings=(first, replace(second, amount_pence=-99))),
    ]
    assert all(chain_link(KEY, GENESIS_LINK, other) != link for other in changed)


def test_a_link_depends_on_the_previous_link_and_the_key() -> None:
    link = chain_link(KEY, GENESIS_LINK, ENTRY)
    assert chain_link(KEY, "1" * 64, ENTRY) != link
    assert chain_link(b"j" * 32, GENESIS_LINK, ENTRY) != link


def test_the_order_postings_are_read_in_does_not_change_the_link() -> None:
    flipped = replace(ENTRY, postings=tuple(reversed(ENTRY.postings)))
    assert chain_link(KEY, GENESIS_LINK, flipped) == chain_link(KEY, GENESIS_LINK, ENTRY)


def test_timestamps_are_compared_in_utc_whatever_zone_they_carry() -> None:
    moment = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    assert utc_text(moment) == utc_text(moment.astimezone(timezone(timedelta(hours=1))))
    assert utc_text(moment.replace(tzinfo=None)) == utc_text(moment)
