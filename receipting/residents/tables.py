"""Tables of residents who sign in. The migration 0008_residents builds exactly these (a test
compares them).

- `resident_accounts`: one row per person the provider vouches for, keyed by (issuer, subject).
- `resident_sessions`: server-side sessions; the browser holds only a random token, and the
  table only its SHA-256, so a copy of the table lets no one in. A session ends at sign-out.
- `resident_sign_in_attempts`: each sign-in started here, with its `state`, `nonce` and PKCE
  verifier; used at most once, so a replayed callback is refused.
- `resident_saved_references`: references a resident keeps for next time, per fund.
- `resident_payments`: the payments a resident made while signed in.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ledger.tables import Base, BigId, UtcDateTime
from receipting.payments.ids import ID_LEN as PAYMENT_ID_LEN

# OpenID Connect leaves issuers and subjects unbounded; One Login's subjects are about 70
# characters and issuers short URLs, so 255 is generous without inviting abuse.
MAX_ISSUER_LEN = 255
MAX_SUBJECT_LEN = 255
MAX_EMAIL_LEN = 254  # RFC 5321's limit on a forward path
SHA256_HEX_LEN = 64
# `nonce` and the PKCE verifier are made here: 43 characters of base64url (32 random bytes); the
# RFC allows a verifier up to 128.
MAX_NONCE_LEN = 128
MAX_CODE_VERIFIER_LEN = 128
MAX_RETURN_PATH_LEN = 200  # a path on this site, never an absolute URL
MAX_FUND_CODE_LEN = 32
MAX_SAVED_REFERENCE_LEN = 64


class ResidentAccountRow(Base):
    __tablename__ = "resident_accounts"
    __table_args__ = (UniqueConstraint("issuer", "subject", name="uq_resident_accounts_subject"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    issuer: Mapped[str] = mapped_column(String(MAX_ISSUER_LEN))
    subject: Mapped[str] = mapped_column(String(MAX_SUBJECT_LEN))
    email: Mapped[str | None] = mapped_column(String(MAX_EMAIL_LEN))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_signed_in_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ResidentSessionRow(Base):
    __tablename__ = "resident_sessions"
    __table_args__ = (
        CheckConstraint("expires_at > created_at", name="expires_after_created"),
        CheckConstraint("ended_at IS NULL OR ended_at >= created_at", name="ends_after_created"),
        Index("ix_resident_sessions_resident", "resident_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token_sha256: Mapped[str] = mapped_column(String(SHA256_HEX_LEN), unique=True)
    resident_id: Mapped[int] = mapped_column(BigId, ForeignKey("resident_accounts.id"))
    # Kept only to ask the provider to end its own session at sign-out (`id_token_hint`).
    id_token: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SignInAttemptRow(Base):
    __tablename__ = "resident_sign_in_attempts"
    __table_args__ = (
        CheckConstraint("expires_at > created_at", name="expires_after_created"),
        CheckConstraint("language IN ('en', 'cy')", name="language"),
        Index("ix_resident_sign_in_attempts_expires", "expires_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    state_sha256: Mapped[str] = mapped_column(String(SHA256_HEX_LEN), unique=True)
    nonce: Mapped[str] = mapped_column(String(MAX_NONCE_LEN))
    code_verifier: Mapped[str] = mapped_column(String(MAX_CODE_VERIFIER_LEN))
    return_path: Mapped[str] = mapped_column(String(MAX_RETURN_PATH_LEN))
    language: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SavedReferenceRow(Base):
    __tablename__ = "resident_saved_references"
    __table_args__ = (
        UniqueConstraint(
            "resident_id", "fund_code", "reference", name="uq_resident_saved_references"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    resident_id: Mapped[int] = mapped_column(BigId, ForeignKey("resident_accounts.id"))
    fund_code: Mapped[str] = mapped_column(String(MAX_FUND_CODE_LEN))
    reference: Mapped[str] = mapped_column(String(MAX_SAVED_REFERENCE_LEN))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ResidentPaymentRow(Base):
    __tablename__ = "resident_payments"
    __table_args__ = (Index("ix_resident_payments_resident", "resident_id", "created_at"),)

    payment_id: Mapped[str] = mapped_column(
        String(PAYMENT_ID_LEN), ForeignKey("payments.id"), primary_key=True
    )
    resident_id: Mapped[int] = mapped_column(BigId, ForeignKey("resident_accounts.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
