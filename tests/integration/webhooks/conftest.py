"""Webhook fixtures: a clock the test moves by hand, the subscriptions service, and a real HTTP
receiver on loopback that checks every `Pay-Signature` it is sent."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from falcon.testing import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from receipting.app import create_app
from receipting.auth.keys import issue_key
from receipting.auth.scopes import Scope
from receipting.settings import Settings
from receipting.webhooks.signing import SIGNATURE_HEADER, verify
from receipting.webhooks.subscriptions import WebhookSubscriptions
from tests.conftest import TEST_SEAL_KEY

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def subscriptions(session_factory: sessionmaker[Session], clock: FakeClock) -> WebhookSubscriptions:
    return WebhookSubscriptions(session_factory, clock=clock)


@dataclass
class Received:
    path: str
    body: bytes
    headers: dict[str, str]
    signature_valid: bool

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """What the receiver answers (`status`, after `delay_s`) and what it was sent."""

    port: int = 0
    secret: str = ""
    status: int = 204
    delay_s: float = 0.0
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/pay-events"

    def message_ids(self) -> list[str]:
        with self.lock:
            return [item.json()["webhook_message_id"] for item in self.received]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            signature = self.headers.get(SIGNATURE_HEADER, "")
            with receiver.lock:
                receiver.received.append(
                    Received(
                        path=self.path,
                        body=body,
                        headers={key: value for key, value in self.headers.items()},
                        signature_valid=verify(body, receiver.secret, signature),
                    )
                )
            if receiver.delay_s:
                time.sleep(receiver.delay_s)
            try:
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:
                pass  # the sender gave up waiting and closed the connection

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real HTTP server on 127.0.0.1 and a free port, in a thread."""
    receiver = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- the API, in-process, with keys issued into the test's database ---------------------------

MANAGE_KEY_SERVICE = "council-tax"


@pytest.fixture
def api(engine: Engine, db_url: str, clock: FakeClock) -> TestClient:
    settings = Settings(database_url=db_url, seal_key=TEST_SEAL_KEY)
    return TestClient(create_app(settings, engine=engine, clock=clock, channels=[]))


def issue(
    session_factory: sessionmaker[Session],
    *scopes: Scope,
    service: str = MANAGE_KEY_SERVICE,
) -> dict[str, str]:
    """Authorization headers for a new key of `service` with `scopes`."""
    key = issue_key(session_factory, name="CRM", service=service, scopes=scopes)
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def manage(session_factory: sessionmaker[Session]) -> dict[str, str]:
    return issue(session_factory, Scope.WEBHOOKS_MANAGE)
