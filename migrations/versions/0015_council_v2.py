"""council configuration: per-channel gateways and the rest of the configuration's new data.

Revision ID: 0015_council_v2
Revises: 0014_payment_requests
Create Date: 2026-12-04
"""

from __future__ import annotations

revision = "0015_council_v2"
down_revision = "0014_payment_requests"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
