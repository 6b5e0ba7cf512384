"""This subsystem's tables: typed SQLAlchemy models on the shared metadata.

- `webhook_subscriptions`: who wants which events, where, signed with which secret.
- `webhook_messages`: the outbox. One row per (event, subscription), written in the transaction
  of the change it announces; its `body` is the exact JSON sent on every attempt.
- `webhook_attempts`: the delivery log, one row per HTTP attempt, success or not.

The migration 0006_webhooks builds exactly these (a test compares them).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ledger.tables import Base, BigId, UtcDateTime
from receipting.auth.tables import MAX_SERVICE_LEN

# The events a subscription may ask for: GOV.UK Pay's card payment events, by their names.
EVENT_TYPES = (
    "card_payment_started",
    "card_payment_succeeded",
    "card_payment_captured",
    "card_payment_refunded",
    "card_payment_failed",
    "card_payment_expired",
    "card_payment_settled",
)

SUBSCRIPTION_ACTIVE = "active"
SUBSCRIPTION_DISABLED = "disabled"
SUBSCRIPTION_STATUSES = (SUBSCRIPTION_ACTIVE, SUBSCRIPTION_DISABLED)

MESSAGE_PENDING = "pending"  # waiting for its next attempt (or being attempted, under a lease)
MESSAGE_DELIVERED = "delivered"  # a 2xx answer was received
MESSAGE_FAILED = "failed"  # every retry was used up; given up
MESSAGE_STATUSES = (MESSAGE_PENDING, MESSAGE_DELIVERED, MESSAGE_FAILED)

ATTEMPT_SUCCEEDED = "succeeded"  # 2xx
ATTEMPT_HTTP_ERROR = "http_error"  # an answer, but not 2xx
ATTEMPT_TIMEOUT = "timeout"  # no answer within the delivery timeout
ATTEMPT_CONNECTION_ERROR = "connection_error"  # refused, unresolvable, TLS failure, reset
ATTEMPT_RESULTS = (ATTEMPT_SUCCEEDED, ATTEMPT_HTTP_ERROR, ATTEMPT_TIMEOUT, ATTEMPT_CONNECTION_ERROR)

# Public ids: 26 lowercase base32 characters (130 random bits), the length of GOV.UK Pay's ids.
EXTERNAL_ID_LEN = 26
# Browsers and most servers stop at about 2,000 characters; a callback longer than that is a
# mistake rather than a real endpoint.
MAX_CALLBACK_URL_LEN = 2048
MAX_SUBSCRIPTION_DESCRIPTION_LEN = 200
# Room for every event name joined by commas (about 170 characters today) and a few more.
MAX_EVENT_TYPES_TEXT_LEN = 400
# The signing secret: a fixed prefix and 64 hex characters of randomness (see signing.py).
MAX_SECRET_LEN = 100
MAX_EVENT_TYPE_LEN = 50
MAX_RESOURCE_TYPE_LEN = 50
MAX_RESOURCE_ID_LEN = 100
# A lease token: 32 hex characters identifying one claim of a message by one worker.
LEASE_TOKEN_LEN = 32
# Enough of an error to tell a connection refused from a bad certificate; the rest is noise.
MAX_ATTEMPT_ERROR_LEN = 500


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


class WebhookSubscriptionRow(Base):
    __tablename__ = "webhook_subscriptions"
    __table_args__ = (
        CheckConstraint(f"status IN ({_in(SUBSCRIPTION_STATUSES)})", name="status"),
        Index("ix_webhook_subscriptions_service", "service", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    external_id: Mapped[str] = mapped_column(String(EXTERNAL_ID_LEN), unique=True)
    service: Mapped[str] = mapped_column(String(MAX_SERVICE_LEN))
    callback_url: Mapped[str] = mapped_column(String(MAX_CALLBACK_URL_LEN))
    description: Mapped[str] = mapped_column(String(MAX_SUBSCRIPTION_DESCRIPTION_LEN))
    # Comma-separated, sorted, each one of EVENT_TYPES.
    event_types: Mapped[str] = mapped_column(String(MAX_EVENT_TYPES_TEXT_LEN))
    # Kept in the clear: signing needs the secret itself, as it does at GOV.UK Pay.
    secret: Mapped[str] = mapped_column(String(MAX_SECRET_LEN))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class WebhookMessageRow(Base):
    __tablename__ = "webhook_messages"
    __table_args__ = (
        CheckConstraint(f"status IN ({_in(MESSAGE_STATUSES)})", name="status"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        # The deliverer's question: which pending messages are due?
        Index("ix_webhook_messages_due", "status", "next_attempt_at"),
        # The delivery log's question: a subscription's messages, newest first.
        Index("ix_webhook_messages_subscription", "subscription_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    external_id: Mapped[str] = mapped_column(String(EXTERNAL_ID_LEN), unique=True)
    subscription_id: Mapped[int] = mapped_column(BigId, ForeignKey("webhook_subscriptions.id"))
    event_type: Mapped[str] = mapped_column(String(MAX_EVENT_TYPE_LEN))
    resource_type: Mapped[str] = mapped_column(String(MAX_RESOURCE_TYPE_LEN))
    resource_id: Mapped[str] = mapped_column(String(MAX_RESOURCE_ID_LEN))
    # The JSON body, ASCII only, fixed at enqueue: every attempt sends (and signs) these bytes.
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Set while a worker is sending it: no other worker claims it before `lease_expires_at`.
    lease_token: Mapped[str | None] = mapped_column(String(LEASE_TOKEN_LEN))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class WebhookAttemptRow(Base):
    __tablename__ = "webhook_attempts"
    __table_args__ = (
        CheckConstraint(f"result IN ({_in(ATTEMPT_RESULTS)})", name="result"),
        Index("ix_webhook_attempts_message_id", "message_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(BigId, ForeignKey("webhook_messages.id"))
    attempt_number: Mapped[int] = mapped_column(Integer)
    attempted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    result: Mapped[str] = mapped_column(String(20))
    status_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(MAX_ATTEMPT_ERROR_LEN))
