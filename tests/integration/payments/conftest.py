"""The payments API in-process on a fresh database with the demo council loaded, the sandbox
gateway on (driven here through its own methods, as its card page would), a clock the test moves,
and an API key for one service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from falcon.testing import Result, TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

import receipting.council
from ledger.service import LedgerService
from receipting.app import create_app
from receipting.auth.keys import issue_key
from receipting.auth.scopes import Scope
from receipting.council.service import check_reference, load_council_config
from receipting.gateways.base import Gateway
from receipting.gateways.sandbox.gateway import CardForm, SandboxGateway
from receipting.payments.service import PaymentService
from receipting.settings import Settings
from tests.conftest import TEST_SEAL_KEY

PUBLIC_URL = "https://pay.example-council.test"
SERVICE = "council-tax-team"
RETURN_URL = "https://www.example-council.test/paid"
DEMO_COUNCIL = Path(receipting.council.__file__).parent / "demo_council.toml"

SUCCESS_CARD = "4444333322221111"
DECLINED_CARD = "4000000000000002"
ERROR_CARD = "4000000000000119"
THREE_D_SECURE_CARD = "4000002500003155"

# Check characters computed for these bodies by the demo council's own rules.
CTAX_BODIES = ("77123456", "77654321", "77000001")
PEST_BODY = "1234567"


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2026, 11, 24, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def valid_reference(session_factory: sessionmaker[Session], fund_code: str, body: str) -> str:
    """`body` with the check character the fund's rule accepts, found by asking the rule."""
    with session_factory() as session:
        for check in "0123456789A":
            if check_reference(session, fund_code, body + check).valid:
                return body + check
    raise AssertionError(f"no check character makes {body} valid for {fund_code}")


@dataclass
class Api:
    client: TestClient
    sandbox: SandboxGateway
    clock: Clock
    session_factory: sessionmaker[Session]
    ledger: LedgerService
    payments: PaymentService

    def create(self, body: dict[str, Any], **headers: str) -> Result:
        return self.client.simulate_post("/v1/payments", json=body, headers=headers)

    def get(self, path: str, **params: str) -> Result:
        return self.client.simulate_get(path, params=params or None)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Result:
        return self.client.simulate_post(path, json=body)

    def pay(self, payment: dict[str, Any], card: str = SUCCESS_CARD) -> None:
        """The payer opens the card page and submits a card."""
        ref = payment["provider_id"]
        view = self.sandbox.open_page(ref)
        submission = self.sandbox.submit_card(
            ref,
            view.form_token,
            CardForm(
                card_number=card,
                expiry_month="12",
                expiry_year="30",
                cvc="1234" if card.startswith("3") else "123",
                cardholder_name="Ann Payer",
            ),
        )
        assert not submission.errors, submission.errors

    def paid(self, body: dict[str, Any], card: str = SUCCESS_CARD) -> dict[str, Any]:
        created = self.create(body)
        assert created.status_code == 201, created.json
        self.pay(created.json, card)
        answer = self.get(f"/v1/payments/{created.json['payment_id']}")
        assert answer.status_code == 200, answer.json
        return dict(answer.json)


MakeApi = Callable[..., Api]


@pytest.fixture
def make_api(engine: Engine, db_url: str, session_factory: sessionmaker[Session]) -> MakeApi:
    load_council_config(session_factory, DEMO_COUNCIL.read_bytes(), "demo_council.toml")

    def make(
        *,
        service: str = SERVICE,
        scopes: tuple[Scope, ...] = (
            Scope.PAYMENTS_READ,
            Scope.PAYMENTS_WRITE,
            Scope.REFUNDS_WRITE,
        ),
        clock: Clock | None = None,
        wrap: Callable[[SandboxGateway], Gateway] | None = None,
    ) -> Api:
        clock = clock or Clock()
        sandbox = SandboxGateway(session_factory, clock=clock, public_url=PUBLIC_URL)
        gateway: Gateway = sandbox if wrap is None else wrap(sandbox)
        settings = Settings(
            database_url=db_url,
            seal_key=TEST_SEAL_KEY,
            public_url=PUBLIC_URL,
            sandbox_gateway=True,
        )
        app = create_app(
            settings, engine=engine, clock=clock, channels=[], gateways={"sandbox": gateway}
        )
        key = issue_key(session_factory, name=f"{service} system", service=service, scopes=scopes)
        client = TestClient(app, headers={"Authorization": f"Bearer {key}"})
        return Api(
            client,
            sandbox,
            clock,
            session_factory,
            LedgerService(session_factory, seal_key=TEST_SEAL_KEY, clock=clock),
            PaymentService(session_factory, {"sandbox": gateway}, clock, PUBLIC_URL),
        )

    return make


@pytest.fixture
def api(make_api: MakeApi) -> Api:
    return make_api()


@pytest.fixture
def ctax_refs(session_factory: sessionmaker[Session], api: Api) -> list[str]:
    return [valid_reference(session_factory, "CTAX", body) for body in CTAX_BODIES]


@pytest.fixture
def pest_ref(session_factory: sessionmaker[Session], api: Api) -> str:
    return valid_reference(session_factory, "PEST", PEST_BODY)


def ctax_payment(account_reference: str, amount: int = 12345, **extra: Any) -> dict[str, Any]:
    return {
        "amount": amount,
        "reference": "CT-2026-ONLINE",
        "description": "Council tax",
        "return_url": RETURN_URL,
        "metadata": {"fund_code": "CTAX", "account_reference": account_reference},
        **extra,
    }
