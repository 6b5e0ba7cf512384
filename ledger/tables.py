"""The ledger's tables as typed SQLAlchemy models.

Alembic migrations are the only source of schema; these models must match them exactly (a test
compares them). The triggers that protect money are in the migrations, not here.

Write order, relied on by the database checks: an entry's postings are inserted first, then the
entry row. Inserting the entry row checks that its postings balance, and afterwards no posting can
be added to it. The postings' foreign key to the entry is deferred to commit, so postings whose
entry never arrives cannot be committed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ledger.model import (
    MAX_ACCOUNT_CODE_LEN,
    MAX_ACCOUNT_NAME_LEN,
    MAX_DESCRIPTION_LEN,
    MAX_IDEMPOTENCY_KEY_LEN,
    MAX_PERIOD_NAME_LEN,
    MAX_POSTING_PENCE,
    MAX_SOURCE_LEN,
    MAX_SUB_ACCOUNT_KEY_LEN,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only makes an INTEGER PRIMARY KEY an alias of its rowid (auto-assigned); BIGINT is kept
# for PostgreSQL.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp that is always UTC and always zone-aware in Python.

    PostgreSQL stores `timestamptz`; SQLite has no zone, so values are written as UTC and given
    their zone back when read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("Timestamps must carry a time zone; use datetime.now(UTC).")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class AccountRow(Base):
    __tablename__ = "ledger_accounts"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('asset', 'liability', 'income', 'expense', 'equity')", name="kind"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(MAX_ACCOUNT_CODE_LEN), unique=True)
    name: Mapped[str] = mapped_column(String(MAX_ACCOUNT_NAME_LEN))
    kind: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class EntryRow(Base):
    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint("(idempotency_key IS NULL) = (request_hash IS NULL)", name="key_with_hash"),
        CheckConstraint("reverses_entry_id <> id", name="not_self_reversal"),
        Index("ix_ledger_entries_effective_date", "effective_date"),
    )

    # Assigned by the writer before its postings are inserted (see module docstring).
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    effective_date: Mapped[date] = mapped_column(Date)
    posted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    description: Mapped[str] = mapped_column(String(MAX_DESCRIPTION_LEN))
    source: Mapped[str] = mapped_column(String(MAX_SOURCE_LEN))
    idempotency_key: Mapped[str | None] = mapped_column(
        String(MAX_IDEMPOTENCY_KEY_LEN), unique=True
    )
    request_hash: Mapped[str | None] = mapped_column(String(64))
    # Unique: an entry can be reversed once, whoever tries and however many at once.
    reverses_entry_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("ledger_entries.id"), unique=True
    )


class PostingRow(Base):
    __tablename__ = "ledger_postings"
    __table_args__ = (
        CheckConstraint("amount_pence <> 0", name="not_zero"),
        CheckConstraint(
            f"amount_pence BETWEEN -{MAX_POSTING_PENCE} AND {MAX_POSTING_PENCE}",
            name="within_limit",
        ),
        CheckConstraint("currency = 'GBP'", name="currency_gbp"),
        Index("ix_ledger_postings_entry_id", "entry_id"),
        Index("ix_ledger_postings_account_sub", "account_id", "sub_account_key"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(
        BigId,
        ForeignKey("ledger_entries.id", deferrable=True, initially="DEFERRED"),
    )
    account_id: Mapped[int] = mapped_column(Integer, ForeignKey("ledger_accounts.id"))
    amount_pence: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="GBP")
    sub_account_key: Mapped[str | None] = mapped_column(String(MAX_SUB_ACCOUNT_KEY_LEN))


class PeriodRow(Base):
    __tablename__ = "ledger_periods"
    __table_args__ = (CheckConstraint("starts_on <= ends_on", name="ordered"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(MAX_PERIOD_NAME_LEN), unique=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SealQueueRow(Base):
    """Entries committed but not yet sealed into the hash chain (filled by a trigger)."""

    __tablename__ = "ledger_seal_queue"

    entry_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("ledger_entries.id"), primary_key=True, autoincrement=False
    )


class SealRow(Base):
    """One link of the HMAC hash chain: entry `entry_id` sealed at chain position `seq`."""

    __tablename__ = "ledger_seals"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    entry_id: Mapped[int] = mapped_column(BigId, ForeignKey("ledger_entries.id"), unique=True)
    chain_hash: Mapped[str] = mapped_column(String(64))
    sealed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DailyTotalRow(Base):
    """Checkpoint: the sum of sealed postings per account and effective date.

    Written only by the single sealer, never by posting, so concurrent writers never wait on it.
    A balance is these totals plus the postings of entries still in the seal queue.
    """

    __tablename__ = "ledger_daily_totals"
    __table_args__ = (UniqueConstraint("account_id", "effective_date", name="account_day"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(Integer, ForeignKey("ledger_accounts.id"))
    effective_date: Mapped[date] = mapped_column(Date)
    amount_pence: Mapped[int] = mapped_column(BigInteger)
