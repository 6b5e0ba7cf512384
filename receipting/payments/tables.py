"""This subsystem's tables: typed SQLAlchemy models on the shared metadata.

Migration 0005_payments builds exactly these (a test compares them) and adds the triggers that
guard them: events, lines and receipts are append-only; a payment moves only along the transition
table in `states.py` and its amount, owner and basket never change once created.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ledger.model import MAX_ACCOUNT_CODE_LEN, MAX_SUB_ACCOUNT_KEY_LEN
from ledger.tables import Base, BigId, UtcDateTime
from receipting.payments.ids import ID_LEN
from receipting.payments.limits import (
    MAX_AMOUNT_PENCE,
    MAX_DESCRIPTION_LEN,
    MAX_EMAIL_LEN,
    MAX_IDEMPOTENCY_KEY_LEN,
    MAX_NARRATIVE_LEN,
    MAX_REFERENCE_LEN,
    MAX_RETURN_URL_LEN,
    MAX_SERVICE_LEN,
)

STATUS_CHECK = (
    "status IN ('created', 'started', 'submitted', 'capturable', 'success', 'failed', "
    "'cancelled', 'error')"
)
REFUND_STATUS_CHECK = "status IN ('submitted', 'success', 'error')"

# Long enough for "R-2026-000000123" with room for many years of growth.
MAX_RECEIPT_NUMBER_LEN = 32
MAX_GATEWAY_REF_LEN = 64
MAX_STATE_CODE_LEN = 8
MAX_STATE_MESSAGE_LEN = 255
MAX_FUND_CODE_LEN = 32
MAX_VAT_CODE_LEN = 16


class PaymentRow(Base):
    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint(STATUS_CHECK, name="status"),
        CheckConstraint(f"amount_pence BETWEEN 1 AND {MAX_AMOUNT_PENCE}", name="amount_limit"),
        CheckConstraint(
            "refunded_pence >= 0 AND refunded_pence <= amount_pence", name="refunds_within"
        ),
        CheckConstraint("language IN ('en', 'cy')", name="language"),
        CheckConstraint(
            "status <> 'success' OR (ledger_entry_id IS NOT NULL AND receipt_number IS NOT NULL)",
            name="success_posted",
        ),
        Index("ix_payments_service_created", "service", "created_at"),
        Index("ix_payments_status_created", "status", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    service: Mapped[str] = mapped_column(String(MAX_SERVICE_LEN))
    amount_pence: Mapped[int] = mapped_column(BigInteger)
    refunded_pence: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    state_code: Mapped[str | None] = mapped_column(String(MAX_STATE_CODE_LEN))
    state_message: Mapped[str | None] = mapped_column(String(MAX_STATE_MESSAGE_LEN))
    reference: Mapped[str] = mapped_column(String(MAX_REFERENCE_LEN))
    description: Mapped[str] = mapped_column(String(MAX_DESCRIPTION_LEN))
    return_url: Mapped[str] = mapped_column(String(MAX_RETURN_URL_LEN))
    language: Mapped[str] = mapped_column(String(2))
    email: Mapped[str | None] = mapped_column(String(MAX_EMAIL_LEN))
    delayed_capture: Mapped[bool] = mapped_column(Boolean)
    moto: Mapped[bool] = mapped_column(Boolean)
    metadata_json: Mapped[str | None] = mapped_column(Text)
    gateway: Mapped[str] = mapped_column(String(32))
    gateway_ref: Mapped[str | None] = mapped_column(String(MAX_GATEWAY_REF_LEN))
    next_url: Mapped[str | None] = mapped_column(String(MAX_RETURN_URL_LEN))
    card_brand: Mapped[str | None] = mapped_column(String(32))
    card_type: Mapped[str | None] = mapped_column(String(16))
    card_first_digits: Mapped[str | None] = mapped_column(String(6))
    card_last_digits: Mapped[str | None] = mapped_column(String(4))
    card_expiry: Mapped[str | None] = mapped_column(String(5))
    cardholder_name: Mapped[str | None] = mapped_column(String(255))
    auth_code: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    captured_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ledger_entry_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("ledger_entries.id"))
    receipt_number: Mapped[str | None] = mapped_column(String(MAX_RECEIPT_NUMBER_LEN), unique=True)


class PaymentLineRow(Base):
    """One basket line: money for one fund and account reference. Never changed once written."""

    __tablename__ = "payment_lines"
    __table_args__ = (
        CheckConstraint("amount_pence > 0", name="positive"),
        CheckConstraint("net_pence + vat_pence = amount_pence", name="net_plus_vat"),
        CheckConstraint("vat_pence >= 0 AND net_pence >= 0", name="parts_not_negative"),
        UniqueConstraint("payment_id", "line_no", name="uq_payment_lines_payment_line"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    payment_id: Mapped[str] = mapped_column(String(ID_LEN), ForeignKey("payments.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    fund_code: Mapped[str] = mapped_column(String(MAX_FUND_CODE_LEN))
    ledger_account_code: Mapped[str] = mapped_column(String(MAX_ACCOUNT_CODE_LEN))
    account_reference: Mapped[str] = mapped_column(String(MAX_SUB_ACCOUNT_KEY_LEN))
    amount_pence: Mapped[int] = mapped_column(BigInteger)
    narrative: Mapped[str | None] = mapped_column(String(MAX_NARRATIVE_LEN))
    vat_code: Mapped[str] = mapped_column(String(MAX_VAT_CODE_LEN))
    vat_rate_basis_points: Mapped[int] = mapped_column(Integer)
    net_pence: Mapped[int] = mapped_column(BigInteger)
    vat_pence: Mapped[int] = mapped_column(BigInteger)


class PaymentEventRow(Base):
    """One transition of one payment. Append-only."""

    __tablename__ = "payment_events"
    __table_args__ = (
        CheckConstraint(STATUS_CHECK, name="status"),
        Index("ix_payment_events_payment_id", "payment_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    payment_id: Mapped[str] = mapped_column(String(ID_LEN), ForeignKey("payments.id"))
    status: Mapped[str] = mapped_column(String(16))
    code: Mapped[str | None] = mapped_column(String(MAX_STATE_CODE_LEN))
    message: Mapped[str | None] = mapped_column(String(MAX_STATE_MESSAGE_LEN))
    receipt_number: Mapped[str | None] = mapped_column(String(MAX_RECEIPT_NUMBER_LEN))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PaymentIdempotencyRow(Base):
    """An `Idempotency-Key` a service used, with a digest of the body it came with."""

    __tablename__ = "payment_idempotency_keys"
    __table_args__ = (
        UniqueConstraint("service", "idempotency_key", name="uq_payment_idempotency_keys_key"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    service: Mapped[str] = mapped_column(String(MAX_SERVICE_LEN))
    idempotency_key: Mapped[str] = mapped_column(String(MAX_IDEMPOTENCY_KEY_LEN))
    request_hash: Mapped[str] = mapped_column(String(64))
    payment_id: Mapped[str] = mapped_column(String(ID_LEN), ForeignKey("payments.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ReceiptRow(Base):
    """The receipt issued for a successful payment. Append-only; one per payment."""

    __tablename__ = "payment_receipts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    number: Mapped[str] = mapped_column(String(MAX_RECEIPT_NUMBER_LEN), unique=True)
    payment_id: Mapped[str] = mapped_column(String(ID_LEN), ForeignKey("payments.id"), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RefundRow(Base):
    __tablename__ = "payment_refunds"
    __table_args__ = (
        CheckConstraint(REFUND_STATUS_CHECK, name="status"),
        CheckConstraint("amount_pence > 0", name="positive"),
        Index("ix_payment_refunds_payment_id", "payment_id"),
        Index("ix_payment_refunds_service_created", "service", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    payment_id: Mapped[str] = mapped_column(String(ID_LEN), ForeignKey("payments.id"))
    service: Mapped[str] = mapped_column(String(MAX_SERVICE_LEN))
    amount_pence: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    gateway_refund_ref: Mapped[str | None] = mapped_column(String(MAX_GATEWAY_REF_LEN))
    ledger_entry_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("ledger_entries.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
