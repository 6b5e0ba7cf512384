"""Our responses validate against GOV.UK Pay's own published OpenAPI schemas.

The spec lives beside the project (../shared/specs/govuk-pay-publicapi.json) and is read from
there, never copied in. It is OpenAPI 3.0.1: its schemas are JSON Schema with `nullable`, and
their `$ref`s point into components/schemas, which are resolved against the document itself.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.integration.payments.conftest import DECLINED_CARD, Api, ctax_payment

SPEC_PATH = Path(__file__).resolve().parents[4] / "shared" / "specs" / "govuk-pay-publicapi.json"
SPEC_URI = "urn:govuk-pay-publicapi"

pytestmark = pytest.mark.skipif(
    not SPEC_PATH.is_file(),
    reason="GOV.UK Pay's spec is not beside the project at ../shared/specs/; in CI it is.",
)


def _nullable_to_json_schema(node: Any) -> Any:
    if isinstance(node, dict):
        node = {key: _nullable_to_json_schema(value) for key, value in node.items()}
        if node.pop("nullable", False) and "type" in node:
            node["type"] = [node["type"], "null"]
        return node
    if isinstance(node, list):
        return [_nullable_to_json_schema(item) for item in node]
    return node


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return dict(_nullable_to_json_schema(json.loads(SPEC_PATH.read_text())))


def check(spec: dict[str, Any], schema_name: str, body: Any) -> None:
    resource = Resource.from_contents(copy.deepcopy(spec), default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
    schema = {"$ref": f"{SPEC_URI}#/components/schemas/{schema_name}"}
    errors = sorted(
        Draft202012Validator(schema, registry=registry).iter_errors(body), key=lambda e: e.path
    )
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def test_create_get_events_and_search_match_the_spec(
    api: Api, spec: dict[str, Any], ctax_refs: list[str]
) -> None:
    created = api.create(ctax_payment(ctax_refs[0]), **{"Idempotency-Key": "contract-1"})
    check(spec, "CreatePaymentResult", created.json)
    replay = api.create(ctax_payment(ctax_refs[0]), **{"Idempotency-Key": "contract-1"})
    check(spec, "CreatePaymentResult", replay.json)
    api.pay(created.json)
    payment_id = created.json["payment_id"]
    check(spec, "PaymentWithAllLinks", api.get(f"/v1/payments/{payment_id}").json)
    check(spec, "PaymentEvents", api.get(f"/v1/payments/{payment_id}/events").json)
    check(spec, "PaymentSearchResults", api.get("/v1/payments", display_size="1").json)
    declined = api.paid(ctax_payment(ctax_refs[1]), card=DECLINED_CARD)
    check(spec, "PaymentWithAllLinks", declined)


def test_delayed_capture_and_cancel_match_the_spec(
    api: Api, spec: dict[str, Any], ctax_refs: list[str]
) -> None:
    capturable = api.paid(ctax_payment(ctax_refs[0], delayed_capture=True))
    check(spec, "PaymentWithAllLinks", capturable)
    created = api.create(ctax_payment(ctax_refs[1])).json
    api.post(f"/v1/payments/{created['payment_id']}/cancel")
    check(spec, "PaymentWithAllLinks", api.get(f"/v1/payments/{created['payment_id']}").json)


def test_refund_responses_match_the_spec(
    api: Api, spec: dict[str, Any], ctax_refs: list[str]
) -> None:
    payment = api.paid(ctax_payment(ctax_refs[0], amount=5000))
    payment_id = payment["payment_id"]
    made = api.post(f"/v1/payments/{payment_id}/refunds", {"amount": 100})
    check(spec, "Refund", made.json)
    check(spec, "RefundForSearchResult", api.get(f"/v1/payments/{payment_id}/refunds").json)
    one = api.get(f"/v1/payments/{payment_id}/refunds/{made.json['refund_id']}")
    check(spec, "Refund", one.json)
    check(spec, "RefundSearchResults", api.get("/v1/refunds").json)


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/v1/payments", {"amount": 1}, 400),
        ("POST", "/v1/payments", {"amount": 1.5}, 422),
        ("GET", "/v1/payments/abcdefghijklmnopqrstuvwxyz", None, 404),
        ("GET", "/v1/payments/abcdefghijklmnopqrstuvwxyz/events", None, 404),
        ("POST", "/v1/payments/abcdefghijklmnopqrstuvwxyz/cancel", None, 404),
        ("POST", "/v1/payments/abcdefghijklmnopqrstuvwxyz/capture", None, 404),
        ("GET", "/v1/payments?state=nonsense", None, 422),
        ("POST", "/v1/payments/abcdefghijklmnopqrstuvwxyz/refunds", {"amount": 1}, 404),
        ("GET", "/v1/payments/abcdefghijklmnopqrstuvwxyz/refunds", None, 404),
        ("GET", "/v1/refunds?display_size=0", None, 422),
    ],
)
def test_error_bodies_match_the_spec(
    api: Api, spec: dict[str, Any], method: str, path: str, body: Any, status: int
) -> None:
    answer = api.client.simulate_request(method, path, json=body)
    assert answer.status_code == status, answer.json
    check(spec, "RequestError", answer.json)


def test_refusals_of_state_match_the_spec(
    api: Api, spec: dict[str, Any], ctax_refs: list[str]
) -> None:
    payment = api.paid(ctax_payment(ctax_refs[0], amount=5000))
    payment_id = payment["payment_id"]
    for answer in (
        api.post(f"/v1/payments/{payment_id}/cancel"),
        api.post(f"/v1/payments/{payment_id}/capture"),
        api.post(f"/v1/payments/{payment_id}/refunds", {"amount": 1, "refund_amount_available": 1}),
        api.create(ctax_payment(ctax_refs[0]), **{"Idempotency-Key": "x"}),
        api.create(ctax_payment(ctax_refs[0], amount=2), **{"Idempotency-Key": "x"}),
    ):
        check(
            spec,
            "RequestError" if answer.status_code >= 400 else "CreatePaymentResult",
            answer.json,
        )
