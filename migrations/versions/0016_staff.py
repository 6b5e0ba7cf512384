"""staff, their sessions and role overrides.

Revision ID: 0016_staff
Revises: 0015_council_v2
Create Date: 2026-12-04
"""

from __future__ import annotations

revision = "0016_staff"
down_revision = "0015_council_v2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
