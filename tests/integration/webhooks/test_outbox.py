"""The outbox: one message per wanting subscription, in the caller's transaction, GOV.UK Pay's
payload shape, bytes fixed when queued."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from receipting.webhooks.errors import UnknownEventType
from receipting.webhooks.outbox import enqueue
from receipting.webhooks.subscriptions import WebhookSubscriptions
from receipting.webhooks.tables import MESSAGE_PENDING, WebhookMessageRow
from tests.integration.webhooks.conftest import FakeClock

PAYMENT = {
    "payment_id": "hu20sqlact5260q2nanm0q8u93",
    "amount": 14500,
    "reference": "12345678",
    "state": {"status": "success", "finished": True},
    "created_date": "2026-11-24T08:59:00.000Z",
}


def _enqueue(session: Session, clock: FakeClock, *, service: str = "council-tax") -> None:
    enqueue(
        session,
        service=service,
        event_type="card_payment_succeeded",
        resource_type="payment",
        resource_id=PAYMENT["payment_id"],  # type: ignore[arg-type]
        resource=PAYMENT,
        now=clock(),
    )


def _messages(session_factory: sessionmaker[Session]) -> list[WebhookMessageRow]:
    with session_factory() as session:
        return list(session.scalars(select(WebhookMessageRow).order_by(WebhookMessageRow.id)))


def test_a_message_is_queued_for_each_active_subscription_that_wants_the_event(
    session_factory: sessionmaker[Session], subscriptions: WebhookSubscriptions, clock: FakeClock
) -> None:
    wants = subscriptions.create(
        service="council-tax",
        callback_url="https://crm.example.gov.uk/a",
        event_types=["card_payment_succeeded", "card_payment_failed"],
    )
    subscriptions.create(
        service="council-tax",
        callback_url="https://crm.example.gov.uk/b",
        event_types=["card_payment_refunded"],
    )
    disabled = subscriptions.create(
        service="council-tax",
        callback_url="https://crm.example.gov.uk/c",
        event_types=["card_payment_succeeded"],
    )
    subscriptions.disable(disabled.subscription.webhook_id, service="council-tax")
    subscriptions.create(
        service="parking",
        callback_url="https://parking.example.gov.uk/d",
        event_types=["card_payment_succeeded"],
    )
    with session_factory() as session, session.begin():
        _enqueue(session, clock)

    messages = _messages(session_factory)
    assert len(messages) == 1
    message = messages[0]
    assert message.status == MESSAGE_PENDING
    assert message.attempts == 0
    assert message.next_attempt_at == clock()
    sent_to = subscriptions.deliveries(wants.subscription.webhook_id, service="council-tax")
    assert [m.webhook_message_id for m in sent_to] == [message.external_id]


def test_the_body_has_exactly_the_fields_of_a_govuk_pay_webhook(
    session_factory: sessionmaker[Session], subscriptions: WebhookSubscriptions, clock: FakeClock
) -> None:
    subscriptions.create(
        service="council-tax",
        callback_url="https://crm.example.gov.uk/a",
        event_types=["card_payment_succeeded"],
    )
    clock.now = datetime(2026, 11, 24, 10, 36, 26, 988_123, tzinfo=UTC)
    with session_factory() as session, session.begin():
        _enqueue(session, clock)

    (message,) = _messages(session_factory)
    assert json.loads(message.body) == {
        "webhook_message_id": message.external_id,
        "api_version": 1,
        "created_date": "2026-11-24T10:36:26.988Z",
        "resource_id": PAYMENT["payment_id"],
        "resource_type": "payment",
        "event_type": "card_payment_succeeded",
        "resource": PAYMENT,
    }
    assert len(message.external_id) == 26
    assert message.body.isascii()


def test_messages_roll_back_with_the_change_they_announce(
    session_factory: sessionmaker[Session], subscriptions: WebhookSubscriptions, clock: FakeClock
) -> None:
    subscriptions.create(
        service="council-tax",
        callback_url="https://crm.example.gov.uk/a",
        event_types=["card_payment_succeeded"],
    )
    with pytest.raises(RuntimeError), session_factory() as session, session.begin():
        _enqueue(session, clock)
        raise RuntimeError("the payment's own write failed")

    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(WebhookMessageRow)) == 0


def test_enqueue_leaves_committing_to_the_caller(
    session_factory: sessionmaker[Session], subscriptions: WebhookSubscriptions, clock: FakeClock
) -> None:
    subscriptions.create(
        service="council-tax",
        callback_url="https://crm.example.gov.uk/a",
        event_types=["card_payment_succeeded"],
    )
    with session_factory() as session:
        session.begin()
        _enqueue(session, clock)
        assert session.in_transaction()
        session.rollback()

    assert _messages(session_factory) == []


def test_a_service_with_no_subscriptions_queues_nothing(
    session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    with session_factory() as session, session.begin():
        _enqueue(session, clock, service="nobody-listens")

    assert _messages(session_factory) == []


def test_an_unknown_event_type_is_refused_so_a_typo_is_not_silently_dropped(
    session_factory: sessionmaker[Session], clock: FakeClock
) -> None:
    with session_factory() as session, session.begin(), pytest.raises(UnknownEventType) as caught:
        enqueue(
            session,
            service="council-tax",
            event_type="card_payment_succeded",
            resource_type="payment",
            resource_id="x",
            resource={},
            now=clock(),
        )
    assert "card_payment_succeeded" in caught.value.message
