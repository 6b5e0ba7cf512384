"""council presentation: Welsh names and texts, the council's colours.

Revision ID: 0007_council_presentation
Revises: 0006_webhooks
Create Date: 2026-11-24
"""

from __future__ import annotations

revision = "0007_council_presentation"
down_revision = "0006_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
