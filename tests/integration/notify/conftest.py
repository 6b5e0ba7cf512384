"""Receipt email fixtures: the payments API in-process (from the payments tests), payments made
with an email address, and a real SMTP server on loopback."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from receipting.notify.errors import EmailNotSent
from receipting.notify.tables import EmailOutboxRow
from tests.integration.payments.conftest import (  # noqa: F401 (fixtures)
    Api,
    api,
    ctax_payment,
    ctax_refs,
    make_api,
    pest_ref,
)
from tests.support.smtp_server import smtp_server  # noqa: F401 (a fixture)

PAYER = "ann.payer@example.org"


def paid_with_email(
    payments: Api, reference: str, *, email: str | None = PAYER, **extra: Any
) -> dict[str, Any]:
    """A payment of £1,234.50 made (with a success card) with `email` for the receipt."""
    body = ctax_payment(reference, amount=123_450, **extra)
    if email is not None:
        body["email"] = email
    return payments.paid(body)


def outbox(session_factory: sessionmaker[Session]) -> list[EmailOutboxRow]:
    with session_factory() as session:
        return list(session.scalars(select(EmailOutboxRow).order_by(EmailOutboxRow.id)))


class FakeSender:
    """Keeps what it is asked to send; fails while `failing` is set."""

    def __init__(self, from_address: str = "receipts@example-council.test") -> None:
        self._from_address = from_address
        self.sent: list[EmailMessage] = []
        self.failing: EmailNotSent | Exception | None = None

    @property
    def from_address(self) -> str:
        return self._from_address

    def send(self, message: EmailMessage) -> None:
        if self.failing is not None:
            raise self.failing
        self.sent.append(message)
