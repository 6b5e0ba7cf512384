"""Delivery to a real HTTP receiver on loopback that verifies every signature: success, a
receiver that is down, slow or failing, the retry schedule, giving up, and a worker that dies
between sending and recording."""

from __future__ import annotations

import json
from datetime import timedelta
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from receipting.webhooks.delivery import (
    LEASE_DURATION,
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    WebhookDeliverer,
    claim_due,
    post_json,
    request_headers,
)
from receipting.webhooks.outbox import enqueue
from receipting.webhooks.subscriptions import Message, WebhookSubscriptions
from receipting.webhooks.tables import (
    ATTEMPT_CONNECTION_ERROR,
    ATTEMPT_HTTP_ERROR,
    ATTEMPT_SUCCEEDED,
    ATTEMPT_TIMEOUT,
    MESSAGE_DELIVERED,
    MESSAGE_FAILED,
    MESSAGE_PENDING,
    WebhookMessageRow,
)
from tests.integration.webhooks.conftest import FakeClock, Receiver

SERVICE = "council-tax"
# Far shorter than the real timeout, and far shorter than the slow receiver's delay below.
SHORT_TIMEOUT_S = 0.3
SLOW_RECEIVER_DELAY_S = 1.5


def _subscribe(subscriptions: WebhookSubscriptions, url: str) -> tuple[str, str]:
    created = subscriptions.create(
        service=SERVICE,
        callback_url=url,
        event_types=["card_payment_succeeded", "card_payment_refunded"],
        description="CRM",
    )
    return created.subscription.webhook_id, created.secret


def _announce(
    session_factory: sessionmaker[Session], clock: FakeClock, payment_id: str = "pay1"
) -> None:
    with session_factory() as session, session.begin():
        enqueue(
            session,
            service=SERVICE,
            event_type="card_payment_succeeded",
            resource_type="payment",
            resource_id=payment_id,
            resource={"payment_id": payment_id, "amount": 2500, "description": "Rates £ 2026"},
            now=clock(),
        )


def _log(subscriptions: WebhookSubscriptions, webhook_id: str) -> Message:
    (message,) = subscriptions.deliveries(webhook_id, service=SERVICE)
    return message


def test_a_message_is_delivered_signed_and_logged(
    session_factory: sessionmaker[Session],
    subscriptions: WebhookSubscriptions,
    clock: FakeClock,
    receiver: Receiver,
) -> None:
    webhook_id, receiver.secret = _subscribe(subscriptions, receiver.url)
    _announce(session_factory, clock)
    deliverer = WebhookDeliverer(session_factory, clock=clock)

    assert deliverer.deliver_due() == 1

    (received,) = receiver.received
    assert received.signature_valid
    assert received.path == "/pay-events"
    assert received.headers["Content-Type"] == "application/json"
    assert received.headers["Pay-Signature"] == received.headers["Pay-Signature"].lower()
    payload = received.json()
    assert set(payload) == {
        "webhook_message_id",
        "api_version",
        "created_date",
        "resource_id",
        "resource_type",
        "event_type",
        "resource",
    }
    assert payload["event_type"] == "card_payment_succeeded"
    assert payload["resource"]["description"] == "Rates £ 2026"
    message = _log(subscriptions, webhook_id)
    assert message.webhook_message_id == payload["webhook_message_id"]
    assert message.status == MESSAGE_DELIVERED
    assert message.finished_at == clock()
    (attempt,) = message.attempts
    assert (attempt.result, attempt.status_code, attempt.error) == (ATTEMPT_SUCCEEDED, 204, None)
    assert attempt.duration_ms >= 0
    assert deliverer.deliver_due() == 0


def test_a_receiver_that_is_down_is_retried_on_schedule_and_then_given_up(
    session_factory: sessionmaker[Session],
    subscriptions: WebhookSubscriptions,
    clock: FakeClock,
    closed_port: int,
) -> None:
    webhook_id, _ = _subscribe(subscriptions, f"http://127.0.0.1:{closed_port}/pay-events")
    _announce(session_factory, clock)
    deliverer = WebhookDeliverer(session_factory, clock=clock)

    assert deliverer.deliver_due() == 1
    for attempt_number, delay in enumerate(RETRY_DELAYS, start=2):
        message = _log(subscriptions, webhook_id)
        assert message.status == MESSAGE_PENDING
        assert message.next_attempt_at == clock() + delay
        clock.advance(delay - timedelta(seconds=1))
        assert deliverer.deliver_due() == 0, "retried before its back-off was up"
        clock.advance(timedelta(seconds=1))
        assert deliverer.deliver_due() == 1
        assert len(_log(subscriptions, webhook_id).attempts) == attempt_number

    message = _log(subscriptions, webhook_id)
    assert message.status == MESSAGE_FAILED
    assert message.next_attempt_at is None
    assert len(message.attempts) == MAX_ATTEMPTS == 6
    assert {a.result for a in message.attempts} == {ATTEMPT_CONNECTION_ERROR}
    assert all(a.status_code is None and a.error for a in message.attempts)
    clock.advance(timedelta(days=30))
    assert deliverer.deliver_due() == 0


