"""The webhooks API: subscriptions and the delivery log, per service, behind the
`webhooks:manage` scope; every answer held against the OpenAPI document's schema."""

from __future__ import annotations

from typing import Any

import pytest
from falcon.testing import Result, TestClient
from sqlalchemy.orm import Session, sessionmaker

from receipting.auth.scopes import Scope
from receipting.webhooks.delivery import WebhookDeliverer
from receipting.webhooks.outbox import enqueue
from receipting.webhooks.signing import verify
from receipting.webhooks.subscriptions import MAX_DELIVERY_LOG_LIMIT
from tests.integration.receipting.schema_check import schema_problems
from tests.integration.webhooks.conftest import MANAGE_KEY_SERVICE, FakeClock, Receiver, issue

HTTPS_URL = "https://crm.example-council.gov.uk/pay-events"


def _conforms(api: TestClient, result: Result, path: str, method: str) -> None:
    document = api.simulate_get("/openapi.json").json
    responses = document["paths"][path][method]["responses"]
    spec = responses.get(str(result.status_code), responses["default"])
    schema = spec["content"]["application/json"]["schema"]
    assert schema_problems(result.json, schema, document["components"]["schemas"]) == []


def _create(api: TestClient, headers: dict[str, str], **body: Any) -> Result:
    body.setdefault("callback_url", HTTPS_URL)
    body.setdefault("subscriptions", ["card_payment_succeeded"])
    return api.simulate_post("/v1/webhooks", json=body, headers=headers)


def test_a_webhook_is_created_with_its_secret_shown_once(
    api: TestClient, manage: dict[str, str]
) -> None:
    created = _create(
        api,
        manage,
        description="Revenues CRM",
        subscriptions=["card_payment_refunded", "card_payment_succeeded"],
    )

    assert created.status_code == 201
    _conforms(api, created, "/v1/webhooks", "post")
    body = created.json
    webhook_id = body["webhook_id"]
    assert created.headers["location"] == f"/v1/webhooks/{webhook_id}"
    assert body["service"] == MANAGE_KEY_SERVICE
    assert body["status"] == "active"
    assert body["subscriptions"] == ["card_payment_succeeded", "card_payment_refunded"]
    assert body["signing_secret"].startswith("webhook_secret_")

    fetched = api.simulate_get(f"/v1/webhooks/{webhook_id}", headers=manage)
    assert fetched.status_code == 200
    _conforms(api, fetched, "/v1/webhooks/{webhook_id}", "get")
    listed = api.simulate_get("/v1/webhooks", headers=manage)
    _conforms(api, listed, "/v1/webhooks", "get")
    assert [w["webhook_id"] for w in listed.json["results"]] == [webhook_id]
    for shown in (fetched.text, listed.text):
        assert body["signing_secret"] not in shown


def test_a_webhook_can_be_disabled(api: TestClient, manage: dict[str, str]) -> None:
    webhook_id = _create(api, manage).json["webhook_id"]

    disabled = api.simulate_post(f"/v1/webhooks/{webhook_id}/disable", headers=manage)

    assert disabled.status_code == 200
    _conforms(api, disabled, "/v1/webhooks/{webhook_id}/disable", "post")
    assert disabled.json["status"] == "disabled"
    again = api.simulate_get(f"/v1/webhooks/{webhook_id}", headers=manage)
    assert again.json["status"] == "disabled"


def test_rotating_the_secret_shows_a_new_one(api: TestClient, manage: dict[str, str]) -> None:
    created = _create(api, manage).json

    rotated = api.simulate_post(
        f"/v1/webhooks/{created['webhook_id']}/rotate-secret", headers=manage
    )

    assert rotated.status_code == 200
    _conforms(api, rotated, "/v1/webhooks/{webhook_id}/rotate-secret", "post")
    assert rotated.json["signing_secret"] != created["signing_secret"]


def test_the_delivery_log_shows_each_message_and_attempt_of_a_real_delivery(
    api: TestClient,
    manage: dict[str, str],
    session_factory: sessionmaker[Session],
    clock: FakeClock,
    receiver: Receiver,
) -> None:
    created = _create(api, manage, callback_url=receiver.url).json
    receiver.secret = created["signing_secret"]
    with session_factory() as session, session.begin():
        enqueue(
            session,
            service=MANAGE_KEY_SERVICE,
            event_type="card_payment_succeeded",
            resource_type="payment",
            resource_id="pay1",
            resource={"payment_id": "pay1"},
            now=clock(),
        )
    receiver.status = 500
    WebhookDeliverer(session_factory, clock=clock).deliver_due()

    path = f"/v1/webhooks/{created['webhook_id']}/deliveries"
    log = api.simulate_get(path, headers=manage)

    assert log.status_code == 200
    _conforms(api, log, "/v1/webhooks/{webhook_id}/deliveries", "get")
    (message,) = log.json["results"]
    assert message["webhook_message_id"] == receiver.received[0].json()["webhook_message_id"]
    assert message["status"] == "pending"
    assert message["next_attempt_date"] == "2026-11-24T09:01:00.000Z"
    (attempt,) = message["attempts"]
    assert (attempt["result"], attempt["status_code"]) == ("http_error", 500)
    assert verify(receiver.received[0].body, created["signing_secret"], _signature(receiver))


