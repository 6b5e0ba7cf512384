"""payment requests: someone should pay this.

Revision ID: 0014_payment_requests
Revises: 0013_approvals_adjustments
Create Date: 2026-12-04
"""

from __future__ import annotations

revision = "0014_payment_requests"
down_revision = "0013_approvals_adjustments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