def test_a_slow_receiver_is_logged_as_a_timeout_and_retried(
    session_factory: sessionmaker[Session],
    subscriptions: WebhookSubscriptions,
    clock: FakeClock,
    receiver: Receiver,
) -> None:
    webhook_id, receiver.secret = _subscribe(subscriptions, receiver.url)
    _announce(session_factory, clock)
    receiver.delay_s = SLOW_RECEIVER_DELAY_S
    deliverer = WebhookDeliverer(
        session_factory, clock=clock, send=partial(post_json, timeout_s=SHORT_TIMEOUT_S)
    )

    assert deliverer.deliver_due() == 1
    message = _log(subscriptions, webhook_id)
    (attempt,) = message.attempts
    assert attempt.result == ATTEMPT_TIMEOUT
    assert attempt.status_code is None
    assert SHORT_TIMEOUT_S * 1000 <= attempt.duration_ms < SLOW_RECEIVER_DELAY_S * 1000
    assert message.status == MESSAGE_PENDING
    assert message.next_attempt_at == clock() + RETRY_DELAYS[0]

    receiver.delay_s = 0
    clock.advance(RETRY_DELAYS[0])
    assert deliverer.deliver_due() == 1
    assert _log(subscriptions, webhook_id).status == MESSAGE_DELIVERED
    first, second = receiver.received
    assert first.body == second.body, "a retry must send (and sign) the very same bytes"
    assert first.signature_valid and second.signature_valid


def test_a_receiver_answering_500_is_retried_until_it_accepts(
    session_factory: sessionmaker[Session],
    subscriptions: WebhookSubscriptions,
    clock: FakeClock,
    receiver: Receiver,
) -> None:
    webhook_id, receiver.secret = _subscribe(subscriptions, receiver.url)
    _announce(session_factory, clock)
    deliverer = WebhookDeliverer(session_factory, clock=clock)

    receiver.status = 500
    assert deliverer.deliver_due() == 1
    clock.advance(RETRY_DELAYS[0])
    receiver.status = 200
    assert deliverer.deliver_due() == 1

    message = _log(subscriptions, webhook_id)
    assert message.status == MESSAGE_DELIVERED
    assert [(a.result, a.status_code) for a in message.attempts] == [
        (ATTEMPT_HTTP_ERROR, 500),
        (ATTEMPT_SUCCEEDED, 200),
    ]
    assert [a.attempt_number for a in message.attempts] == [1, 2]
    assert "500" in (message.attempts[0].error or "")


def test_a_receiver_that_always_fails_ends_as_failed_after_the_last_retry(
    session_factory: sessionmaker[Session],
    subscriptions: WebhookSubscriptions,
    clock: FakeClock,
    receiver: Receiver,
) -> None:
    webhook_id, receiver.secret = _subscribe(subscriptions, receiver.url)
    _announce(session_factory, clock)
    receiver.status = 503
    deliverer = WebhookDeliverer(session_factory, clock=clock)

    assert deliverer.deliver_due() == 1
    for delay in RETRY_DELAYS:
        clock.advance(delay)
        assert deliverer.deliver_due() == 1

    message = _log(subscriptions, webhook_id)
    assert message.status == MESSAGE_FAILED
    assert message.finished_at == clock()
    assert [a.status_code for a in message.attempts] == [503] * MAX_ATTEMPTS
    assert len(receiver.received) == MAX_ATTEMPTS
    assert all(item.signature_valid for item in receiver.received)


def test_a_redirect_is_not_followed_but_logged_as_a_failed_attempt(
    session_factory: sessionmaker[Session],
    subscriptions: WebhookSubscriptions,
    clock: FakeClock,
    receiver: Receiver,
) -> None:
    webhook_id, receiver.secret = _subscribe(subscriptions, receiver.url)
    _announce(session_factory, clock)
    receiver.status = 302

    assert WebhookDeliverer(session_factory, clock=clock).deliver_due() == 1

    (attempt,) = _log(subscriptions, webhook_id).attempts
    assert (attempt.result, attempt.status_code) == (ATTEMPT_HTTP_ERROR, 302)
    assert len(receiver.received) == 1


