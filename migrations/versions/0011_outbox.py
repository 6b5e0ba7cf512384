"""one leased outbox for webhooks, emails and every later delivery.

Revision ID: 0011_outbox
Revises: 0010_ledger_speed
Create Date: 2026-12-04
"""

from __future__ import annotations

revision = "0011_outbox"
down_revision = "0010_ledger_speed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
