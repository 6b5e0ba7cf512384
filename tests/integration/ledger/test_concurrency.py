"""Concurrent writers on PostgreSQL (SQLite serialises writers, so races cannot happen there).

Every test ends with a full recompute: the ledger must equal a model built only from the
operations that were acknowledged, and must verify.
"""

from __future__ import annotations

import random
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import TypeVar

import pytest

from ledger import (
    AccountKind,
    Entry,
    EntryRequest,
    LedgerService,
    PostingLine,
    ReversalRequest,
    errors,
)
from ledger.balances import recomputed_balances
from ledger.db import make_engine, make_session_factory
from tests.conftest import TEST_SEAL_KEY

T = TypeVar("T")
WRITERS = 8
DAY = date(2026, 11, 24)
ACCOUNTS = ("CARD", "CTAX", "NNDR", "VAT")


@pytest.fixture
def ledger(pg_url: str) -> Iterator[LedgerService]:
    engine = make_engine(pg_url, pool_size=WRITERS + 4)
    service = LedgerService(make_session_factory(engine), seal_key=TEST_SEAL_KEY)
    service.open_account("CARD", "Card clearing", AccountKind.ASSET)
    service.open_account("CTAX", "Council tax", AccountKind.INCOME)
    service.open_account("NNDR", "Business rates", AccountKind.INCOME)
    service.open_account("VAT", "VAT output", AccountKind.LIABILITY)
    yield service
    engine.dispose()


def all_at_once(count: int, work: Callable[[int], T]) -> list[T | Exception]:
    """Run `work(i)` on `count` threads released together; collect results or errors."""
    barrier = threading.Barrier(count)

    def run(i: int) -> T | Exception:
        barrier.wait()
        try:
            return work(i)
        except Exception as exc:  # collected and asserted on by the caller
            return exc

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def payment(amount_pence: int, key: str | None = None, fund: str = "CTAX") -> EntryRequest:
    return EntryRequest(
        DAY,
        "card payment",
        (PostingLine("CARD", amount_pence), PostingLine(fund, -amount_pence, "REF")),
        idempotency_key=key,
    )


def assert_ledger_equals(ledger: LedgerService, expected: dict[str, int]) -> None:
    expected = {code: expected.get(code, 0) for code in ACCOUNTS}
    trial = ledger.trial_balance()
    assert {line.account_code: line.balance_pence for line in trial.lines} == expected
    with ledger.unit_of_work() as session:
        raw = recomputed_balances(session)
    assert {code: raw.get(code, 0) for code in ACCOUNTS} == expected
    report = ledger.verify()
    assert report.ok, report.problems
    ledger.seal_all()
    report = ledger.verify()
    assert report.ok and report.queued == 0, report.problems
    assert {line.account_code: line.balance_pence for line in ledger.trial_balance().lines} == (
        expected
    )


def test_concurrent_identical_requests_with_one_key_write_exactly_one_entry(
    ledger: LedgerService,
) -> None:
    results = all_at_once(16, lambda _i: ledger.post(payment(999, key="same-key")))
    entries = [r for r in results if isinstance(r, Entry)]
    assert len(entries) == 16, [r for r in results if isinstance(r, Exception)]
    assert len({e.id for e in entries}) == 1
    assert sum(not e.replayed for e in entries) == 1
    assert_ledger_equals(ledger, {"CARD": 999, "CTAX": -999})


def test_concurrent_different_requests_with_one_key_write_one_and_refuse_the_rest(
    ledger: LedgerService,
) -> None:
    results = all_at_once(8, lambda i: ledger.post(payment(100 + i, key="contested")))
    winners = [r for r in results if isinstance(r, Entry)]
    refused = [r for r in results if isinstance(r, errors.IdempotencyKeyReused)]
    assert len(winners) == 1 and len(refused) == 7
    amount = winners[0].postings[0].amount_pence
    assert_ledger_equals(ledger, {"CARD": amount, "CTAX": -amount})


def test_concurrent_reversals_of_one_entry_reverse_it_once(ledger: LedgerService) -> None:
    original = ledger.post(payment(500))
    results = all_at_once(
        8, lambda i: ledger.reverse(ReversalRequest(original.id, DAY, f"refund {i}"))
    )
    assert sum(isinstance(r, Entry) for r in results) == 1
    assert sum(isinstance(r, errors.AlreadyReversed) for r in results) == 7
    assert_ledger_equals(ledger, {})


def test_closing_a_period_while_writers_post_into_it_lets_nothing_in_after_the_close(
    ledger: LedgerService,
) -> None:
    ledger.define_period("2026-11", date(2026, 11, 1), date(2026, 11, 30))
    acknowledged = Counter[str]()
    lock = threading.Lock()

    def work(i: int) -> None:
        if i == 0:
            ledger.close_period("2026-11")
            return
        for _ in range(20):
            try:
                ledger.post(payment(10))
            except errors.PeriodClosed:
                return
            with lock:
                acknowledged["CARD"] += 10
                acknowledged["CTAX"] -= 10

    results = all_at_once(WRITERS, work)
    assert not [r for r in results if isinstance(r, Exception)]
    assert_ledger_equals(ledger, dict(acknowledged))  # verify also checks posted_at < closed_at
    with pytest.raises(errors.PeriodClosed):
        ledger.post(payment(10))


def test_many_writers_posting_reversing_and_replaying_match_the_model(
    ledger: LedgerService,
) -> None:
    operations_per_writer = 60
    model: dict[str, int] = defaultdict(int)
    acknowledged: set[int] = set()
    keyed: dict[str, int] = {}
    lock = threading.Lock()
    stop_sealing = threading.Event()

    def sealer() -> None:
        while not stop_sealing.is_set():
            ledger.seal(batch_size=50)

    def record(entry: Entry) -> None:
        with lock:
            if entry.replayed:
                assert keyed[entry.idempotency_key or ""] == entry.id
                return
            assert entry.id not in acknowledged
            acknowledged.add(entry.id)
            for posting in entry.postings:
                model[posting.account_code] += posting.amount_pence
            if entry.idempotency_key is not None:
                keyed[entry.idempotency_key] = entry.id

    def writer(i: int) -> None:
        rng = random.Random(i)
        for n in range(operations_per_writer):
            choice = rng.random()
            try:
                if choice < 0.55:
                    fund = rng.choice(("CTAX", "NNDR"))
                    record(ledger.post(payment(rng.randint(1, 100_000), fund=fund)))
                elif choice < 0.75:
                    # Keys shared across writers: racing replays of identical requests.
                    key = f"shared-{rng.randint(0, 15)}"
                    record(ledger.post(payment(1_000 + int(key.split("-")[1]), key=key)))
                else:
                    with lock:
                        candidates = list(acknowledged)
                    if candidates:
                        target = rng.choice(candidates)
                        record(ledger.reverse(ReversalRequest(target, DAY, f"w{i} op{n}")))
            except errors.AlreadyReversed:
                pass  # another writer reversed it first: refused, nothing written

    seal_thread = threading.Thread(target=sealer)
    seal_thread.start()
    try:
        results = all_at_once(WRITERS, writer)
    finally:
        stop_sealing.set()
        seal_thread.join()
    assert not [r for r in results if isinstance(r, Exception)]
    assert len(acknowledged) > WRITERS * operations_per_writer // 2
    assert_ledger_equals(ledger, dict(model))
    report = ledger.verify()
    assert report.entries == len(acknowledged)
