"""payments tables.

Revision ID: 0005_payments
Revises: 0004_sandbox_gateway
Create Date: 2026-11-24
"""

from __future__ import annotations

revision = "0005_payments"
down_revision = "0004_sandbox_gateway"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
