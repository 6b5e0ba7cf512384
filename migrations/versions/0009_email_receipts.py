"""emailed receipts: an outbox of receipt emails and their delivery attempts.

Revision ID: 0009_email_receipts
Revises: 0008_residents
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_email_receipts"
down_revision = "0008_residents"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "email_outbox",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("payment_id", sa.String(26), nullable=False),
        sa.Column("recipient", sa.String(254), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_token", sa.String(32), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_email_outbox"),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name="fk_email_outbox_payment_id_payments"
        ),
        sa.UniqueConstraint("payment_id", "kind", name="uq_email_outbox_payment_kind"),
        sa.CheckConstraint("kind IN ('receipt')", name="ck_email_outbox_kind"),
        sa.CheckConstraint("status IN ('queued', 'sent', 'failed')", name="ck_email_outbox_status"),
        sa.CheckConstraint("language IN ('en', 'cy')", name="ck_email_outbox_language"),
        sa.CheckConstraint("attempts >= 0", name="ck_email_outbox_attempts_not_negative"),
        sa.CheckConstraint(
            "status <> 'queued' OR next_attempt_at IS NOT NULL", name="ck_email_outbox_queued_due"
        ),
        sa.CheckConstraint(
            "status <> 'sent' OR sent_at IS NOT NULL", name="ck_email_outbox_sent_when"
        ),
    )
    op.create_index("ix_email_outbox_due", "email_outbox", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_email_outbox_due", table_name="email_outbox")
    op.drop_table("email_outbox")
