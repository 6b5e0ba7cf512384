"""Schemathesis against our own OpenAPI document: every operation, on SQLite and PostgreSQL.

For each operation of `/openapi.json`, Schemathesis generates requests from the document and sends
them to the app in-process (WSGI) with an API key holding every scope: requests the document
allows, and requests it forbids (wrong types, missing fields, values out of range) wherever there
is something to break. Each answer must not be a 5xx, must have a status code and content type
the operation documents, and a body matching the documented schema. Operations with path
parameters are run twice: once with generated ids, once with the ids of real resources seeded
beforehand (the demo council, a paid and partly refunded payment, a payment waiting on its card
page, a webhook subscription), so the answers for things that exist are checked too.

Where the document gives an operation no request body schema (so far the webhook subscription and
the sandbox card forms), `REQUEST_BODIES` describes what it accepts, for Schemathesis to vary; an
operation that gains its own `requestBody` in the document uses that instead.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import schemathesis
from falcon.testing import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

import receipting.council
from channels.web_checkout.channel import WebCheckoutChannel
from receipting.api import App
from receipting.app import create_app
from receipting.auth.keys import issue_key
from receipting.auth.scopes import Scope
from receipting.council.service import check_reference, load_council_config
from receipting.settings import Settings
from tests.conftest import TEST_SEAL_KEY

DEMO_COUNCIL = Path(receipting.council.__file__).parent / "demo_council.toml"
PUBLIC_URL = "https://pay.example-council.test"
SERVICE = "fuzzing"
SUCCESS_CARD = "4444333322221111"
CALLBACK_URL = "https://crm.example-council.test/hooks/pay"

# Generated requests per operation (and again with real ids where the path has any): enough to
# reach every documented field and the usual edge values, few enough that every operation on both
# databases stays well inside the suite's time limit.
MAX_EXAMPLES = 15

# The whole run for one operation on one database; far above what it needs (a second or two),
# there to turn a hang into a clear failure rather than the suite's timeout.
OPERATION_BUDGET_S = 60.0

# The fuzzing sends a few hundred requests with one key; the default per-key limit (600 a minute)
# is for clients, not for this, and a 429 would hide what the operation itself answers.
RATE_LIMIT_PER_MINUTE = 1_000_000

# Requests the document allows, and requests it forbids (wrong types, missing or unknown fields,
# out-of-range values): both must be answered without a 5xx and as documented.
GENERATION_MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

_FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')

# What each POST accepts, from its validators; used only while the document has no requestBody.
_ALLOCATION = {
    "type": "object",
    "properties": {
        "fund_code": {"type": "string"},
        "account_reference": {"type": "string"},
        "amount": {"type": "integer"},
        "narrative": {"type": "string"},
    },
}
REQUEST_BODIES: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {
    ("POST", "/v1/payments"): (
        "application/json",
        {
            "type": "object",
            "required": ["amount", "reference", "description", "return_url"],
            "properties": {
                "amount": {"type": "integer"},
                "reference": {"type": "string"},
                "description": {"type": "string"},
                "return_url": {"type": "string"},
                "language": {"type": "string", "enum": ["en", "cy"]},
                "email": {"type": "string"},
                "prefilled_cardholder_details": {"type": "object"},
                "delayed_capture": {"type": "boolean"},
                "moto": {"type": "boolean"},
                "metadata": {"type": "object"},
                "allocations": {"type": "array", "items": _ALLOCATION},
            },
        },
    ),
    ("POST", "/v1/payments/{paymentId}/refunds"): (
        "application/json",
        {
            "type": "object",
            "required": ["amount"],
            "properties": {
                "amount": {"type": "integer"},
                "refund_amount_available": {"type": "integer"},
            },
        },
    ),
    ("POST", "/v1/references/validate"): (
        "application/json",
        {
            "type": "object",
            "required": ["fund_code", "reference"],
            "properties": {"fund_code": {"type": "string"}, "reference": {"type": "string"}},
        },
    ),
    ("POST", "/v1/webhooks"): (
        "application/json",
        {
            "type": "object",
            "required": ["callback_url", "subscriptions"],
            "properties": {
                "callback_url": {"type": "string"},
                "description": {"type": "string"},
                "subscriptions": {"type": "array", "items": {"type": "string"}},
            },
        },
    ),
    ("POST", "/sandbox-gateway/pay/{gateway_ref}"): (
        "application/x-www-form-urlencoded",
        {
            "type": "object",
            "properties": {
                "form_token": {"type": "string"},
                "card_number": {"type": "string"},
                "expiry_month": {"type": "string"},
                "expiry_year": {"type": "string"},
                "cvc": {"type": "string"},
                "cardholder_name": {"type": "string"},
                "action": {"type": "string"},
            },
        },
    ),
    ("POST", "/sandbox-gateway/pay/{gateway_ref}/3ds"): (
        "application/x-www-form-urlencoded",
        {
            "type": "object",
            "properties": {
                "form_token": {"type": "string"},
                "action": {"type": "string"},
                "code": {"type": "string"},
            },
        },
    ),
}


def _settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        seal_key=TEST_SEAL_KEY,
        development=True,
        public_url=PUBLIC_URL,
        sandbox_gateway=True,
        rate_limit_per_minute=RATE_LIMIT_PER_MINUTE,
    )


def documented_operations() -> list[tuple[str, str]]:
    """(method, path) for every operation of the document. Building the app connects to nothing,
    so this needs no database."""
    app = create_app(_settings("sqlite://"), channels=[WebCheckoutChannel()])
    document = TestClient(app).simulate_get("/openapi.json").json
    return [(method.upper(), path) for path, item in document["paths"].items() for method in item]


def with_request_bodies(document: dict[str, Any]) -> dict[str, Any]:
    for (method, path), (media_type, schema) in REQUEST_BODIES.items():
        operation = document["paths"].get(path, {}).get(method.lower())
        if operation is not None and "requestBody" not in operation:
            operation["requestBody"] = {
                "required": True,
                "content": {media_type: {"schema": schema}},
            }
    return document


@dataclass
class Seeded:
    app: App
    key: str
    path_parameters: dict[str, str]
    payment_body: dict[str, Any]  # a body POST /v1/payments accepts


def _valid_ctax_reference(session_factory: sessionmaker[Session], body: str) -> str:
    with session_factory() as session:
        for check in "0123456789":
            if check_reference(session, "CTAX", body + check).valid:
                return body + check
    raise AssertionError(f"no council tax reference starts {body}")


def seed(engine: Engine, db_url: str, session_factory: sessionmaker[Session]) -> Seeded:
    """The demo council, a key with every scope, a paid and partly refunded payment, a second
    payment left on its card page, and a webhook subscription."""
    load_council_config(session_factory, DEMO_COUNCIL.read_bytes(), "demo_council.toml")
    key = issue_key(session_factory, name="Fuzzing", service=SERVICE, scopes=list(Scope))
    app = create_app(_settings(db_url), engine=engine, channels=[WebCheckoutChannel()])
    client = TestClient(app, headers={"Authorization": f"Bearer {key}"})
    reference = _valid_ctax_reference(session_factory, "77123456")
    body = {
        "amount": 10_000,
        "reference": "CT-FUZZ",
        "description": "Council tax",
        "return_url": "https://www.example-council.test/paid",
        "metadata": {"fund_code": "CTAX", "account_reference": reference},
    }
    paid = client.simulate_post("/v1/payments", json=body)
    assert paid.status_code == 201, paid.json
    card_page = urlsplit(paid.json["_links"]["next_url"]["href"]).path
    page = client.simulate_get(card_page)
    token = _FORM_TOKEN.search(page.text)
    assert token is not None, page.text
    form = {
        "form_token": token.group(1),
        "card_number": SUCCESS_CARD,
        "expiry_month": "12",
        "expiry_year": "2030",
        "cvc": "123",
        "cardholder_name": "Ann Payer",
        "action": "pay",
    }
    submitted = client.simulate_post(
        card_page,
        body=urlencode(form),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert submitted.status_code == 303, submitted.text
    payment_id = paid.json["payment_id"]
    # The engine learns the card page's outcome when the payment is next read, as on return.
    finished = client.simulate_get(f"/v1/payments/{payment_id}")
    assert finished.json["state"]["status"] == "success", finished.json
    refund = client.simulate_post(
        f"/v1/payments/{payment_id}/refunds",
        json={"amount": 1_000, "refund_amount_available": 10_000},
    )
    assert refund.status_code == 202, refund.json
    waiting = client.simulate_post("/v1/payments", json=body)
    assert waiting.status_code == 201, waiting.json
    webhook = client.simulate_post(
        "/v1/webhooks",
        json={"callback_url": CALLBACK_URL, "subscriptions": ["card_payment_succeeded"]},
    )
    assert webhook.status_code == 201, webhook.json
    return Seeded(
        app=app,
        key=key,
        payment_body=body,
        path_parameters={
            "paymentId": payment_id,
            "refundId": refund.json["refund_id"],
            "gateway_ref": urlsplit(waiting.json["_links"]["next_url"]["href"]).path.split("/")[3],
            "fund_code": "CTAX",
            "account_code": "FUND-CTAX",
            "webhook_id": webhook.json["webhook_id"],
            "item": "deadbeef",
            "name": "council.css",
            "saved_id": "1",
            "payment_id": payment_id,
        },
    )


@pytest.fixture
def seeded(engine: Engine, db_url: str, session_factory: sessionmaker[Session]) -> Seeded:
    return seed(engine, db_url, session_factory)


def fuzz(
    operation: Any,
    key: str,
    path_parameters: dict[str, str] | None,
    mode: GenerationMode,
) -> None:
    """Run one operation's generated cases; Hypothesis shrinks a failure to its smallest case."""
    headers = {"Authorization": f"Bearer {key}"}
    started = time.monotonic()
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: schemathesis.Case[Any]) -> None:
        assert time.monotonic() - started < OPERATION_BUDGET_S, (
            f"{operation.label} took over {OPERATION_BUDGET_S} s"
        )
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


