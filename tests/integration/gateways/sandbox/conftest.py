"""The app with the sandbox gateway on, and a payer's browser driving its card page over HTTP.

The tests hold their own `SandboxGateway` on the same engine as the app, with the same clock: it
plays the engine's side of the protocol (create, status, capture, ...) while the browser plays the
payer's, as the two meet in a real deployment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from falcon.testing import Result, TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from receipting.app import create_app
from receipting.gateways.base import GatewayPayment, GatewayPaymentRequest
from receipting.gateways.sandbox.gateway import SandboxGateway
from receipting.settings import Settings
from tests.conftest import TEST_SEAL_KEY

PUBLIC_URL = "https://pay.demo-borough.example"
RETURN_URL = "https://service.demo-borough.example/council-tax/done?payment=1"
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
# A card expiry that is always in the future, whatever the clock says in these tests.
GOOD_EXPIRY_MONTH = "12"
GOOD_EXPIRY_YEAR = str((NOW.year + 3) % 100)
FORM = {"Content-Type": "application/x-www-form-urlencoded"}

_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
_ERROR = re.compile(r'class="govuk-error-message" id="([a-z_]+)-error">.*?</span>\s*(.*?)</span>')


@dataclass
class FakeClock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class Browser:
    """A payer's browser on the hosted card page (it does not follow redirects by itself)."""

    client: TestClient
    tokens: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def path(payment: GatewayPayment) -> str:
        assert payment.next_url.startswith(PUBLIC_URL)
        return payment.next_url.removeprefix(PUBLIC_URL)

    def open(self, payment: GatewayPayment) -> Result:
        result = self.client.simulate_get(self.path(payment))
        if match := _TOKEN.search(result.text):
            self.tokens[payment.gateway_ref] = match.group(1)
        return result

    def post(
        self, path: str, fields: dict[str, str], headers: dict[str, str] | None = None
    ) -> Result:
        return self.client.simulate_post(path, body=urlencode(fields), headers=headers or FORM)

    def pay(
        self,
        payment: GatewayPayment,
        card_number: str = "4444333322221111",
        *,
        expiry_month: str = GOOD_EXPIRY_MONTH,
        expiry_year: str = GOOD_EXPIRY_YEAR,
        cvc: str = "123",
        cardholder_name: str = "Jo Bloggs",
        action: str = "pay",
        token: str | None = None,
    ) -> Result:
        if token is None and payment.gateway_ref not in self.tokens:
            self.open(payment)
        fields = {
            "form_token": self.tokens[payment.gateway_ref] if token is None else token,
            "action": action,
            "card_number": card_number,
            "expiry_month": expiry_month,
            "expiry_year": expiry_year,
            "cvc": cvc,
            "cardholder_name": cardholder_name,
        }
        return self.post(self.path(payment), fields)

    def cancel(self, payment: GatewayPayment) -> Result:
        if payment.gateway_ref not in self.tokens:
            self.open(payment)
        return self.post(
            self.path(payment),
            {"form_token": self.tokens[payment.gateway_ref], "action": "cancel"},
        )

    def answer_challenge(self, payment: GatewayPayment, action: str) -> Result:
        return self.post(
            f"{self.path(payment)}/3ds",
            {"form_token": self.tokens[payment.gateway_ref], "action": action},
        )


def errors_on(page: Result) -> dict[str, str]:
    """The inline error message of each field shown on a page, by field."""
    return {name: message.strip() for name, message in _ERROR.findall(page.text)}


def payment_request(**changes: Any) -> GatewayPaymentRequest:
    fields: dict[str, Any] = {
        "payment_id": "hu20sqlact5260q2nanm0q8u93",
        "amount_pence": 12_345,
        "reference": "CT-100012345",
        "description": "Council tax for 1 High Street",
        "return_url": RETURN_URL,
    }
    fields.update(changes)
    return GatewayPaymentRequest(**fields)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(
        database_url=db_url, seal_key=TEST_SEAL_KEY, public_url=PUBLIC_URL, sandbox_gateway=True
    )


@pytest.fixture
def client(settings: Settings, engine: Engine, clock: FakeClock) -> TestClient:
    return TestClient(create_app(settings, engine=engine, clock=clock, channels=[]))


@pytest.fixture
def gateway(session_factory: sessionmaker[Session], clock: FakeClock) -> SandboxGateway:
    return SandboxGateway(session_factory, clock=clock, public_url=PUBLIC_URL)


@pytest.fixture
def browser(client: TestClient) -> Browser:
    return Browser(client)