def _signature(receiver: Receiver) -> str:
    return receiver.received[0].headers["Pay-Signature"]


def test_a_key_sees_only_its_own_services_webhooks(
    api: TestClient, manage: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    webhook_id = _create(api, manage).json["webhook_id"]
    parking = issue(session_factory, Scope.WEBHOOKS_MANAGE, service="parking")

    assert api.simulate_get("/v1/webhooks", headers=parking).json["results"] == []
    for method, path in (
        ("GET", f"/v1/webhooks/{webhook_id}"),
        ("POST", f"/v1/webhooks/{webhook_id}/disable"),
        ("POST", f"/v1/webhooks/{webhook_id}/rotate-secret"),
        ("GET", f"/v1/webhooks/{webhook_id}/deliveries"),
    ):
        answer = api.simulate_request(method, path, headers=parking)
        assert answer.status_code == 404, (method, path)
        assert answer.json["code"] == "WEBHOOK_NOT_FOUND"
    assert api.simulate_get(f"/v1/webhooks/{webhook_id}", headers=manage).json["status"] == (
        "active"
    )


def test_webhooks_need_a_key_with_the_manage_scope(
    api: TestClient, session_factory: sessionmaker[Session]
) -> None:
    payments_only = issue(session_factory, Scope.PAYMENTS_WRITE, Scope.PAYMENTS_READ)

    assert api.simulate_get("/v1/webhooks").status_code == 401
    assert _create(api, {}).status_code == 401
    assert api.simulate_get("/v1/webhooks", headers=payments_only).status_code == 403
    assert _create(api, payments_only).status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"callback_url": "http://crm.example-council.gov.uk/x"}, "callback_url"),
        ({"callback_url": "ftp://crm.example-council.gov.uk/x"}, "callback_url"),
        ({"callback_url": "https://user:pw@crm.example-council.gov.uk/x"}, "callback_url"),
        ({"callback_url": "https://"}, "callback_url"),
        ({"callback_url": 7}, "callback_url"),
        ({"callback_url": "https://crm.example/" + "x" * 2100}, "callback_url"),
        ({"subscriptions": []}, "subscriptions"),
        ({"subscriptions": ["card_payment_succeded"]}, "subscriptions"),
        ({"subscriptions": "card_payment_succeeded"}, "subscriptions"),
        ({"description": "x" * 201}, "description"),
        ({"description": 5}, "description"),
        ({"secret": "mine"}, "secret"),
    ],
)
def test_a_bad_webhook_is_refused_naming_the_field_and_nothing_is_created(
    api: TestClient, manage: dict[str, str], body: dict[str, Any], field: str
) -> None:
    refused = _create(api, manage, **body)

    assert refused.status_code == 400
    _conforms(api, refused, "/v1/webhooks", "post")
    assert refused.json["code"] == "WEBHOOK_INVALID"
    assert refused.json["field"] == field
    assert api.simulate_get("/v1/webhooks", headers=manage).json["results"] == []


def test_plain_http_is_accepted_for_a_loopback_receiver(
    api: TestClient, manage: dict[str, str]
) -> None:
    for url in ("http://127.0.0.1:8080/x", "http://localhost/x", "http://[::1]:9000/x"):
        assert _create(api, manage, callback_url=url).status_code == 201, url


def test_a_body_that_is_not_an_object_is_refused(api: TestClient, manage: dict[str, str]) -> None:
    refused = api.simulate_post("/v1/webhooks", json=["https://x"], headers=manage)

    assert refused.status_code == 400
    assert refused.json["code"] == "WEBHOOK_INVALID"


@pytest.mark.parametrize("limit", ["0", str(MAX_DELIVERY_LOG_LIMIT + 1), "ten", "-1"])
def test_a_delivery_log_limit_out_of_range_is_refused(
    api: TestClient, manage: dict[str, str], limit: str
) -> None:
    webhook_id = _create(api, manage).json["webhook_id"]

    refused = api.simulate_get(
        f"/v1/webhooks/{webhook_id}/deliveries", params={"limit": limit}, headers=manage
    )

    assert refused.status_code == 400
    assert refused.json["field"] == "limit"


def test_every_webhook_route_is_in_the_openapi_document(api: TestClient) -> None:
    paths = api.simulate_get("/openapi.json").json["paths"]

    assert set(paths["/v1/webhooks"]) == {"get", "post"}
    for path in ("/disable", "/rotate-secret", "/deliveries", ""):
        assert f"/v1/webhooks/{{webhook_id}}{path}" in paths
