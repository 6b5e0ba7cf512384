"""This subsystem's tables: typed SQLAlchemy models on the shared metadata.

The migration `0003_api_keys` builds exactly this (a test compares them).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from ledger.tables import Base, BigId, UtcDateTime

# Lengths of the stored columns; the rules they serve are in `receipting.auth.keys`.
LOOKUP_ID_LEN = 10
MAX_KEY_NAME_LEN = 100
MAX_SERVICE_LEN = 64
# Every scope's name, space-separated: room for all of today's and as many again.
MAX_SCOPES_LEN = 400
# "scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>": about 110 characters with today's parameters.
MAX_SECRET_HASH_LEN = 255


class ApiKeyRow(Base):
    """One API key. The secret itself is never stored: only a slow hash of it, plus a public
    lookup id (part of the key) so that verifying a key is one indexed lookup and one hash."""

    __tablename__ = "api_keys"
    __table_args__ = (
        CheckConstraint("name <> ''", name="name_not_empty"),
        CheckConstraint("service <> ''", name="service_not_empty"),
        CheckConstraint("scopes <> ''", name="scopes_not_empty"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    lookup_id: Mapped[str] = mapped_column(String(LOOKUP_ID_LEN), unique=True)
    name: Mapped[str] = mapped_column(String(MAX_KEY_NAME_LEN))
    service: Mapped[str] = mapped_column(String(MAX_SERVICE_LEN))
    scopes: Mapped[str] = mapped_column(String(MAX_SCOPES_LEN))
    live: Mapped[bool] = mapped_column(Boolean)
    secret_hash: Mapped[str] = mapped_column(String(MAX_SECRET_HASH_LEN))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
