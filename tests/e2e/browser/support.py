"""The engine under the browser: the demo council served by a real gunicorn with the sandbox card
gateway on, an API key for the council's own systems, and a stand-in for the council service the
payer comes back to.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from ledger.service import LedgerService
from receipting.auth.keys import issue_key
from receipting.auth.scopes import Scope
from receipting.council.service import load_council_config
from tests.conftest import TEST_SEAL_KEY
from tests.e2e.test_gunicorn_serves_app import (
    REPO_ROOT,
    REQUEST_TIMEOUT_S,
    Server,
    free_port,
    running_gunicorn,
)
from tests.e2e.test_payments_through_gunicorn import ctax_reference

DEMO_COUNCIL = REPO_ROOT / "receipting" / "council" / "demo_council.toml"

# Test-only: the pages' cookies and tokens are sealed with it. 32 characters or more, as the
# settings insist, and not the public development key (which logs a warning on every start).
TEST_SECRET_KEY = "test-secret-key-for-browser-tests-0123456789"

# Two workers, as a real deployment has more than one: a browser's requests for a page and its
# assets may land on either, so nothing may depend on a worker's memory.
GUNICORN_WORKERS = 2

# Where the council's service (a stand-in on loopback) takes payers back after the card page.
SERVICE_RETURN_PATH = "/council-tax/paid"

SERVICE_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Back at the council's service</title></head>
<body><main><h1>Back at the council's service</h1></main></body>
</html>
"""


@dataclass
class Checkout:
    """The running engine, as a browser and the council's systems see it."""

    base_url: str
    api_key: str
    session_factory: sessionmaker[Session]
    ledger: LedgerService
    server: Server
    service_return_url: str

    def url(self, path: str) -> str:
        return self.base_url + path

    def api(self, method: str, path: str, body: Any = None, **headers: str) -> httpx.Response:
        """A call to the engine's JSON API with this checkout's API key."""
        return httpx.request(
            method,
            self.url(path),
            json=body,
            headers={"Authorization": f"Bearer {self.api_key}", **headers},
            timeout=REQUEST_TIMEOUT_S,
        )

    def council_tax_reference(self, body: str = "77123456") -> str:
        """A council tax reference the demo council's check-digit rule accepts."""
        return ctax_reference(self.session_factory, body)

    def create_payment(self, *, amount_pence: int = 12345, **changes: Any) -> dict[str, Any]:
        """A council tax payment made through the API, as a council's own service would; its
        `_links.next_url.href` is the sandbox card page."""
        body: dict[str, Any] = {
            "amount": amount_pence,
            "reference": "CT-ONLINE",
            "description": "Council tax",
            "return_url": self.service_return_url,
            "metadata": {"fund_code": "CTAX", "account_reference": self.council_tax_reference()},
            **changes,
        }
        created = self.api("POST", "/v1/payments", body)
        assert created.status_code == 201, created.text
        payment: dict[str, Any] = created.json()
        return payment

    def payment(self, payment_id: str) -> dict[str, Any]:
        answer = self.api("GET", f"/v1/payments/{payment_id}")
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found


def checkout_environment(db_url: str, port: int, extra: Mapping[str, str]) -> dict[str, str]:
    return {
        "RECEIPTING_DATABASE_URL": db_url,
        "RECEIPTING_SEAL_KEY": TEST_SEAL_KEY.decode(),
        "RECEIPTING_SECRET_KEY": TEST_SECRET_KEY,
        "RECEIPTING_SANDBOX_GATEWAY": "1",
        # Development: cookies without Secure, since the browser talks plain HTTP on loopback.
        "RECEIPTING_DEVELOPMENT": "1",
        "RECEIPTING_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "RECEIPTING_LOG_LEVEL": "WARNING",
        **extra,
    }


@contextmanager
def running_checkout(
    tmp_path: Path,
    db_url: str,
    session_factory: sessionmaker[Session],
    ledger: LedgerService,
    extra_environment: Mapping[str, str] = {},
) -> Iterator[Checkout]:
    """The demo council loaded into the database at `db_url`, served by gunicorn on loopback."""
    load_council_config(session_factory, DEMO_COUNCIL.read_bytes(), DEMO_COUNCIL.name)
    key = issue_key(
        session_factory,
        name="Revenues system",
        service="revenues",
        scopes=[Scope.PAYMENTS_READ, Scope.PAYMENTS_WRITE],
    )
    port = free_port()
    environment = checkout_environment(db_url, port, extra_environment)
    with (
        running_service_site() as return_url,
        running_gunicorn(tmp_path, environment, workers=GUNICORN_WORKERS, port=port) as server,
    ):
        yield Checkout(server.base_url, key, session_factory, ledger, server, return_url)


@contextmanager
def running_service_site() -> Iterator[str]:
    """A stand-in for a council service that sends payers to the card page: it answers every GET
    with a plain page. Yields the return_url to give the payments. (A real server, not a route in
    the browser: Playwright does not route the redirect that brings the payer back.)"""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = SERVICE_PAGE.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return  # keep the test output quiet

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{SERVICE_RETURN_PATH}"
    finally:
        server.shutdown()
        server.server_close()
