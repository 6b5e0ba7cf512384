"""This subsystem's tables: typed SQLAlchemy models on the shared metadata.

The migrations 0002_council and 0007_council_presentation (the Welsh texts, the colour and the
contact details, all nullable because earlier versions had none) build exactly these (a test
compares them). The current configuration
is what the rows say now; `council_config_versions` records each file that was loaded. Funds,
VAT codes and methods of payment are never deleted, only retired, because payments and postings
refer to them; reference rules no fund refers to and gateways left out of a file are removed.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ledger.model import MAX_ACCOUNT_CODE_LEN
from ledger.tables import Base, UtcDateTime
from receipting.council.config import (
    COLOUR_LEN,
    MAX_BACK_OFFICE_LEN,
    MAX_CODE_LEN,
    MAX_FUND_AMOUNT_PENCE,
    MAX_GATEWAY_NAME_LEN,
    MAX_GL_CODE_LEN,
    MAX_NAME_LEN,
    MAX_PATTERN_LEN,
    MAX_PHONE_LEN,
    MAX_TEXT_LEN,
    MAX_URL_LEN,
)
from receipting.council.references import MAX_REFERENCE_LEN
from receipting.council.vat import MAX_VAT_RATE_BASIS_POINTS

SHA256_HEX_LEN = 64
MAX_SOURCE_LEN = 500  # the file's name as it was given to `receipting council load`

LEDGER_ACCOUNT_CODE = "ledger_accounts.code"


class ConfigVersionRow(Base):
    __tablename__ = "council_config_versions"
    __table_args__ = (CheckConstraint("version >= 1", name="version_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    sha256: Mapped[str] = mapped_column(String(SHA256_HEX_LEN))
    council_name: Mapped[str] = mapped_column(String(MAX_NAME_LEN))
    source: Mapped[str] = mapped_column(String(MAX_SOURCE_LEN))
    vat_output_account: Mapped[str] = mapped_column(
        String(MAX_ACCOUNT_CODE_LEN), ForeignKey(LEDGER_ACCOUNT_CODE)
    )
    suspense_account: Mapped[str] = mapped_column(
        String(MAX_ACCOUNT_CODE_LEN), ForeignKey(LEDGER_ACCOUNT_CODE)
    )
    card_fees_account: Mapped[str] = mapped_column(
        String(MAX_ACCOUNT_CODE_LEN), ForeignKey(LEDGER_ACCOUNT_CODE)
    )
    loaded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # How residents' pages present the council; null colour means the default (config.py).
    council_name_cy: Mapped[str | None] = mapped_column(String(MAX_NAME_LEN))
    colour: Mapped[str | None] = mapped_column(String(COLOUR_LEN))
    website_url: Mapped[str | None] = mapped_column(String(MAX_URL_LEN))
    phone: Mapped[str | None] = mapped_column(String(MAX_PHONE_LEN))


class VatCodeRow(Base):
    __tablename__ = "council_vat_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(MAX_CODE_LEN), unique=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME_LEN))
    retired: Mapped[bool] = mapped_column(Boolean, default=False)


class VatRateRow(Base):
    __tablename__ = "council_vat_rates"
    __table_args__ = (
        UniqueConstraint("vat_code_id", "effective_from"),
        CheckConstraint(
            f"rate_basis_points BETWEEN 0 AND {MAX_VAT_RATE_BASIS_POINTS}", name="rate_range"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vat_code_id: Mapped[int] = mapped_column(Integer, ForeignKey("council_vat_codes.id"))
    effective_from: Mapped[date] = mapped_column(Date)
    rate_basis_points: Mapped[int] = mapped_column(Integer)


class ReferenceRuleRow(Base):
    __tablename__ = "council_reference_rules"
    __table_args__ = (
        CheckConstraint(
            "mask IS NULL OR (min_length IS NULL AND max_length IS NULL)", name="mask_or_lengths"
        ),
        CheckConstraint("min_length <= max_length", name="lengths_ordered"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(MAX_CODE_LEN), unique=True)
    description: Mapped[str] = mapped_column(String(MAX_TEXT_LEN))
    hint: Mapped[str | None] = mapped_column(String(MAX_TEXT_LEN))
    mask: Mapped[str | None] = mapped_column(String(MAX_REFERENCE_LEN))
    pattern: Mapped[str | None] = mapped_column(String(MAX_PATTERN_LEN))
    min_length: Mapped[int | None] = mapped_column(Integer)
    max_length: Mapped[int | None] = mapped_column(Integer)
    # The check-character scheme as JSON ({"scheme": "weighted", "modulus": 11, ...}), or null.
    check_scheme: Mapped[str | None] = mapped_column(Text)
    description_cy: Mapped[str | None] = mapped_column(String(MAX_TEXT_LEN))
    hint_cy: Mapped[str | None] = mapped_column(String(MAX_TEXT_LEN))


class FundRow(Base):
    __tablename__ = "council_funds"
    __table_args__ = (
        CheckConstraint(
            f"max_amount_pence BETWEEN 1 AND {MAX_FUND_AMOUNT_PENCE}", name="max_amount_range"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(MAX_CODE_LEN), unique=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME_LEN))
    gl_code: Mapped[str] = mapped_column(String(MAX_GL_CODE_LEN))
    ledger_account: Mapped[str] = mapped_column(
        String(MAX_ACCOUNT_CODE_LEN), ForeignKey(LEDGER_ACCOUNT_CODE)
    )
    vat_code: Mapped[str] = mapped_column(
        String(MAX_CODE_LEN), ForeignKey("council_vat_codes.code")
    )
    max_amount_pence: Mapped[int] = mapped_column(BigInteger)
    allow_overpayment: Mapped[bool] = mapped_column(Boolean)
    payable_online: Mapped[bool] = mapped_column(Boolean)
    payable_by_phone: Mapped[bool] = mapped_column(Boolean)
    payable_at_counter: Mapped[bool] = mapped_column(Boolean)
    reference_rule: Mapped[str | None] = mapped_column(
        String(MAX_CODE_LEN), ForeignKey("council_reference_rules.code")
    )
    back_office: Mapped[str | None] = mapped_column(String(MAX_BACK_OFFICE_LEN))
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    name_cy: Mapped[str | None] = mapped_column(String(MAX_NAME_LEN))
    # Where to find the reference on the bill, for the start page.
    guidance: Mapped[str | None] = mapped_column(String(MAX_TEXT_LEN))
    guidance_cy: Mapped[str | None] = mapped_column(String(MAX_TEXT_LEN))


class OnStopReferenceRow(Base):
    """A reference a fund must refuse, with the reason shown to the payer."""

    __tablename__ = "council_on_stop_references"
    __table_args__ = (UniqueConstraint("fund_id", "reference"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fund_id: Mapped[int] = mapped_column(Integer, ForeignKey("council_funds.id"))
    reference: Mapped[str] = mapped_column(String(MAX_REFERENCE_LEN))
    reason: Mapped[str] = mapped_column(String(MAX_TEXT_LEN))


class PaymentMethodRow(Base):
    __tablename__ = "council_payment_methods"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(MAX_CODE_LEN), unique=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME_LEN))
    clearing_account: Mapped[str] = mapped_column(
        String(MAX_ACCOUNT_CODE_LEN), ForeignKey(LEDGER_ACCOUNT_CODE)
    )
    refundable: Mapped[bool] = mapped_column(Boolean)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)


class GatewayRow(Base):
    """A card gateway's clearing account: debited with every card payment taken through it."""

    __tablename__ = "council_gateways"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(MAX_GATEWAY_NAME_LEN), unique=True)
    clearing_account: Mapped[str] = mapped_column(
        String(MAX_ACCOUNT_CODE_LEN), ForeignKey(LEDGER_ACCOUNT_CODE)
    )
