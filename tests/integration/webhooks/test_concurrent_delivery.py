"""Several workers deliver at once on PostgreSQL without sending any message twice."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from ledger.db import make_engine, make_session_factory
from receipting.webhooks.delivery import WebhookDeliverer, claim_due
from receipting.webhooks.outbox import enqueue
from receipting.webhooks.subscriptions import WebhookSubscriptions
from tests.integration.webhooks.conftest import FakeClock, Receiver

MESSAGES = 40
# Slow enough that both workers are mid-batch at the same moment.
RECEIVER_DELAY_S = 0.03
WORKERS = 2
# Each worker's longest wait for the other; far beyond what the round takes.
JOIN_TIMEOUT_S = 60


@pytest.fixture
def pg_engines(pg_url: str) -> Iterator[list[Engine]]:
    """One engine (connection pool) per worker, as separate worker processes would have."""
    engines = [make_engine(pg_url) for _ in range(WORKERS + 1)]
    yield engines
    for engine in engines:
        engine.dispose()


def _queue_messages(session_factory: sessionmaker[Session], clock: FakeClock, url: str) -> str:
    created = WebhookSubscriptions(session_factory, clock=clock).create(
        service="council-tax", callback_url=url, event_types=["card_payment_succeeded"]
    )
    with session_factory() as session, session.begin():
        for n in range(MESSAGES):
            enqueue(
                session,
                service="council-tax",
                event_type="card_payment_succeeded",
                resource_type="payment",
                resource_id=f"pay{n}",
                resource={"payment_id": f"pay{n}"},
                now=clock(),
            )
    return created.secret


def test_two_workers_delivering_at_once_send_each_message_exactly_once(
    pg_engines: list[Engine], receiver: Receiver, clock: FakeClock
) -> None:
    setup, *worker_engines = pg_engines
    receiver.secret = _queue_messages(make_session_factory(setup), clock, receiver.url)
    receiver.delay_s = RECEIVER_DELAY_S
    start = threading.Barrier(WORKERS)
    done: list[int] = [0] * WORKERS
    errors: list[BaseException] = []

    def work(index: int) -> None:
        deliverer = WebhookDeliverer(
            make_session_factory(worker_engines[index]),
            clock=clock,
            batch_size=4,
            batches_per_pass=MESSAGES,
        )
        try:
            start.wait()
            done[index] = deliverer.deliver_due()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT_S)

    assert errors == []
    sent = Counter(receiver.message_ids())
    assert len(sent) == MESSAGES
    assert set(sent.values()) == {1}, (
        f"sent more than once: {[m for m, n in sent.items() if n > 1]}"
    )
    assert sum(done) == MESSAGES
    assert all(n > 0 for n in done), f"one worker did everything ({done}); no overlap was tested"
    assert all(item.signature_valid for item in receiver.received)


def test_a_claim_in_progress_is_skipped_by_another_worker_not_waited_for(
    pg_engines: list[Engine], clock: FakeClock
) -> None:
    setup, first_engine, second_engine = pg_engines
    _queue_messages(make_session_factory(setup), clock, "https://crm.example.gov.uk/events")

    with make_session_factory(first_engine)() as first, first.begin():
        first_claim = claim_due(first, now=clock(), limit=MESSAGES // 2)
        # The first worker's transaction is still open: its rows are locked, not yet leased.
        with make_session_factory(second_engine)() as second, second.begin():
            second_claim = claim_due(second, now=clock(), limit=MESSAGES)

    first_ids = {m.id for m in first_claim}
    second_ids = {m.id for m in second_claim}
    assert len(first_ids) == MESSAGES // 2
    assert len(second_ids) == MESSAGES - MESSAGES // 2
    assert first_ids.isdisjoint(second_ids)