OPERATIONS = documented_operations()


@pytest.mark.parametrize(
    ("method", "path"), OPERATIONS, ids=[f"{method} {path}" for method, path in OPERATIONS]
)
def test_every_generated_request_gets_a_documented_answer_and_never_a_server_error(
    seeded: Seeded, method: str, path: str
) -> None:
    document = TestClient(seeded.app).simulate_get("/openapi.json").json
    schema = schemathesis.openapi.from_dict(with_request_bodies(document))
    schema.app = seeded.app
    operation = schema[path][method]
    names = set(re.findall(r"{([^}]+)}", path))
    real_ids = {name: seeded.path_parameters[name] for name in names}
    for mode in GENERATION_MODES:
        if can_be_made_invalid(document, method, path, mode, ids_fixed=False):
            fuzz(operation, seeded.key, None, mode)
        if real_ids and can_be_made_invalid(document, method, path, mode, ids_fixed=True):
            fuzz(operation, seeded.key, real_ids, mode)


def can_be_made_invalid(
    document: dict[str, Any], method: str, path: str, mode: GenerationMode, *, ids_fixed: bool
) -> bool:
    """Whether `mode` has anything to generate. Positive generation always has; negative needs
    something to break: a query or header parameter, a JSON body, or (unless the seeded ids are
    fixed) a path parameter with a limit (a length, pattern, format or set of values). A path
    parameter that may be any string cannot be given a wrong type in a URL, nor can a form
    field, which is always text."""
    if mode is GenerationMode.POSITIVE:
        return True
    operation = document["paths"][path][method.lower()]
    json_body = "application/json" in operation.get("requestBody", {}).get("content", {})
    return json_body or any(
        parameter["in"] != "path" or (not ids_fixed and set(parameter["schema"]) - {"type"})
        for parameter in operation.get("parameters", [])
    )


