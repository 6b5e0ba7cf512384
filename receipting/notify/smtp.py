"""Sending email over SMTP with the standard library's `smtplib`.

The job that sends receipts asks only for an `EmailSender`: `SmtpSender` in production and in the
tests against a real SMTP server on loopback, a fake in unit tests. A sender raises
`EmailNotSent` for anything the network or the server does, with a short description that is
safe to store (no password, no address).
"""

from __future__ import annotations

import re
import smtplib
import ssl
from email.message import EmailMessage
from typing import Protocol

from receipting.notify.errors import EmailNotSent
from receipting.settings import Settings, SmtpSettings

# How long to wait for the SMTP server, per step (connecting, each command's answer). Mail relays
# answer in well under a second; ten seconds rides out a slow one, and is short enough that a
# dead relay cannot hold a batch (or a resident's confirmation page) for long.
SMTP_TIMEOUT_S = 10.0

# SMTP reply codes from 500 up are permanent failures (RFC 5321 §4.2.1): the same message to the
# same address will be refused again.
FIRST_PERMANENT_REPLY_CODE = 500

# Enough of a server's reply to tell one refusal from another.
MAX_REPLY_TEXT_LEN = 120

# Servers often quote addresses back in their replies; those are personal data and are not kept.
_ADDRESS_PATTERN = re.compile(r"<?[^\s<>@]+@[^\s<>]+>?")


class EmailSender(Protocol):
    @property
    def from_address(self) -> str:
        """The address emails are sent from (the envelope sender and the From header)."""
        ...

    def send(self, message: EmailMessage) -> None:
        """Hand `message` to the mail system, or raise EmailNotSent."""
        ...


class SmtpSender:
    """One SMTP connection per message: receipts are few and far between, and a fresh connection
    cannot be left half-broken by the previous message."""

    def __init__(
        self,
        settings: SmtpSettings,
        *,
        timeout_s: float = SMTP_TIMEOUT_S,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._settings = settings
        self._timeout_s = timeout_s
        self._ssl_context = ssl_context

    @property
    def from_address(self) -> str:
        return self._settings.sender

    def send(self, message: EmailMessage) -> None:
        settings = self._settings
        try:
            with smtplib.SMTP(settings.host, settings.port, timeout=self._timeout_s) as smtp:
                if settings.starttls:
                    smtp.starttls(context=self._ssl_context or ssl.create_default_context())
                if settings.username:
                    smtp.login(settings.username, settings.password or "")
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = sorted({code for code, _ in exc.recipients.values()})
            raise EmailNotSent(
                f"the SMTP server refused the recipient ({', '.join(map(str, codes))})",
                permanent=all(code >= FIRST_PERMANENT_REPLY_CODE for code in codes),
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise EmailNotSent(
                f"the SMTP server answered {exc.smtp_code} {_reply_text(exc.smtp_error)}".rstrip()
            ) from None
        except TimeoutError:
            raise EmailNotSent(
                f"the SMTP server at {settings.host}:{settings.port} did not answer within "
                f"{self._timeout_s:g} s"
            ) from None
        except OSError as exc:
            # Refused or reset connections, unresolvable hosts, TLS failures, a server that hangs
            # up, STARTTLS or AUTH asked of a server that does not offer them (smtplib's errors
            # are OSErrors too).
            detail = _reply_text(exc.strerror or (str(exc.args[0]) if exc.args else None))
            raise EmailNotSent(
                f"could not send through the SMTP server at {settings.host}:{settings.port} "
                f"({type(exc).__name__}{': ' + detail if detail else ''})"
            ) from None


def _reply_text(text: bytes | str | None) -> str:
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return _ADDRESS_PATTERN.sub("<address>", " ".join(text.split()))[:MAX_REPLY_TEXT_LEN]


def smtp_sender(settings: Settings) -> SmtpSender | None:
    """The sender the settings describe, or None when no SMTP server is configured."""
    return None if settings.smtp is None else SmtpSender(settings.smtp)
