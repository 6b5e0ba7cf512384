"""Sending queued receipt emails: by the worker, and straight after a payment succeeds.

One pass, in three steps per batch, as webhooks are delivered:

1. Claim (a short transaction): pick due rows and mark them in flight with a lease, and compose
   each email from its payment. On PostgreSQL `SELECT ... FOR UPDATE SKIP LOCKED` lets concurrent
   senders take disjoint batches; on SQLite the database write lock serialises claims.
2. Send, outside any transaction: no lock is held while the SMTP server is slow or down.
3. Record (one transaction per email): sent; due again after its back-off; or failed, when the
   server refused the address for good or every retry is used.

A sender that dies between 2 and 3 leaves the lease to expire, and the email is sent again: a
resident may (rarely) get a receipt twice, with the same Message-ID, but never lose it.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from receipting.errors import ReceiptingError
from receipting.notify.compose import compose_receipt
from receipting.notify.errors import EmailNotSent
from receipting.notify.outbox import load_receipt
from receipting.notify.smtp import SMTP_TIMEOUT_S, EmailSender
from receipting.notify.tables import (
    EMAIL_FAILED,
    EMAIL_QUEUED,
    EMAIL_SENT,
    KIND_RECEIPT,
    LEASE_TOKEN_LEN,
    MAX_LAST_ERROR_LEN,
    EmailOutboxRow,
)

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

# After the first attempt fails, wait this long before each retry; when the last retry fails too,
# the email is marked failed. Short at first (a relay restarting), then spread over most of a day
# (a relay down for maintenance), after which a receipt is no longer the prompt note it should be.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
MAX_ATTEMPTS = 1 + len(RETRY_DELAYS)

# A receipt still queued this long after its payment (SMTP was not configured, or the worker was
# not running) is not sent at all: an email about a payment from weeks ago would alarm more than
# help, and the receipt is on the confirmation page and in the resident's account.
MAX_RECEIPT_EMAIL_AGE = timedelta(days=7)

# Emails claimed in one transaction. Sent one after another, so a dead relay makes a batch take
# up to this many timeouts per SMTP step; small enough for the lease below to stay short.
SEND_BATCH_SIZE = 10
# Emails one worker pass sends at most, so a backlog drains quickly but other jobs get their turn.
DEFAULT_PASS_LIMIT = 100
# The SMTP commands of one email that each may wait up to the timeout: connect, EHLO, STARTTLS,
# EHLO again, AUTH, MAIL, RCPT, DATA and the message's end, QUIT.
SMTP_STEPS_PER_EMAIL = 10
# How long a claim keeps other senders off an email: the slowest a batch can be, plus a minute's
# margin. If a sender dies mid-batch, its unsent and unrecorded emails are sent after this.
LEASE_DURATION = timedelta(seconds=SEND_BATCH_SIZE * SMTP_STEPS_PER_EMAIL * SMTP_TIMEOUT_S + 60)


@dataclass(frozen=True, slots=True)
class ClaimedEmail:
    id: int
    payment_id: str
    lease_token: str
    attempt_number: int
    message: EmailMessage | None  # None: it cannot be composed; `problem` says why
    problem: str | None = None


def describe_failure(error: ReceiptingError) -> str:
    """What is stored in `last_error`: short, and never a password or an address."""
    text = error.description if isinstance(error, EmailNotSent) else f"{error.code}: {error}"
    return text[:MAX_LAST_ERROR_LEN]


def claim_due(
    session: Session,
    *,
    now: datetime,
    from_address: str,
    limit: int = SEND_BATCH_SIZE,
    payment_id: str | None = None,
    lease_duration: timedelta = LEASE_DURATION,
) -> list[ClaimedEmail]:
    """Take up to `limit` due emails (only `payment_id`'s receipt, when given), lease them to the
    caller, and compose each."""
    due = (
        select(EmailOutboxRow.id)
        .where(
            EmailOutboxRow.status == EMAIL_QUEUED,
            EmailOutboxRow.next_attempt_at <= now,
            or_(EmailOutboxRow.lease_expires_at.is_(None), EmailOutboxRow.lease_expires_at <= now),
        )
        .order_by(EmailOutboxRow.next_attempt_at, EmailOutboxRow.id)
        .limit(limit)
        # PostgreSQL: rows another sender is claiming are passed over, not waited for. SQLite
        # ignores this; its write lock already makes claims one at a time.
        .with_for_update(skip_locked=True)
    )
    if payment_id is not None:
        due = due.where(
            EmailOutboxRow.payment_id == payment_id, EmailOutboxRow.kind == KIND_RECEIPT
        )
    ids = list(session.scalars(due))
    if not ids:
        return []
    token = secrets.token_hex(LEASE_TOKEN_LEN // 2)
    session.execute(
        update(EmailOutboxRow)
        .where(EmailOutboxRow.id.in_(ids))
        .values(lease_token=token, lease_expires_at=now + lease_duration)
        .execution_options(synchronize_session=False)
    )
    rows = session.scalars(
        select(EmailOutboxRow)
        .where(EmailOutboxRow.id.in_(ids))
        .order_by(EmailOutboxRow.next_attempt_at, EmailOutboxRow.id)
    )
    return [_compose(session, row, token, now, from_address) for row in rows]


def _compose(
    session: Session, row: EmailOutboxRow, token: str, now: datetime, from_address: str
) -> ClaimedEmail:
    def claimed(message: EmailMessage | None, problem: str | None = None) -> ClaimedEmail:
        return ClaimedEmail(row.id, row.payment_id, token, row.attempts + 1, message, problem)

    if row.created_at < now - MAX_RECEIPT_EMAIL_AGE:
        return claimed(
            None,
            f"queued {row.created_at:%Y-%m-%d} and still unsent after "
            f"{MAX_RECEIPT_EMAIL_AGE.days} days; too late to send",
        )
    try:
        receipt = load_receipt(session, row.payment_id)
        message = compose_receipt(
            receipt, language=row.language, sender=from_address, recipient=row.recipient, now=now
        )
    except ReceiptingError as exc:
        return claimed(None, describe_failure(exc))
    return claimed(message)


def record_attempt(
    session: Session,
    claimed: ClaimedEmail,
    failure: str | None,
    *,
    permanent: bool,
    now: datetime,
) -> str:
    """Move the email on after an attempt (`failure` None: it was sent); returns its status."""
    sent_at = next_attempt_at = None
    if failure is None:
        status, sent_at = EMAIL_SENT, now
    elif permanent or claimed.attempt_number >= MAX_ATTEMPTS:
        status = EMAIL_FAILED
    else:
        status, next_attempt_at = EMAIL_QUEUED, now + RETRY_DELAYS[claimed.attempt_number - 1]
    moved = session.execute(
        update(EmailOutboxRow)
        .where(EmailOutboxRow.id == claimed.id, EmailOutboxRow.lease_token == claimed.lease_token)
        .values(
            status=status,
            attempts=claimed.attempt_number,
            next_attempt_at=next_attempt_at,
            last_error=failure,
            sent_at=sent_at,
            lease_token=None,
            lease_expires_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount == 0:  # type: ignore[attr-defined]
        # Our lease ran out and another sender claimed the email: its record decides.
        log.warning(
            "email: the lease on the receipt email of payment %s ran out before its attempt was "
            "recorded; the sender holding it now decides its status",
            claimed.payment_id,
        )
    return status


class ReceiptEmails:
    """Sends queued receipt emails. `clock` decides what is due (tests move it by hand); `sender`
    does the SMTP (tests pass a fake, or an `SmtpSender` aimed at a loopback server)."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        sender: EmailSender,
        clock: Clock,
        *,
        batch_size: int = SEND_BATCH_SIZE,
    ) -> None:
        self._session_factory = session_factory
        self._sender = sender
        self._clock = clock
        self._batch_size = batch_size

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        with self._session_factory() as session, session.begin():
            yield session

    def deliver_due(self, limit: int = DEFAULT_PASS_LIMIT) -> int:
        """Send up to `limit` due emails; returns how many attempts were made."""
        attempted = 0
        while attempted < limit:
            with self._transaction() as session:
                claimed = claim_due(
                    session,
                    now=self._clock(),
                    from_address=self._sender.from_address,
                    limit=min(self._batch_size, limit - attempted),
                )
            if not claimed:
                break
            for email in claimed:
                self._attempt(email)
                attempted += 1
        return attempted

    def send_now(self, payment_id: str) -> bool:
        """Send `payment_id`'s receipt email if it is due; True if it was sent."""
        with self._transaction() as session:
            claimed = claim_due(
                session,
                now=self._clock(),
                from_address=self._sender.from_address,
                limit=1,
                payment_id=payment_id,
            )
        return any(self._attempt(email) == EMAIL_SENT for email in claimed)

    def _attempt(self, email: ClaimedEmail) -> str:
        failure, permanent = email.problem, True
        if email.message is not None:
            try:
                self._sender.send(email.message)
            except EmailNotSent as exc:
                failure, permanent = describe_failure(exc), exc.permanent
        with self._transaction() as session:
            status = record_attempt(session, email, failure, permanent=permanent, now=self._clock())
        self._log(email, status, failure)
        return status

    @staticmethod
    def _log(email: ClaimedEmail, status: str, failure: str | None) -> None:
        if status == EMAIL_SENT:
            log.info("email: receipt for payment %s sent", email.payment_id)
        elif status == EMAIL_FAILED:
            log.error(
                "email: gave up on the receipt email for payment %s after attempt %d: %s",
                email.payment_id,
                email.attempt_number,
                failure,
            )
        else:
            log.warning(
                "email: receipt for payment %s not sent (attempt %d of %d: %s); retrying later",
                email.payment_id,
                email.attempt_number,
                MAX_ATTEMPTS,
                failure,
            )


def deliver_receipt_emails(
    session_factory: sessionmaker[Session],
    sender: EmailSender | None,
    clock: Clock,
    limit: int = DEFAULT_PASS_LIMIT,
) -> int:
    """The worker's job: send up to `limit` due receipt emails; returns how many attempts were
    made. Without a sender (no SMTP settings) it does nothing: emails stay queued."""
    if sender is None:
        return 0
    return ReceiptEmails(session_factory, sender, clock).deliver_due(limit)


def send_due_now(
    session_factory: sessionmaker[Session],
    sender: EmailSender | None,
    clock: Clock,
    payment_id: str,
) -> bool:
    """Send `payment_id`'s receipt now, best-effort, after the transaction that queued it has
    committed (the confirmation page calls this, so the resident need not wait for the worker).
    Never raises: whatever goes wrong is logged, and the worker sends the email later. True if it
    was sent."""
    if sender is None:
        return False
    try:
        return ReceiptEmails(session_factory, sender, clock).send_now(payment_id)
    except Exception:
        # The payment is safe and its email still queued; a failure here must not turn the
        # resident's confirmation page into an error page.
        log.exception(
            "email: could not send the receipt of payment %s now; the worker will", payment_id
        )
        return False
