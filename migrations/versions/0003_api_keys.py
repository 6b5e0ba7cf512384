"""api keys: one row per key, holding only a slow hash of its secret.

Revision ID: 0003_api_keys
Revises: 0002_council
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_api_keys"
down_revision = "0002_council"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("lookup_id", sa.String(10), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("scopes", sa.String(400), nullable=False),
        sa.Column("live", sa.Boolean(), nullable=False),
        sa.Column("secret_hash", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        sa.UniqueConstraint("lookup_id", name="uq_api_keys_lookup_id"),
        sa.CheckConstraint("name <> ''", name="ck_api_keys_name_not_empty"),
        sa.CheckConstraint("service <> ''", name="ck_api_keys_service_not_empty"),
        sa.CheckConstraint("scopes <> ''", name="ck_api_keys_scopes_not_empty"),
    )


def downgrade() -> None:
    op.drop_table("api_keys")
