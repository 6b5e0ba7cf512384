"""Delivery: the worker sends due outbox messages, at least once, and logs every attempt.

One pass, in three steps per batch:

1. Claim (a short transaction): pick due messages and mark them in flight with a lease. On
   PostgreSQL `SELECT ... FOR UPDATE SKIP LOCKED` lets concurrent workers take disjoint batches;
   on SQLite the database write lock (`BEGIN IMMEDIATE`) serialises claims.
2. Send, outside any transaction: POST the stored body with its `Pay-Signature`.
3. Record (one transaction per attempt): the attempt's row in the delivery log, and the message
   delivered, due again after its back-off, or failed when every retry is used.

A worker that dies between 2 and 3 leaves the lease to expire; the message is then claimed and
sent again. A receiver may therefore see a message twice (it has `webhook_message_id` to tell),
but never zero times.

The HTTP client is the standard library's `http.client`: one POST needs no more, it follows no
redirects (a 3xx is logged as a failed attempt rather than re-posting payment data to wherever it
points), reads no proxy settings from the environment, and adds no dependency to the engine.
"""

from __future__ import annotations

import http.client
import logging
import secrets
import ssl
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import urlsplit

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from receipting.webhooks.signing import SIGNATURE_HEADER, sign
from receipting.webhooks.tables import (
    ATTEMPT_CONNECTION_ERROR,
    ATTEMPT_HTTP_ERROR,
    ATTEMPT_SUCCEEDED,
    ATTEMPT_TIMEOUT,
    LEASE_TOKEN_LEN,
    MAX_ATTEMPT_ERROR_LEN,
    MESSAGE_DELIVERED,
    MESSAGE_FAILED,
    MESSAGE_PENDING,
    SUBSCRIPTION_ACTIVE,
    WebhookAttemptRow,
    WebhookMessageRow,
    WebhookSubscriptionRow,
)

log = logging.getLogger(__name__)

# How long to wait for the receiver, per step (connecting, sending, each read of the answer).
# GOV.UK Pay asks receivers to answer quickly and do their work afterwards; ten seconds is ample for
# that over the internet, and short enough that one dead receiver cannot hold up a batch for long.
DELIVERY_TIMEOUT_S = 10.0

# After the first attempt fails, wait this long before each retry (GOV.UK Pay's schedule); when the
# last retry fails too, the message is marked failed.
RETRY_DELAYS = (
    timedelta(seconds=60),
    timedelta(minutes=5),
    timedelta(hours=1),
    timedelta(days=1),
    timedelta(days=2),
)
MAX_ATTEMPTS = 1 + len(RETRY_DELAYS)

# Messages claimed in one transaction. Sent one after another, so a batch of dead receivers takes
# up to this many timeouts; small enough for the lease below to stay short.
DELIVERY_BATCH_SIZE = 10
# Batches per worker pass, so a backlog drains quickly but other jobs still get their turn.
DELIVERY_BATCHES_PER_PASS = 10
# How long a claim keeps other workers off a message: the slowest a batch can be (each message a
# connect, a send and a read, each up to the timeout) plus a minute's margin. If a worker dies
# mid-batch, its unsent and unrecorded messages are sent by another worker after this.
LEASE_DURATION = timedelta(seconds=DELIVERY_BATCH_SIZE * 3 * DELIVERY_TIMEOUT_S + 60)

USER_AGENT = "council-receipting-webhooks/1"


@dataclass(frozen=True, slots=True)
class SendResult:
    result: str  # one of the ATTEMPT_* results
    status_code: int | None
    duration_ms: int
    error: str | None


class Sender(Protocol):
    def __call__(self, url: str, body: bytes, headers: Mapping[str, str]) -> SendResult: ...


@dataclass(frozen=True, slots=True)
class ClaimedMessage:
    id: int
    external_id: str
    lease_token: str
    attempt_number: int
    callback_url: str
    secret: str
    body: str


def _describe(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return text[:MAX_ATTEMPT_ERROR_LEN]


def post_json(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    timeout_s: float = DELIVERY_TIMEOUT_S,
    ssl_context: ssl.SSLContext | None = None,
) -> SendResult:
    """POST `body` to `url`; never raises for anything the network or the receiver does."""
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host = parts.hostname or ""
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            host,
            parts.port,
            timeout=timeout_s,
            context=ssl_context or ssl.create_default_context(),
        )
    else:
        connection = http.client.HTTPConnection(host, parts.port, timeout=timeout_s)
    started = time.monotonic()

    def elapsed_ms() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        connection.request("POST", path, body=body, headers=dict(headers))
        response = connection.getresponse()
        status = response.status
        # The answer's body means nothing to us; it is not read, and the connection is closed.
    except TimeoutError as exc:
        return SendResult(ATTEMPT_TIMEOUT, None, elapsed_ms(), _describe(exc))
    except (OSError, http.client.HTTPException, ValueError) as exc:
        # Refused, reset, unresolvable, a bad certificate, a garbled answer, an unusable URL.
        return SendResult(ATTEMPT_CONNECTION_ERROR, None, elapsed_ms(), _describe(exc))
    finally:
        connection.close()
    if 200 <= status < 300:
        return SendResult(ATTEMPT_SUCCEEDED, status, elapsed_ms(), None)
    return SendResult(
        ATTEMPT_HTTP_ERROR,
        status,
        elapsed_ms(),
        f"The receiver answered {status}; only a 2xx status counts as delivered.",
    )


def request_headers(body: bytes, secret: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(body, secret),
        "User-Agent": USER_AGENT,
    }


