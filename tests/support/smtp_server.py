"""A real SMTP server on loopback (aiosmtpd) that keeps what it is sent, for tests.

Use the `smtp_server` fixture (import it into a conftest.py), point the engine at it with
`smtp_server.settings()` (in-process) or `smtp_server.env()` (a server process started by the
test), and read what arrived with `smtp_server.wait_for(...)`. `smtp_server.down()` stops it for
a while on the same port (connections are refused), and `refuse(address)` makes it answer 550 to
one recipient.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from receipting.settings import SmtpSettings

LOOPBACK = "127.0.0.1"
TEST_SENDER = "receipts@example-council.test"
# Long enough for a page served by another process to hand its email over; a test that waits
# this long for nothing fails with what did arrive.
DEFAULT_WAIT_S = 10.0
POLL_INTERVAL_S = 0.02


@dataclass(frozen=True)
class ReceivedEmail:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    raw: bytes

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def to(self) -> str:
        return str(self.message["To"])

    @property
    def text(self) -> str:
        """The plain-text body, decoded, with the wire's CRLF line ends made newlines."""
        body = self.message.get_body(preferencelist=("plain",))
        assert body is not None, "the message has no text/plain part"
        return str(body.get_content()).replace("\r\n", "\n")


@dataclass
class _Handler:
    """aiosmtpd's handler hooks: keep every message; refuse the recipients in `refused`."""

    received: list[ReceivedEmail] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address.lower() in self.refused:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = bytes(envelope.original_content or envelope.content)
        message = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.received.append(
                ReceivedEmail(str(envelope.mail_from), tuple(envelope.rcpt_tos), message, raw)
            )
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


class LoopbackSmtpServer:
    def __init__(self, port: int | None = None) -> None:
        self.host = LOOPBACK
        self.port = free_port() if port is None else port
        self._handler = _Handler()
        self._controller: Controller | None = None

    # --- running ---------------------------------------------------------------------------

    def start(self) -> None:
        if self._controller is None:
            self._controller = Controller(self._handler, hostname=self.host, port=self.port)
            self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @contextmanager
    def down(self) -> Iterator[None]:
        """Stopped inside the block (connections to the port are refused), running after it."""
        self.stop()
        try:
            yield
        finally:
            self.start()

    def refuse(self, address: str) -> None:
        """Answer 550 (a permanent refusal) to RCPT TO this address."""
        self._handler.refused.add(address.lower())

    # --- how to reach it ---------------------------------------------------------------------

    def settings(self, *, sender: str = TEST_SENDER) -> SmtpSettings:
        return SmtpSettings(host=self.host, port=self.port, sender=sender)

    def env(self, *, sender: str = TEST_SENDER) -> dict[str, str]:
        return {
            "RECEIPTING_SMTP_HOST": self.host,
            "RECEIPTING_SMTP_PORT": str(self.port),
            "RECEIPTING_SMTP_FROM": sender,
        }

    # --- what arrived ------------------------------------------------------------------------

    @property
    def received(self) -> list[ReceivedEmail]:
        with self._handler.lock:
            return list(self._handler.received)

    def messages_to(self, address: str) -> list[ReceivedEmail]:
        wanted = address.lower()
        return [m for m in self.received if wanted in (r.lower() for r in m.rcpt_tos)]

    def wait_for(
        self, count: int = 1, *, to: str | None = None, timeout_s: float = DEFAULT_WAIT_S
    ) -> list[ReceivedEmail]:
        """The messages received (to `to`, if given) once there are at least `count`."""
        deadline = time.monotonic() + timeout_s
        while True:
            found = self.received if to is None else self.messages_to(to)
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"expected {count} email(s){f' to {to}' if to else ''} within {timeout_s:g} s; "
                    f"received {len(found)}: {[m.subject for m in found]}"
                )
            time.sleep(POLL_INTERVAL_S)

    def clear(self) -> None:
        with self._handler.lock:
            self._handler.received.clear()


@pytest.fixture
def smtp_server() -> Iterator[LoopbackSmtpServer]:
    server = LoopbackSmtpServer()
    server.start()
    yield server
    server.stop()
