"""The council's configuration: versions loaded, VAT codes and rates, reference rules, funds and
their on-stop references, methods of payment and card gateways' clearing accounts.

Revision ID: 0002_council
Revises: 0001_ledger
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_council"
down_revision = "0001_ledger"
branch_labels = None
depends_on = None

MAX_FUND_AMOUNT_PENCE = 1_000_000_000_000
MAX_VAT_RATE_BASIS_POINTS = 10_000

TABLES = (
    "council_config_versions",
    "council_vat_codes",
    "council_vat_rates",
    "council_reference_rules",
    "council_funds",
    "council_on_stop_references",
    "council_payment_methods",
    "council_gateways",
)


def _account_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["ledger_accounts.code"], name=f"fk_{table}_{column}_ledger_accounts"
    )


def upgrade() -> None:
    op.create_table(
        "council_config_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("council_name", sa.String(200), nullable=False),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("vat_output_account", sa.String(32), nullable=False),
        sa.Column("suspense_account", sa.String(32), nullable=False),
        sa.Column("card_fees_account", sa.String(32), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_council_config_versions"),
        sa.UniqueConstraint("version", name="uq_council_config_versions_version"),
        sa.CheckConstraint("version >= 1", name="ck_council_config_versions_version_positive"),
        _account_fk("council_config_versions", "vat_output_account"),
        _account_fk("council_config_versions", "suspense_account"),
        _account_fk("council_config_versions", "card_fees_account"),
    )
    op.create_table(
        "council_vat_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_council_vat_codes"),
        sa.UniqueConstraint("code", name="uq_council_vat_codes_code"),
    )
    op.create_table(
        "council_vat_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vat_code_id", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("rate_basis_points", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_council_vat_rates"),
        sa.UniqueConstraint(
            "vat_code_id", "effective_from", name="uq_council_vat_rates_vat_code_id"
        ),
        sa.ForeignKeyConstraint(
            ["vat_code_id"],
            ["council_vat_codes.id"],
            name="fk_council_vat_rates_vat_code_id_council_vat_codes",
        ),
        sa.CheckConstraint(
            f"rate_basis_points BETWEEN 0 AND {MAX_VAT_RATE_BASIS_POINTS}",
            name="ck_council_vat_rates_rate_range",
        ),
    )
    op.create_table(
        "council_reference_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("hint", sa.String(500), nullable=True),
        sa.Column("mask", sa.String(64), nullable=True),
        sa.Column("pattern", sa.String(200), nullable=True),
        sa.Column("min_length", sa.Integer(), nullable=True),
        sa.Column("max_length", sa.Integer(), nullable=True),
        sa.Column("check_scheme", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_council_reference_rules"),
        sa.UniqueConstraint("code", name="uq_council_reference_rules_code"),
        sa.CheckConstraint(
            "mask IS NULL OR (min_length IS NULL AND max_length IS NULL)",
            name="ck_council_reference_rules_mask_or_lengths",
        ),
        sa.CheckConstraint(
            "min_length <= max_length", name="ck_council_reference_rules_lengths_ordered"
        ),
    )
    op.create_table(
        "council_funds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("gl_code", sa.String(32), nullable=False),
        sa.Column("ledger_account", sa.String(32), nullable=False),
        sa.Column("vat_code", sa.String(32), nullable=False),
        sa.Column("max_amount_pence", sa.BigInteger(), nullable=False),
        sa.Column("allow_overpayment", sa.Boolean(), nullable=False),
        sa.Column("payable_online", sa.Boolean(), nullable=False),
        sa.Column("payable_by_phone", sa.Boolean(), nullable=False),
        sa.Column("payable_at_counter", sa.Boolean(), nullable=False),
        sa.Column("reference_rule", sa.String(32), nullable=True),
        sa.Column("back_office", sa.String(64), nullable=True),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_council_funds"),
        sa.UniqueConstraint("code", name="uq_council_funds_code"),
        _account_fk("council_funds", "ledger_account"),
        sa.ForeignKeyConstraint(
            ["vat_code"],
            ["council_vat_codes.code"],
            name="fk_council_funds_vat_code_council_vat_codes",
        ),
        sa.ForeignKeyConstraint(
            ["reference_rule"],
            ["council_reference_rules.code"],
            name="fk_council_funds_reference_rule_council_reference_rules",
        ),
        sa.CheckConstraint(
            f"max_amount_pence BETWEEN 1 AND {MAX_FUND_AMOUNT_PENCE}",
            name="ck_council_funds_max_amount_range",
        ),
    )
    op.create_table(
        "council_on_stop_references",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fund_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_council_on_stop_references"),
        sa.UniqueConstraint("fund_id", "reference", name="uq_council_on_stop_references_fund_id"),
        sa.ForeignKeyConstraint(
            ["fund_id"],
            ["council_funds.id"],
            name="fk_council_on_stop_references_fund_id_council_funds",
        ),
    )
    op.create_table(
        "council_payment_methods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("clearing_account", sa.String(32), nullable=False),
        sa.Column("refundable", sa.Boolean(), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_council_payment_methods"),
        sa.UniqueConstraint("code", name="uq_council_payment_methods_code"),
        _account_fk("council_payment_methods", "clearing_account"),
    )
    op.create_table(
        "council_gateways",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("clearing_account", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_council_gateways"),
        sa.UniqueConstraint("name", name="uq_council_gateways_name"),
        _account_fk("council_gateways", "clearing_account"),
    )


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
