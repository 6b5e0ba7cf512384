"""ledger speed: set-based guards and the bulk posting path.

Revision ID: 0010_ledger_speed
Revises: 0009_email_receipts
Create Date: 2026-12-04
"""

from __future__ import annotations

revision = "0010_ledger_speed"
down_revision = "0009_email_receipts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