# --- the smallest cases of what the fuzzing found -----------------------------------------------

NUL = "\x00"


@dataclass(frozen=True)
class NulCase:
    """A request with a NUL character in one text field. `path` may name seeded ids in braces;
    `payment_fields` are laid over a valid payment body."""

    label: str
    method: str
    path: str
    query: str | None = None
    body: dict[str, Any] | None = None
    payment_fields: dict[str, Any] | None = None


NUL_CASES = (
    NulCase(
        "fund code to validate",
        "POST",
        "/v1/references/validate",
        body={"fund_code": NUL, "reference": "1"},
    ),
    NulCase("fund code in the path", "GET", "/v1/funds/%00"),
    NulCase("payment search by reference", "GET", "/v1/payments", query="reference=%00"),
    NulCase("payment search by email", "GET", "/v1/payments", query="email=%00"),
    NulCase("payment search by cardholder", "GET", "/v1/payments", query="cardholder_name=%00"),
    NulCase("payment id", "GET", "/v1/payments/%00"),
    NulCase("payment id to cancel", "POST", "/v1/payments/%00/cancel"),
    NulCase("refund id", "GET", "/v1/payments/{paymentId}/refunds/%00"),
    NulCase("payment reference", "POST", "/v1/payments", payment_fields={"reference": NUL}),
    NulCase("payment description", "POST", "/v1/payments", payment_fields={"description": NUL}),
    NulCase(
        "payment fund code",
        "POST",
        "/v1/payments",
        payment_fields={"metadata": {"fund_code": NUL, "account_reference": "1"}},
    ),
    NulCase(
        "webhook description",
        "POST",
        "/v1/webhooks",
        body={
            "callback_url": CALLBACK_URL,
            "subscriptions": ["card_payment_succeeded"],
            "description": NUL,
        },
    ),
    NulCase(
        "webhook callback URL",
        "POST",
        "/v1/webhooks",
        body={"callback_url": CALLBACK_URL + NUL, "subscriptions": ["card_payment_succeeded"]},
    ),
    NulCase("webhook id", "GET", "/v1/webhooks/%00"),
    NulCase("card page reference", "GET", "/sandbox-gateway/pay/%00"),
    NulCase("ledger account code", "GET", "/v1/ledger/accounts/%00/balance"),
)


# Found by the fuzzing run: PostgreSQL refuses a NUL in text, so one that reached a query was a
# 500 there (and stored on SQLite). Every NUL in a path, query or JSON body is now refused up front.
@pytest.mark.parametrize("case", NUL_CASES, ids=[case.label for case in NUL_CASES])
def test_a_nul_character_anywhere_in_a_request_is_refused_before_the_database(
    seeded: Seeded, case: NulCase
) -> None:
    client = TestClient(seeded.app, headers={"Authorization": f"Bearer {seeded.key}"})
    body = case.body
    if case.payment_fields is not None:
        body = {**seeded.payment_body, **case.payment_fields}
    answer = client.simulate_request(
        case.method,
        case.path.format(**seeded.path_parameters),
        query_string=case.query,
        json=body,
    )

    assert answer.status_code < 500, answer.text
    assert answer.status_code == 400, answer.text  # refused before anything reads the database
