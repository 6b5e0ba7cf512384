"""emailed receipts: an outbox of receipt emails and their delivery attempts.

Revision ID: 0009_email_receipts
Revises: 0008_residents
Create Date: 2026-11-24
"""

from __future__ import annotations

revision = "0009_email_receipts"
down_revision = "0008_residents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
