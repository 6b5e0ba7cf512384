"""residents: accounts, sessions, sign-in attempts, saved references, payments made signed in.

Revision ID: 0008_residents
Revises: 0007_council_presentation
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_residents"
down_revision = "0007_council_presentation"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "resident_accounts",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("issuer", sa.String(255), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("last_signed_in_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_resident_accounts"),
        sa.UniqueConstraint("issuer", "subject", name="uq_resident_accounts_subject"),
    )
    op.create_table(
        "resident_sessions",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("resident_id", BigId, nullable=False),
        sa.Column("id_token", sa.Text(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("expires_at", Timestamp, nullable=False),
        sa.Column("ended_at", Timestamp, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_resident_sessions"),
        sa.UniqueConstraint("token_sha256", name="uq_resident_sessions_token_sha256"),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["resident_accounts.id"],
            name="fk_resident_sessions_resident_id_resident_accounts",
        ),
        sa.CheckConstraint(
            "expires_at > created_at", name="ck_resident_sessions_expires_after_created"
        ),
        sa.CheckConstraint(
            "ended_at IS NULL OR ended_at >= created_at",
            name="ck_resident_sessions_ends_after_created",
        ),
    )
    op.create_index("ix_resident_sessions_resident", "resident_sessions", ["resident_id"])
    op.create_table(
        "resident_sign_in_attempts",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("state_sha256", sa.String(64), nullable=False),
        sa.Column("nonce", sa.String(128), nullable=False),
        sa.Column("code_verifier", sa.String(128), nullable=False),
        sa.Column("return_path", sa.String(200), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("expires_at", Timestamp, nullable=False),
        sa.Column("used_at", Timestamp, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_resident_sign_in_attempts"),
        sa.UniqueConstraint("state_sha256", name="uq_resident_sign_in_attempts_state_sha256"),
        sa.CheckConstraint(
            "expires_at > created_at", name="ck_resident_sign_in_attempts_expires_after_created"
        ),
        sa.CheckConstraint(
            "language IN ('en', 'cy')", name="ck_resident_sign_in_attempts_language"
        ),
    )
    op.create_index(
        "ix_resident_sign_in_attempts_expires", "resident_sign_in_attempts", ["expires_at"]
    )
    op.create_table(
        "resident_saved_references",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("resident_id", BigId, nullable=False),
        sa.Column("fund_code", sa.String(32), nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_resident_saved_references"),
        sa.UniqueConstraint(
            "resident_id", "fund_code", "reference", name="uq_resident_saved_references"
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["resident_accounts.id"],
            name="fk_resident_saved_references_resident_id_resident_accounts",
        ),
    )
    op.create_table(
        "resident_payments",
        sa.Column("payment_id", sa.String(26), nullable=False),
        sa.Column("resident_id", BigId, nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("payment_id", name="pk_resident_payments"),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name="fk_resident_payments_payment_id_payments"
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["resident_accounts.id"],
            name="fk_resident_payments_resident_id_resident_accounts",
        ),
    )
    op.create_index(
        "ix_resident_payments_resident", "resident_payments", ["resident_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_resident_payments_resident", table_name="resident_payments")
    op.drop_table("resident_payments")
    op.drop_table("resident_saved_references")
    op.drop_index("ix_resident_sign_in_attempts_expires", table_name="resident_sign_in_attempts")
    op.drop_table("resident_sign_in_attempts")
    op.drop_index("ix_resident_sessions_resident", table_name="resident_sessions")
    op.drop_table("resident_sessions")
    op.drop_table("resident_accounts")