def claim_due(
    session: Session,
    *,
    now: datetime,
    limit: int = DELIVERY_BATCH_SIZE,
    lease_duration: timedelta = LEASE_DURATION,
) -> list[ClaimedMessage]:
    """Take up to `limit` due messages of active subscriptions and lease them to the caller."""
    lease_free = or_(
        WebhookMessageRow.lease_expires_at.is_(None), WebhookMessageRow.lease_expires_at <= now
    )
    due = (
        select(WebhookMessageRow.id)
        .join(
            WebhookSubscriptionRow,
            and_(
                WebhookSubscriptionRow.id == WebhookMessageRow.subscription_id,
                WebhookSubscriptionRow.status == SUBSCRIPTION_ACTIVE,
            ),
        )
        .where(
            WebhookMessageRow.status == MESSAGE_PENDING,
            WebhookMessageRow.next_attempt_at <= now,
            lease_free,
        )
        .order_by(WebhookMessageRow.next_attempt_at, WebhookMessageRow.id)
        .limit(limit)
        # PostgreSQL: rows another worker is claiming are passed over, not waited for. SQLite
        # ignores this; its write lock already makes claims one at a time.
        .with_for_update(skip_locked=True, of=WebhookMessageRow)
    )
    ids = list(session.scalars(due))
    if not ids:
        return []
    token = secrets.token_hex(LEASE_TOKEN_LEN // 2)
    session.execute(
        update(WebhookMessageRow)
        .where(WebhookMessageRow.id.in_(ids))
        .values(lease_token=token, lease_expires_at=now + lease_duration)
    )
    rows = session.execute(
        select(
            WebhookMessageRow.id,
            WebhookMessageRow.external_id,
            WebhookMessageRow.attempts,
            WebhookMessageRow.body,
            WebhookSubscriptionRow.callback_url,
            WebhookSubscriptionRow.secret,
        )
        .join(
            WebhookSubscriptionRow, WebhookSubscriptionRow.id == WebhookMessageRow.subscription_id
        )
        .where(WebhookMessageRow.id.in_(ids))
        .order_by(WebhookMessageRow.next_attempt_at, WebhookMessageRow.id)
    )
    return [
        ClaimedMessage(
            id=row.id,
            external_id=row.external_id,
            lease_token=token,
            attempt_number=row.attempts + 1,
            callback_url=row.callback_url,
            secret=row.secret,
            body=row.body,
        )
        for row in rows
    ]


def record_attempt(
    session: Session, claimed: ClaimedMessage, sent: SendResult, *, now: datetime
) -> str:
    """Log the attempt and move the message on; returns the message's new status."""
    session.add(
        WebhookAttemptRow(
            message_id=claimed.id,
            attempt_number=claimed.attempt_number,
            attempted_at=now,
            result=sent.result,
            status_code=sent.status_code,
            duration_ms=sent.duration_ms,
            error=sent.error,
        )
    )
    if sent.result == ATTEMPT_SUCCEEDED:
        status, next_attempt_at, finished_at = MESSAGE_DELIVERED, None, now
    elif claimed.attempt_number >= MAX_ATTEMPTS:
        status, next_attempt_at, finished_at = MESSAGE_FAILED, None, now
    else:
        status = MESSAGE_PENDING
        next_attempt_at, finished_at = now + RETRY_DELAYS[claimed.attempt_number - 1], None
    moved = session.execute(
        update(WebhookMessageRow)
        .where(
            WebhookMessageRow.id == claimed.id,
            WebhookMessageRow.lease_token == claimed.lease_token,
        )
        .values(
            status=status,
            attempts=claimed.attempt_number,
            next_attempt_at=next_attempt_at,
            finished_at=finished_at,
            lease_token=None,
            lease_expires_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount == 0:  # type: ignore[attr-defined]
        # Our lease ran out and another worker claimed the message: its record decides.
        log.warning(
            "webhooks: the lease on message %s ran out before its attempt was recorded; the "
            "attempt is logged, and the worker holding it now decides its status",
            claimed.external_id,
        )
    return status


class WebhookDeliverer:
    """The worker's delivery job. `clock` decides what is due (tests move it by hand); `send`
    does the HTTP (tests may pass a fake)."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        send: Sender | None = None,
        batch_size: int = DELIVERY_BATCH_SIZE,
        batches_per_pass: int = DELIVERY_BATCHES_PER_PASS,
    ) -> None:
        self._session_factory = session_factory
        self._clock = clock
        self._send: Sender = post_json if send is None else send
        self._batch_size = batch_size
        self._batches_per_pass = batches_per_pass

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        with self._session_factory() as session, session.begin():
            yield session

    def deliver_due(self) -> int:
        """One pass: returns how many attempts were made."""
        attempted = 0
        for _ in range(self._batches_per_pass):
            with self._transaction() as session:
                claimed = claim_due(session, now=self._clock(), limit=self._batch_size)
            if not claimed:
                break
            for message in claimed:
                self._attempt(message)
                attempted += 1
        return attempted

    def _attempt(self, message: ClaimedMessage) -> None:
        body = message.body.encode("utf-8")
        sent = self._send(message.callback_url, body, request_headers(body, message.secret))
        with self._transaction() as session:
            status = record_attempt(session, message, sent, now=self._clock())
        log.info(
            "webhooks: message %s attempt %d: %s%s; now %s",
            message.external_id,
            message.attempt_number,
            sent.result,
            "" if sent.status_code is None else f" ({sent.status_code})",
            status,
        )
