"""the append-only, sealed audit trail.

Revision ID: 0017_audit
Revises: 0016_staff
Create Date: 2026-12-04
"""

from __future__ import annotations

revision = "0017_audit"
down_revision = "0016_staff"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
