"""api keys tables.

Revision ID: 0003_api_keys
Revises: 0002_council
Create Date: 2026-11-24
"""

from __future__ import annotations

revision = "0003_api_keys"
down_revision = "0002_council"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
