"""Card payments end to end through a real gunicorn: the API, the sandbox card page driven over
HTTP as a browser would (without following the redirect off to the service), the ledger and the
receipt. Expiry is driven by running the worker's job with a clock moved on. A webhook is
delivered by `receipting worker --once` (a real process) to a real receiver on loopback, which
checks the Pay-Signature before believing a word of it."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from sqlalchemy.orm import Session, sessionmaker

from ledger.service import LedgerService
from receipting.auth.keys import issue_key
from receipting.auth.scopes import Scope
from receipting.council.service import check_reference, load_council_config
from receipting.gateways.sandbox.gateway import SandboxGateway
from receipting.payments.jobs import PaymentJobs
from receipting.payments.service import PaymentService
from tests.conftest import TEST_SEAL_KEY
from tests.e2e.test_gunicorn_serves_app import (
    REPO_ROOT,
    REQUEST_TIMEOUT_S,
    Server,
    free_port,
    running_gunicorn,
)

pytestmark = pytest.mark.e2e

DEMO_COUNCIL = REPO_ROOT / "receipting" / "council" / "demo_council.toml"
RETURN_URL = "https://www.example-council.test/paid"
SUCCESS_CARD = "4444333322221111"
DECLINED_CARD = "4000000000000002"
ERROR_CARD = "4000000000000119"

_FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


@dataclass
class Engine:
    """The running engine, and the one API key this test's service holds."""

    server: Server
    key: str
    session_factory: sessionmaker[Session]
    ledger: LedgerService

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> Answer:
        return self.server_call(self.key, method, path, body, **headers)

    def server_call(
        self, key: str, method: str, path: str, body: Any = None, **headers: str
    ) -> Answer:
        """A call with `key` (this service's payments key, or another)."""
        data = None if body is None else json.dumps(body).encode()
        all_headers = {"Authorization": f"Bearer {key}", **headers}
        if data is not None:
            all_headers["Content-Type"] = "application/json"
        return _request(self.server.base_url, method, path, data, all_headers, json_body=True)

    def pay_on_card_page(self, payment: dict[str, Any], card: str) -> Answer:
        """GET the hosted card page, then POST its form, as the payer's browser would."""
        next_url = payment["_links"]["next_url"]["href"]
        path = urlsplit(next_url).path
        page = _request(self.server.base_url, "GET", path, None, {}, json_body=False)
        assert page.status == 200, page.body
        token = _FORM_TOKEN.search(page.body)
        assert token is not None, "the card page has a form token"
        form = urlencode(
            {
                "form_token": token.group(1),
                "card_number": card,
                "expiry_month": "12",
                "expiry_year": "2030",
                "cvc": "123",
                "cardholder_name": "Ann Payer",
                "action": "pay",
            }
        ).encode()
        return _request(
            self.server.base_url,
            "POST",
            path,
            form,
            {"Content-Type": "application/x-www-form-urlencoded"},
            json_body=False,
        )


def _request(
    base_url: str,
    method: str,
    path: str,
    data: bytes | None,
    headers: dict[str, str],
    *,
    json_body: bool,
) -> Answer:
    where = urlsplit(base_url)
    assert where.hostname is not None
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=REQUEST_TIMEOUT_S)
    try:
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        raw = response.read().decode()
        answer_headers = {name.lower(): value for name, value in response.getheaders()}
        body: Any = raw
        if json_body and raw:
            body = json.loads(raw)
        return Answer(response.status, answer_headers, body)
    finally:
        connection.close()


def ctax_reference(session_factory: sessionmaker[Session], body: str) -> str:
    with session_factory() as session:
        for check in "0123456789":
            if check_reference(session, "CTAX", body + check).valid:
                return body + check
    raise AssertionError(f"no council tax reference starts {body}")


def payment_body(reference: str, amount: int = 12345, **extra: Any) -> dict[str, Any]:
    return {
        "amount": amount,
        "reference": "CT-ONLINE",
        "description": "Council tax",
        "return_url": RETURN_URL,
        "metadata": {"fund_code": "CTAX", "account_reference": reference},
        **extra,
    }