def test_a_worker_that_dies_after_sending_leaves_the_message_to_be_sent_again(
    session_factory: sessionmaker[Session],
    subscriptions: WebhookSubscriptions,
    clock: FakeClock,
    receiver: Receiver,
) -> None:
    webhook_id, receiver.secret = _subscribe(subscriptions, receiver.url)
    _announce(session_factory, clock)
    # The dead worker: it claimed and sent, then vanished before recording anything.
    with session_factory() as session, session.begin():
        (claimed,) = claim_due(session, now=clock())
    body = claimed.body.encode()
    post_json(claimed.callback_url, body, request_headers(body, claimed.secret))
    deliverer = WebhookDeliverer(session_factory, clock=clock)

    assert deliverer.deliver_due() == 0, "claimed by a worker whose lease has not run out"
    clock.advance(LEASE_DURATION)
    assert deliverer.deliver_due() == 1

    assert receiver.message_ids() == [claimed.external_id] * 2
    message = _log(subscriptions, webhook_id)
    assert message.status == MESSAGE_DELIVERED
    assert len(message.attempts) == 1


def test_a_late_record_from_a_worker_whose_lease_ran_out_does_not_undo_a_delivery(
    session_factory: sessionmaker[Session],
    subscriptions: WebhookSubscriptions,
    clock: FakeClock,
    receiver: Receiver,
) -> None:
    from receipting.webhooks.delivery import SendResult, record_attempt

    webhook_id, receiver.secret = _subscribe(subscriptions, receiver.url)
    _announce(session_factory, clock)
    with session_factory() as session, session.begin():
        (stale,) = claim_due(session, now=clock())
    clock.advance(LEASE_DURATION)
    assert WebhookDeliverer(session_factory, clock=clock).deliver_due() == 1

    with session_factory() as session, session.begin():
        record_attempt(
            session, stale, SendResult(ATTEMPT_TIMEOUT, None, 10_000, "TimeoutError"), now=clock()
        )

    message = _log(subscriptions, webhook_id)
    assert message.status == MESSAGE_DELIVERED
    assert sorted(a.result for a in message.attempts) == [ATTEMPT_SUCCEEDED, ATTEMPT_TIMEOUT]


def test_messages_of_a_disabled_subscription_are_not_sent(
    session_factory: sessionmaker[Session],
    subscriptions: WebhookSubscriptions,
    clock: FakeClock,
    receiver: Receiver,
) -> None:
    webhook_id, receiver.secret = _subscribe(subscriptions, receiver.url)
    _announce(session_factory, clock)
    subscriptions.disable(webhook_id, service=SERVICE)

    assert WebhookDeliverer(session_factory, clock=clock).deliver_due() == 0
    assert receiver.received == []
    assert _log(subscriptions, webhook_id).status == MESSAGE_PENDING


def test_a_rotated_secret_signs_messages_queued_before_the_rotation(
    session_factory: sessionmaker[Session],
    subscriptions: WebhookSubscriptions,
    clock: FakeClock,
    receiver: Receiver,
) -> None:
    webhook_id, old_secret = _subscribe(subscriptions, receiver.url)
    _announce(session_factory, clock)
    receiver.secret = subscriptions.rotate_secret(webhook_id, service=SERVICE).secret
    assert receiver.secret != old_secret

    assert WebhookDeliverer(session_factory, clock=clock).deliver_due() == 1
    assert receiver.received[0].signature_valid


def test_a_backlog_larger_than_a_batch_is_delivered_in_one_pass_in_order_queued(
    session_factory: sessionmaker[Session],
    subscriptions: WebhookSubscriptions,
    clock: FakeClock,
    receiver: Receiver,
) -> None:
    _, receiver.secret = _subscribe(subscriptions, receiver.url)
    for n in range(7):
        _announce(session_factory, clock, payment_id=f"pay{n}")
        clock.advance(timedelta(seconds=1))

    assert WebhookDeliverer(session_factory, clock=clock, batch_size=3).deliver_due() == 7

    assert [json.loads(r.body)["resource_id"] for r in receiver.received] == [
        f"pay{n}" for n in range(7)
    ]
    with session_factory() as session:
        statuses = set(session.scalars(select(WebhookMessageRow.status)))
    assert statuses == {MESSAGE_DELIVERED}
