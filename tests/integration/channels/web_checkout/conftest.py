"""The checkout in-process on a fresh database with the demo council loaded and the sandbox
gateway on, driven as a browser would: a cookie jar per browser, forms read from the pages (their
anti-forgery token included) and posted back, redirects followed by hand so each step is seen.
The sandbox's card page is driven over HTTP too, exactly as a payer's browser would."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from falcon.testing import Result, TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

import receipting.council
from channels.web_checkout.channel import WebCheckoutChannel
from ledger.service import LedgerService
from receipting.app import create_app
from receipting.council.service import load_council_config
from receipting.gateways.sandbox.gateway import SandboxGateway
from receipting.payments.tables import PaymentRow
from receipting.settings import Settings
from tests.conftest import TEST_SEAL_KEY

PUBLIC_URL = "https://pay.example-council.test"
DEMO_COUNCIL = Path(receipting.council.__file__).parent / "demo_council.toml"
TEST_SECRET_KEY = b"test-secret-key-for-checkout-cookies-0123456789"

SUCCESS_CARD = "4444333322221111"
DECLINED_CARD = "4000000000000002"

# Valid references of the demo council (receipting/demo.py).
CTAX_REF = "771234561"
CTAX_REF_2 = "770045120"
PCN_REF = "BJ12345673"
RENT_REF = "60012345672"

_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')
_EMAIL_VALUE = re.compile(r'id="email" name="email" type="email" value="([^"]*)"')
_FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2026, 11, 24, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Browser:
    """One browser: its own cookies, the last page it saw."""

    client: TestClient
    cookies: dict[str, str] = field(default_factory=dict)
    last: Result | None = None

    def get(self, path: str) -> Result:
        return self._keep(self.client.simulate_get(path, headers=self._headers()))

    def post(self, path: str, form: dict[str, str] | None = None, *, csrf: bool = True) -> Result:
        fields = dict(form or {})
        if csrf and "csrf_token" not in fields:
            fields["csrf_token"] = self.csrf_token()
        return self._keep(
            self.client.simulate_post(
                path,
                body=urlencode(fields),
                headers={
                    **self._headers(),
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
        )

    def follow(self, result: Result) -> Result:
        """GET the 303's Location on this site, as a browser would."""
        assert result.status_code == 303, (result.status_code, result.text[:2000])
        location = result.headers["location"]
        return self.get(urlsplit(location).path + _query(location))

    def last_text(self) -> str:
        return "" if self.last is None else self.last.text

    def csrf_token(self) -> str:
        assert self.last is not None, "open a page first"
        match = _CSRF.search(self.last.text)
        assert match is not None, "the page has a form with a csrf_token"
        return html.unescape(match.group(1))

    def _headers(self) -> dict[str, str]:
        if not self.cookies:
            return {}
        return {"Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())}

    def _keep(self, result: Result) -> Result:
        for name, value in _set_cookies(result).items():
            if value is None:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        if result.status_code < 300 and result.headers.get("content-type", "").startswith(
            "text/html"
        ):
            self.last = result
        return result


def _query(url: str) -> str:
    query = urlsplit(url).query
    return f"?{query}" if query else ""


def _set_cookies(result: Result) -> dict[str, str | None]:
    cookies: dict[str, str | None] = {}
    for name, cookie in result.cookies.items():
        expired = cookie.max_age == 0 or (cookie.expires is not None and cookie.value == "")
        cookies[name] = None if expired else cookie.value
    return cookies


@dataclass
class Checkout:
    app: Any
    clock: Clock
    session_factory: sessionmaker[Session]
    ledger: LedgerService
    sandbox: SandboxGateway | None = None

    def browser(self) -> Browser:
        return Browser(TestClient(self.app))

    def payments_count(self) -> int:
        with self.session_factory() as session:
            return int(session.scalar(select(func.count()).select_from(PaymentRow)) or 0)

    def payments(self) -> list[PaymentRow]:
        with self.session_factory() as session:
            return list(session.scalars(select(PaymentRow).order_by(PaymentRow.created_at)))


def add_item(
    browser: Browser, fund_code: str, reference: str, amount: str, email: str | None = None
) -> Result:
    """Fill in the fund's form; the email is left as the form shows it unless given."""
    form = browser.get(f"/pay/{fund_code}")
    if email is None:
        shown = _EMAIL_VALUE.search(form.text)
        email = html.unescape(shown.group(1)) if shown else ""
    return browser.post(
        f"/pay/{fund_code}", {"reference": reference, "amount": amount, "email": email}
    )


def pay_now(browser: Browser) -> Result:
    """From check your answers, "Pay now": the 303 to the card page."""
    browser.get("/pay/check")
    return browser.post("/pay/check")


def pay_on_card_page(browser: Browser, to_card_page: Result, card: str) -> Result:
    """The sandbox's card page, opened and submitted: the 303 back to /pay/return."""
    page = browser.follow(to_card_page)
    assert page.status_code == 200, page.text[:2000]
    token = _FORM_TOKEN.search(page.text)
    assert token is not None, "the card page has a form token"
    card_page = urlsplit(to_card_page.headers["location"]).path
    return browser.post(
        card_page,
        {
            "form_token": token.group(1),
            "card_number": card,
            "expiry_month": "12",
            "expiry_year": "2030",
            "cvc": "123",
            "cardholder_name": "Ann Payer",
            "action": "pay",
        },
        csrf=False,
    )


def cancel_on_card_page(browser: Browser, to_card_page: Result) -> Result:
    page = browser.follow(to_card_page)
    token = _FORM_TOKEN.search(page.text)
    assert token is not None
    return browser.post(
        urlsplit(to_card_page.headers["location"]).path,
        {"form_token": token.group(1), "action": "cancel"},
        csrf=False,
    )


def settings_for(db_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": db_url,
        "seal_key": TEST_SEAL_KEY,
        "secret_key": TEST_SECRET_KEY,
        "development": True,
        "public_url": PUBLIC_URL,
        "sandbox_gateway": True,
        **overrides,
    }
    return Settings(**values)


@pytest.fixture
def checkout(
    engine: Engine, db_url: str, session_factory: sessionmaker[Session]
) -> Iterator[Checkout]:
    load_council_config(session_factory, DEMO_COUNCIL.read_bytes(), "demo_council.toml")
    clock = Clock()
    app = create_app(
        settings_for(db_url), engine=engine, clock=clock, channels=[WebCheckoutChannel()]
    )
    yield Checkout(
        app,
        clock,
        session_factory,
        LedgerService(session_factory, seal_key=TEST_SEAL_KEY, clock=clock),
    )


@pytest.fixture
def browser(checkout: Checkout) -> Browser:
    return checkout.browser()
