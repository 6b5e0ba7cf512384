"""Fixtures for journeys in a real browser: one headless system Chromium per test process, a
fresh browser profile per test, and the demo council served by a real gunicorn.

    def test_pays(page: Page, checkout: Checkout) -> None:
        page.goto(checkout.url("/pay"))
        visit_page(page, "start")          # screenshot + axe

`checkout` (and `checkout_server`, its base URL) runs once on SQLite and once on PostgreSQL. A
test module that needs more settings (SMTP, OIDC) overrides `checkout_extra_environment`; one whose
settings need the checkout's own address first (an OIDC provider told its redirect URI) asks for
`checkout_port`, the port gunicorn will then listen on.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy.orm import Session, sessionmaker

from ledger.service import LedgerService
from tests.e2e.browser import support
from tests.e2e.browser.support import Checkout, running_checkout
from tests.e2e.test_gunicorn_serves_app import free_port
from tests.support.browser import launch_chromium, new_context, start_playwright

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """The system's Chromium, headless, shared by the tests of one process."""
    with start_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_context(chromium: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile: no cookies or storage from another test."""
    context = new_context(chromium)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page(browser_context: BrowserContext) -> Page:
    return browser_context.new_page()


@pytest.fixture
def checkout_extra_environment() -> dict[str, str]:
    """More RECEIPTING_* settings for the engine; override in a module to add SMTP or OIDC."""
    return {}


@pytest.fixture
def checkout_port() -> int:
    """The loopback port the test's checkout will listen on, chosen before it starts, so that its
    settings can depend on its address (http://127.0.0.1:<port>)."""
    return free_port()


@pytest.fixture
def checkout(
    chromium: Browser,
    db_url: str,
    session_factory: sessionmaker[Session],
    ledger_service: LedgerService,
    tmp_path: Path,
    checkout_port: int,
    checkout_extra_environment: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Checkout]:
    """The demo council served by gunicorn with the sandbox gateway, on SQLite and PostgreSQL,
    on `checkout_port`.

    It asks for `chromium` first so that, without a browser, the test is skipped before a server
    is started for nothing."""
    # running_checkout picks its port with support.free_port: make that the one chosen already.
    monkeypatch.setattr(support, "free_port", lambda: checkout_port)
    with running_checkout(
        tmp_path, db_url, session_factory, ledger_service, checkout_extra_environment
    ) as running:
        yield running


@pytest.fixture
def checkout_server(checkout: Checkout) -> str:
    """The base URL of the engine serving the checkout, e.g. http://127.0.0.1:54321."""
    return checkout.base_url