@pytest.fixture
def engine(
    db_url: str,
    session_factory: sessionmaker[Session],
    ledger_service: LedgerService,
    tmp_path: Path,
) -> Iterator[Engine]:
    load_council_config(session_factory, DEMO_COUNCIL.read_bytes(), "demo_council.toml")
    key = issue_key(
        session_factory,
        name="Revenues system",
        service="revenues",
        scopes=[Scope.PAYMENTS_READ, Scope.PAYMENTS_WRITE, Scope.REFUNDS_WRITE],
    )
    port = free_port()
    environment = {
        "RECEIPTING_DATABASE_URL": db_url,
        "RECEIPTING_SEAL_KEY": TEST_SEAL_KEY.decode(),
        "RECEIPTING_SANDBOX_GATEWAY": "1",
        "RECEIPTING_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "RECEIPTING_LOG_LEVEL": "WARNING",
    }
    with running_gunicorn(
        tmp_path, environment, workers=2, unset=("RECEIPTING_DEVELOPMENT",), port=port
    ) as server:
        yield Engine(server, key, session_factory, ledger_service)


def test_a_payment_is_paid_on_the_card_page_posted_receipted_replayed_and_refunded(
    engine: Engine,
) -> None:
    reference = ctax_reference(engine.session_factory, "77123456")
    body = payment_body(reference, amount=10000)
    created = engine.call("POST", "/v1/payments", body, **{"Idempotency-Key": "e2e-order-1"})
    assert created.status == 201, created.body
    payment_id = created.body["payment_id"]

    redirect = engine.pay_on_card_page(created.body, SUCCESS_CARD)
    assert (redirect.status, redirect.headers["location"]) == (303, RETURN_URL)

    paid = engine.call("GET", f"/v1/payments/{payment_id}").body
    assert paid["state"] == {"status": "success", "finished": True}
    assert re.fullmatch(r"R-\d{4}-\d{6,}", paid["receipt_number"])
    assert paid["card_details"]["last_digits_card_number"] == "1111"
    assert engine.ledger.balance("CARD-CLR-SANDBOX") == 10000
    assert engine.ledger.sub_account_balance("FUND-CTAX", reference) == -10000
    assert engine.ledger.trial_balance().total_pence == 0

    replay = engine.call("POST", "/v1/payments", body, **{"Idempotency-Key": "e2e-order-1"})
    assert (replay.status, replay.body["payment_id"]) == (200, payment_id)
    clash = engine.call(
        "POST", "/v1/payments", {**body, "amount": 1}, **{"Idempotency-Key": "e2e-order-1"}
    )
    assert (clash.status, clash.body["code"]) == (409, "P0191")

    partial = engine.call(
        "POST",
        f"/v1/payments/{payment_id}/refunds",
        {"amount": 2500, "refund_amount_available": 10000},
    )
    assert (partial.status, partial.body["status"]) == (202, "success")
    stale = engine.call(
        "POST",
        f"/v1/payments/{payment_id}/refunds",
        {"amount": 7500, "refund_amount_available": 10000},
    )
    assert (stale.status, stale.body["code"]) == (412, "P0604")
    rest = engine.call(
        "POST",
        f"/v1/payments/{payment_id}/refunds",
        {"amount": 7500, "refund_amount_available": 7500},
    )
    assert (rest.status, rest.body["status"]) == (202, "success")
    after = engine.call("GET", f"/v1/payments/{payment_id}").body
    assert after["refund_summary"] == {
        "status": "full",
        "amount_available": 0,
        "amount_submitted": 10000,
    }
    assert engine.ledger.balance("CARD-CLR-SANDBOX") == 0
    assert engine.ledger.balance("FUND-CTAX") == 0
    assert engine.ledger.trial_balance().total_pence == 0


@pytest.mark.parametrize(
    ("card", "status", "code"),
    [(DECLINED_CARD, "failed", "P0010"), (ERROR_CARD, "error", "P0050")],
)
def test_a_declined_or_failing_card_ends_the_payment_and_posts_nothing(
    engine: Engine, card: str, status: str, code: str
) -> None:
    reference = ctax_reference(engine.session_factory, "77654321")
    created = engine.call("POST", "/v1/payments", payment_body(reference)).body
    redirect = engine.pay_on_card_page(created, card)
    assert redirect.status == 303
    payment = engine.call("GET", f"/v1/payments/{created['payment_id']}").body
    assert (payment["state"]["status"], payment["state"]["code"]) == (status, code)
    assert "receipt_number" not in payment
    assert engine.ledger.balance("CARD-CLR-SANDBOX") == 0


def test_a_delayed_capture_payment_is_posted_only_when_captured(engine: Engine) -> None:
    reference = ctax_reference(engine.session_factory, "77000001")
    created = engine.call(
        "POST", "/v1/payments", payment_body(reference, delayed_capture=True)
    ).body
    engine.pay_on_card_page(created, SUCCESS_CARD)
    payment_path = f"/v1/payments/{created['payment_id']}"
    assert engine.call("GET", payment_path).body["state"]["status"] == "capturable"
    assert engine.ledger.balance("CARD-CLR-SANDBOX") == 0
    assert engine.call("POST", f"{payment_path}/capture").status == 204
    captured = engine.call("GET", payment_path).body
    assert captured["state"]["status"] == "success"
    assert captured["receipt_number"]
    assert engine.ledger.balance("CARD-CLR-SANDBOX") == 12345


