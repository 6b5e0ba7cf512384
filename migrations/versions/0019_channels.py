"""the channels' plug-in surface.

Revision ID: 0019_channels
Revises: 0018_hardening
Create Date: 2026-12-04
"""

from __future__ import annotations

revision = "0019_channels"
down_revision = "0018_hardening"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
