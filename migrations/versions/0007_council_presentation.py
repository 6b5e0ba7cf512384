"""council presentation: Welsh names and texts, the council's colours.

The council's Welsh name, its colour, web address and phone number on each configuration version;
the Welsh description and hint of each reference rule; each fund's Welsh name and the guidance on
where to find its reference. All nullable: versions loaded before had none of them.

Revision ID: 0007_council_presentation
Revises: 0006_webhooks
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_council_presentation"
down_revision = "0006_webhooks"
branch_labels = None
depends_on = None

# Sizes as in receipting/council/config.py when this was written; a migration never follows later
# changes of the code.
MAX_NAME_LEN = 200
MAX_TEXT_LEN = 500
MAX_URL_LEN = 500
MAX_PHONE_LEN = 32
COLOUR_LEN = 7

NEW_COLUMNS: dict[str, tuple[tuple[str, int], ...]] = {
    "council_config_versions": (
        ("council_name_cy", MAX_NAME_LEN),
        ("colour", COLOUR_LEN),
        ("website_url", MAX_URL_LEN),
        ("phone", MAX_PHONE_LEN),
    ),
    "council_reference_rules": (
        ("description_cy", MAX_TEXT_LEN),
        ("hint_cy", MAX_TEXT_LEN),
    ),
    "council_funds": (
        ("name_cy", MAX_NAME_LEN),
        ("guidance", MAX_TEXT_LEN),
        ("guidance_cy", MAX_TEXT_LEN),
    ),
}


def upgrade() -> None:
    # Batch mode: SQLite adds a nullable column in place, PostgreSQL alters the table as usual.
    for table, columns in NEW_COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for name, length in columns:
                batch.add_column(sa.Column(name, sa.String(length), nullable=True))


def downgrade() -> None:
    # Dropped in place on both databases. Batch mode on SQLite would copy each table and drop the
    # old one, which its foreign keys (on_stop references point at funds) refuse once rows exist.
    _require_sqlite_drop_column()
    for table, columns in reversed(NEW_COLUMNS.items()):
        for name, _length in reversed(columns):
            op.drop_column(table, name)


# ALTER TABLE ... DROP COLUMN arrived in SQLite 3.35.0 (2021-03).
SQLITE_DROP_COLUMN_VERSION = (3, 35, 0)


def _require_sqlite_drop_column() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    found = bind.dialect.dbapi.sqlite_version_info if bind.dialect.dbapi else (0, 0, 0)
    if tuple(found) < SQLITE_DROP_COLUMN_VERSION:
        raise RuntimeError(
            f"Downgrading below 0007_council_presentation needs SQLite 3.35 or later to drop "
            f"columns; this Python has SQLite {'.'.join(map(str, found))}. Use a newer Python "
            "(its sqlite3 module), or restore the database from a backup taken before upgrading."
        )
