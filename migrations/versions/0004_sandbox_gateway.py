"""sandbox gateway tables: the sandbox card gateway's own transactions and refunds.

Revision ID: 0004_sandbox_gateway
Revises: 0003_api_keys
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_sandbox_gateway"
down_revision = "0003_api_keys"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "sandbox_gateway_transactions",
        sa.Column("id", BigId, nullable=False),
        sa.Column("gateway_ref", sa.String(64), nullable=False),
        sa.Column("payment_id", sa.String(64), nullable=False),
        sa.Column("amount_pence", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(255), nullable=False),
        sa.Column("description", sa.String(255), nullable=False),
        sa.Column("return_url", sa.String(2000), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("delayed_capture", sa.Boolean(), nullable=False),
        sa.Column("moto", sa.Boolean(), nullable=False),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("prefilled_cardholder_name", sa.String(255), nullable=True),
        sa.Column("form_token", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("code", sa.String(8), nullable=True),
        sa.Column("message", sa.String(255), nullable=True),
        sa.Column("card_brand", sa.String(32), nullable=True),
        sa.Column("card_first_digits", sa.String(6), nullable=True),
        sa.Column("card_last_digits", sa.String(4), nullable=True),
        sa.Column("card_expiry", sa.String(5), nullable=True),
        sa.Column("cardholder_name", sa.String(255), nullable=True),
        sa.Column("card_type", sa.String(16), nullable=True),
        sa.Column("auth_code", sa.String(16), nullable=True),
        sa.Column("three_d_secure_required", sa.Boolean(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("settled_on", sa.Date(), nullable=True),
        sa.Column("payout_ref", sa.String(64), nullable=True),
        sa.Column("fee_pence", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sandbox_gateway_transactions"),
        sa.UniqueConstraint("gateway_ref", name="uq_sandbox_gateway_transactions_gateway_ref"),
        sa.CheckConstraint(
            "state IN ('created', 'started', 'submitted', 'capturable', 'success', 'failed', "
            "'cancelled', 'error')",
            name="ck_sandbox_gateway_transactions_state",
        ),
        sa.CheckConstraint(
            "amount_pence >= 0", name="ck_sandbox_gateway_transactions_amount_not_negative"
        ),
        sa.CheckConstraint(
            "length(card_first_digits) = 6", name="ck_sandbox_gateway_transactions_first_six"
        ),
        sa.CheckConstraint(
            "length(card_last_digits) = 4", name="ck_sandbox_gateway_transactions_last_four"
        ),
    )
    op.create_index(
        "ix_sandbox_gateway_transactions_captured_at",
        "sandbox_gateway_transactions",
        ["captured_at"],
    )
    op.create_table(
        "sandbox_gateway_refunds",
        sa.Column("id", BigId, nullable=False),
        sa.Column("gateway_refund_ref", sa.String(64), nullable=False),
        sa.Column("transaction_id", BigId, nullable=False),
        sa.Column("amount_pence", sa.BigInteger(), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_on", sa.Date(), nullable=True),
        sa.Column("payout_ref", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sandbox_gateway_refunds"),
        sa.UniqueConstraint(
            "gateway_refund_ref", name="uq_sandbox_gateway_refunds_gateway_refund_ref"
        ),
        sa.UniqueConstraint(
            "transaction_id",
            "idempotency_key",
            name="uq_sandbox_gateway_refunds_transaction_id",
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["sandbox_gateway_transactions.id"],
            name="fk_sandbox_gateway_refunds_transaction",
        ),
        sa.CheckConstraint(
            "state IN ('submitted', 'success', 'error')", name="ck_sandbox_gateway_refunds_state"
        ),
        sa.CheckConstraint("amount_pence > 0", name="ck_sandbox_gateway_refunds_amount_positive"),
    )


def downgrade() -> None:
    op.drop_table("sandbox_gateway_refunds")
    op.drop_index(
        "ix_sandbox_gateway_transactions_captured_at", table_name="sandbox_gateway_transactions"
    )
    op.drop_table("sandbox_gateway_transactions")