def test_a_cancelled_and_an_abandoned_payment_end_without_money(engine: Engine) -> None:
    reference = ctax_reference(engine.session_factory, "77123456")
    cancelled = engine.call("POST", "/v1/payments", payment_body(reference)).body
    assert engine.call("POST", f"/v1/payments/{cancelled['payment_id']}/cancel").status == 204
    state = engine.call("GET", f"/v1/payments/{cancelled['payment_id']}").body["state"]
    assert (state["status"], state["code"]) == ("cancelled", "P0040")

    abandoned = engine.call("POST", "/v1/payments", payment_body(reference)).body
    later = datetime.now(UTC) + timedelta(minutes=91)
    public_url = engine.server.base_url
    gateway = SandboxGateway(engine.session_factory, clock=lambda: later, public_url=public_url)
    payments = PaymentService(
        engine.session_factory, {"sandbox": gateway}, lambda: later, public_url
    )
    assert PaymentJobs(payments, lambda: later).expire() == 1
    state = engine.call("GET", f"/v1/payments/{abandoned['payment_id']}").body["state"]
    assert (state["status"], state["code"]) == ("failed", "P0020")
    page = _request(
        engine.server.base_url,
        "GET",
        urlsplit(abandoned["_links"]["next_url"]["href"]).path,
        None,
        {},
        json_body=False,
    )
    assert _FORM_TOKEN.search(page.body) is None, "the expired payment's card page takes no card"
    assert engine.ledger.balance("CARD-CLR-SANDBOX") == 0


# --- webhooks: subscribed over the API, delivered by a real worker process -----------------

# One worker pass delivers everything due; it should take seconds, not this long.
WORKER_PASS_TIMEOUT_S = 120


@dataclass
class Receiver:
    url: str
    received: list[tuple[bytes, str]] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    got: list[tuple[bytes, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.append((body, self.headers.get("Pay-Signature", "")))
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return  # keep the test output quiet

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Receiver(f"http://127.0.0.1:{server.server_address[1]}/hooks", got)
    finally:
        server.shutdown()
        server.server_close()


def test_a_paid_payment_is_announced_to_the_subscriber_with_a_valid_signature(
    engine: Engine, receiver: Receiver, db_url: str
) -> None:
    manager = issue_key(
        engine.session_factory,
        name="Revenues webhooks",
        service="revenues",
        scopes=[Scope.WEBHOOKS_MANAGE],
    )
    subscribed = engine.server_call(
        manager,
        "POST",
        "/v1/webhooks",
        {
            "callback_url": receiver.url,
            "description": "Revenues system",
            "subscriptions": ["card_payment_succeeded", "card_payment_captured"],
        },
    )
    assert subscribed.status == 201, subscribed.body
    secret = subscribed.body["signing_secret"]

    reference = ctax_reference(engine.session_factory, "77123456")
    created = engine.call("POST", "/v1/payments", payment_body(reference)).body
    assert engine.pay_on_card_page(created, SUCCESS_CARD).status == 303
    paid = engine.call("GET", f"/v1/payments/{created['payment_id']}").body
    assert paid["state"]["status"] == "success"

    worker = subprocess.run(
        [sys.executable, "-m", "receipting.cli", "worker", "--once"],
        cwd=REPO_ROOT,
        env={
            **os.environ,
            "RECEIPTING_DATABASE_URL": db_url,
            "RECEIPTING_SEAL_KEY": TEST_SEAL_KEY.decode(),
            "RECEIPTING_DEVELOPMENT": "1",
        },
        capture_output=True,
        text=True,
        timeout=WORKER_PASS_TIMEOUT_S,
        check=False,
    )
    assert worker.returncode == 0, worker.stdout + worker.stderr

    assert receiver.received, "the subscriber received nothing"
    events = []
    for body, signature in receiver.received:
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(signature, expected), "Pay-Signature does not verify"
        message = json.loads(body)
        assert message["resource_id"] == created["payment_id"]
        assert message["resource_type"] == "payment"
        assert message["resource"]["state"]["status"] in {"success", "capturable"}
        events.append(message["event_type"])
    assert "card_payment_succeeded" in events
