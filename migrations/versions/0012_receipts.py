"""receipts for any tender: receipts, their lines and tenders, reversals.

Revision ID: 0012_receipts
Revises: 0011_outbox
Create Date: 2026-12-04
"""

from __future__ import annotations

revision = "0012_receipts"
down_revision = "0011_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
