"""sandbox gateway tables.

Revision ID: 0004_sandbox_gateway
Revises: 0003_api_keys
Create Date: 2026-11-24
"""

from __future__ import annotations

revision = "0004_sandbox_gateway"
down_revision = "0003_api_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
