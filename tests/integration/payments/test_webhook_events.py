"""Each state change with a webhook event writes it to the outbox in the same transaction."""

from __future__ import annotations

import json

from sqlalchemy import select

from receipting.webhooks.subscriptions import WebhookSubscriptions
from receipting.webhooks.tables import EVENT_TYPES, WebhookMessageRow
from tests.integration.payments.conftest import SERVICE, Api, ctax_payment


def messages(api: Api) -> list[WebhookMessageRow]:
    with api.session_factory() as session:
        return list(session.scalars(select(WebhookMessageRow).order_by(WebhookMessageRow.id)))


def test_paying_and_refunding_announce_started_succeeded_captured_and_refunded(
    api: Api, ctax_refs: list[str]
) -> None:
    WebhookSubscriptions(api.session_factory, clock=api.clock).create(
        service=SERVICE,
        callback_url="https://crm.example-council.test/hooks",
        event_types=EVENT_TYPES,
    )
    payment = api.paid(ctax_payment(ctax_refs[0], amount=500))
    api.post(f"/v1/payments/{payment['payment_id']}/refunds", {"amount": 100})
    sent = messages(api)
    assert [m.event_type for m in sent] == [
        "card_payment_started",
        "card_payment_succeeded",
        "card_payment_captured",
        "card_payment_refunded",
    ]
    assert {m.resource_id for m in sent} == {payment["payment_id"]}


def test_another_services_subscription_hears_nothing(api: Api, ctax_refs: list[str]) -> None:
    WebhookSubscriptions(api.session_factory, clock=api.clock).create(
        service="someone-else",
        callback_url="https://crm.example-council.test/hooks",
        event_types=EVENT_TYPES,
    )
    api.paid(ctax_payment(ctax_refs[0], amount=500))
    assert messages(api) == []


def test_an_expired_payment_announces_card_payment_expired(api: Api, ctax_refs: list[str]) -> None:
    from receipting.payments.jobs import PaymentJobs

    WebhookSubscriptions(api.session_factory, clock=api.clock).create(
        service=SERVICE,
        callback_url="https://crm.example-council.test/hooks",
        event_types=["card_payment_expired"],
    )
    created = api.create(ctax_payment(ctax_refs[0])).json
    api.clock.advance(minutes=91)
    assert PaymentJobs(api.payments, api.clock).expire() == 1
    (message,) = messages(api)
    assert message.event_type == "card_payment_expired"
    assert created["payment_id"] in json.dumps(message.resource_id)
