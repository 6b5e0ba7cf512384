"""four-eyes approvals and adjustments (refunds by BACS, transfers, write-offs, suspense allocations).

Revision ID: 0013_approvals_adjustments
Revises: 0012_receipts
Create Date: 2026-12-04
"""

from __future__ import annotations

revision = "0013_approvals_adjustments"
down_revision = "0012_receipts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
