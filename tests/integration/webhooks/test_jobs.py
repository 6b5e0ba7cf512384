"""`receipting worker` delivers webhooks: the job is in the standard set and uses the engine's
clock; what it logs never includes a signing secret."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from receipting.settings import Settings
from receipting.webhooks.outbox import enqueue
from receipting.webhooks.subscriptions import WebhookSubscriptions
from receipting.wiring import build_dependencies
from receipting.worker import standard_jobs
from tests.conftest import TEST_SEAL_KEY
from tests.integration.webhooks.conftest import FakeClock, Receiver


def test_the_worker_delivers_due_webhooks_without_logging_the_secret(
    engine: Engine,
    db_url: str,
    session_factory: sessionmaker[Session],
    subscriptions: WebhookSubscriptions,
    clock: FakeClock,
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    created = subscriptions.create(
        service="parking", callback_url=receiver.url, event_types=["card_payment_expired"]
    )
    receiver.secret = created.secret
    with session_factory() as session, session.begin():
        enqueue(
            session,
            service="parking",
            event_type="card_payment_expired",
            resource_type="payment",
            resource_id="pay1",
            resource={"payment_id": "pay1"},
            now=clock(),
        )
    deps = build_dependencies(
        Settings(database_url=db_url, seal_key=TEST_SEAL_KEY), engine=engine, clock=clock
    )
    (job,) = [job for job in standard_jobs(deps) if job.name == "deliver-webhooks"]

    with caplog.at_level(logging.DEBUG):
        assert job.run() == 1

    assert receiver.received[0].signature_valid
    assert caplog.records, "an attempt is logged"
    assert all(created.secret not in record.getMessage() for record in caplog.records)
