"""Tables of the email outbox (migration 0009_email_receipts).

- `email_outbox`: one row per email to send, written in the transaction of the change it tells
  the person about (for a receipt: the payment's move to success). The message itself is composed
  when it is sent, from the payment, so the row holds only who, in which language, and how
  delivery is going. A payment has at most one row of each kind: a receipt is queued once.

The migration 0009_email_receipts builds exactly this (a test compares them).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ledger.tables import Base, BigId, UtcDateTime
from receipting.payments.ids import ID_LEN
from receipting.payments.limits import MAX_EMAIL_LEN

KIND_RECEIPT = "receipt"
KINDS = (KIND_RECEIPT,)

EMAIL_QUEUED = "queued"  # waiting for its next attempt (or being attempted, under a lease)
EMAIL_SENT = "sent"  # the SMTP server accepted it
EMAIL_FAILED = "failed"  # refused for good, or every retry used up; given up
EMAIL_STATUSES = (EMAIL_QUEUED, EMAIL_SENT, EMAIL_FAILED)

LANGUAGES = ("en", "cy")

MAX_KIND_LEN = 16
# A lease token: 32 hex characters identifying one claim of a row by one sender.
LEASE_TOKEN_LEN = 32
# Enough to tell "connection refused" from "550 mailbox unavailable"; never a password or an
# address (see delivery.describe_failure).
MAX_LAST_ERROR_LEN = 200


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


class EmailOutboxRow(Base):
    __tablename__ = "email_outbox"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_in(KINDS)})", name="kind"),
        CheckConstraint(f"status IN ({_in(EMAIL_STATUSES)})", name="status"),
        CheckConstraint(f"language IN ({_in(LANGUAGES)})", name="language"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        # A queued row is always due at some time; a sent row says when it went.
        CheckConstraint("status <> 'queued' OR next_attempt_at IS NOT NULL", name="queued_due"),
        CheckConstraint("status <> 'sent' OR sent_at IS NOT NULL", name="sent_when"),
        # The guarantee that a payment's receipt is emailed at most once, whatever retries.
        UniqueConstraint("payment_id", "kind", name="uq_email_outbox_payment_kind"),
        # The sender's question: which queued rows are due?
        Index("ix_email_outbox_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(MAX_KIND_LEN))
    payment_id: Mapped[str] = mapped_column(String(ID_LEN), ForeignKey("payments.id"))
    recipient: Mapped[str] = mapped_column(String(MAX_EMAIL_LEN))
    language: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Set while a sender is sending it: nobody else claims it before `lease_expires_at`.
    lease_token: Mapped[str | None] = mapped_column(String(LEASE_TOKEN_LEN))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(String(MAX_LAST_ERROR_LEN))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
