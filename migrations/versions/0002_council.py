"""council tables.

Revision ID: 0002_council
Revises: 0001_ledger
Create Date: 2026-11-24
"""

from __future__ import annotations

revision = "0002_council"
down_revision = "0001_ledger"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
