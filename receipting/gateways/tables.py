"""This subsystem's tables: typed SQLAlchemy models on the shared metadata.

The sandbox gateway plays an external system, so it keeps its own state in its own tables,
prefixed `sandbox_gateway_`; the engine's payment tables never point into them. Of a card, only
what a real gateway may keep is stored: brand, first six and last four digits, expiry, cardholder
name and card type. The full number and the security code are never written anywhere.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ledger.tables import Base, BigId, UtcDateTime

# Widths, each with its reason.
GATEWAY_REF_LEN = 64  # secrets.token_urlsafe(32) is 43 characters
PAYMENT_ID_LEN = 64  # the engine's payment ids are 26 characters; room for other formats
REFERENCE_LEN = 255  # GOV.UK Pay's limit for reference and description
RETURN_URL_LEN = 2000  # GOV.UK Pay's limit for return_url
EMAIL_LEN = 254  # the longest address RFC 5321 allows
CARDHOLDER_NAME_LEN = 255
BRAND_LEN = 32
STATE_LEN = 16
CODE_LEN = 8  # P-codes such as P0010
MESSAGE_LEN = 255
TOKEN_LEN = 64  # the anti-forgery token, secrets.token_urlsafe(32)
AUTH_CODE_LEN = 16
IDEMPOTENCY_KEY_LEN = 255  # GOV.UK Pay's limit for Idempotency-Key
PAYOUT_REF_LEN = 64

TRANSACTION_STATES = (
    "created",
    "started",
    "submitted",
    "capturable",
    "success",
    "failed",
    "cancelled",
    "error",
)
REFUND_STATES = ("submitted", "success", "error")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class SandboxTransactionRow(Base):
    __tablename__ = "sandbox_gateway_transactions"
    __table_args__ = (
        CheckConstraint(_in("state", TRANSACTION_STATES), name="state"),
        CheckConstraint("amount_pence >= 0", name="amount_not_negative"),
        CheckConstraint("length(card_first_digits) = 6", name="first_six"),
        CheckConstraint("length(card_last_digits) = 4", name="last_four"),
        Index("ix_sandbox_gateway_transactions_captured_at", "captured_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    gateway_ref: Mapped[str] = mapped_column(String(GATEWAY_REF_LEN), unique=True)
    payment_id: Mapped[str] = mapped_column(String(PAYMENT_ID_LEN))
    amount_pence: Mapped[int] = mapped_column(BigInteger)
    reference: Mapped[str] = mapped_column(String(REFERENCE_LEN))
    description: Mapped[str] = mapped_column(String(REFERENCE_LEN))
    return_url: Mapped[str] = mapped_column(String(RETURN_URL_LEN))
    language: Mapped[str] = mapped_column(String(2))
    delayed_capture: Mapped[bool] = mapped_column(Boolean)
    moto: Mapped[bool] = mapped_column(Boolean)
    email: Mapped[str | None] = mapped_column(String(EMAIL_LEN))
    prefilled_cardholder_name: Mapped[str | None] = mapped_column(String(CARDHOLDER_NAME_LEN))
    form_token: Mapped[str] = mapped_column(String(TOKEN_LEN))
    state: Mapped[str] = mapped_column(String(STATE_LEN))
    code: Mapped[str | None] = mapped_column(String(CODE_LEN))
    message: Mapped[str | None] = mapped_column(String(MESSAGE_LEN))
    card_brand: Mapped[str | None] = mapped_column(String(BRAND_LEN))
    card_first_digits: Mapped[str | None] = mapped_column(String(6))
    card_last_digits: Mapped[str | None] = mapped_column(String(4))
    card_expiry: Mapped[str | None] = mapped_column(String(5))
    cardholder_name: Mapped[str | None] = mapped_column(String(CARDHOLDER_NAME_LEN))
    card_type: Mapped[str | None] = mapped_column(String(16))
    auth_code: Mapped[str | None] = mapped_column(String(AUTH_CODE_LEN))
    three_d_secure_required: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    captured_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    settled_on: Mapped[date | None] = mapped_column(Date)
    payout_ref: Mapped[str | None] = mapped_column(String(PAYOUT_REF_LEN))
    fee_pence: Mapped[int | None] = mapped_column(BigInteger)


class SandboxRefundRow(Base):
    __tablename__ = "sandbox_gateway_refunds"
    __table_args__ = (
        CheckConstraint(_in("state", REFUND_STATES), name="state"),
        CheckConstraint("amount_pence > 0", name="amount_positive"),
        # The same key on the same transaction is the same refund, asked for again.
        UniqueConstraint("transaction_id", "idempotency_key"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    gateway_refund_ref: Mapped[str] = mapped_column(String(GATEWAY_REF_LEN), unique=True)
    transaction_id: Mapped[int] = mapped_column(
        # Named here: the conventional name is longer than PostgreSQL's 63 characters.
        BigId,
        ForeignKey(
            "sandbox_gateway_transactions.id", name="fk_sandbox_gateway_refunds_transaction"
        ),
    )
    amount_pence: Mapped[int] = mapped_column(BigInteger)
    idempotency_key: Mapped[str] = mapped_column(String(IDEMPOTENCY_KEY_LEN))
    state: Mapped[str] = mapped_column(String(STATE_LEN))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    settled_on: Mapped[date | None] = mapped_column(Date)
    payout_ref: Mapped[str | None] = mapped_column(String(PAYOUT_REF_LEN))
