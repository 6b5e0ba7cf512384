"""payments tables.

Payments, their basket lines, state-change events, idempotency keys, receipts and refunds, with
database guards on SQLite and PostgreSQL: events, lines and receipts are append-only; a payment
moves only along the state machine's transition table; its id, owner, amount, basket and gateway
reference never change once set. Guard messages start with a tag like `[payments:transition]`.

Revision ID: 0005_payments
Revises: 0004_sandbox_gateway
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_payments"
down_revision = "0004_sandbox_gateway"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MAX_AMOUNT_PENCE = 10_000_000

STATUS_CHECK = (
    "status IN ('created', 'started', 'submitted', 'capturable', 'success', 'failed', "
    "'cancelled', 'error')"
)
REFUND_STATUS_CHECK = "status IN ('submitted', 'success', 'error')"

# The transition table of receipting/payments/states.py, as `from>to` pairs (plus staying put).
_ENDINGS = ("failed", "cancelled", "error")
TRANSITIONS = (
    *(f"created>{s}" for s in ("started", *_ENDINGS)),
    *(f"started>{s}" for s in ("submitted", *_ENDINGS)),
    *(f"submitted>{s}" for s in ("capturable", "success", *_ENDINGS)),
    *(f"capturable>{s}" for s in ("success", *_ENDINGS)),
)
ALLOWED_MOVES_SQL = ", ".join(f"'{pair}'" for pair in TRANSITIONS)

APPEND_ONLY_TABLES = ("payment_events", "payment_lines", "payment_receipts")

TABLES = (
    "payment_refunds",
    "payment_receipts",
    "payment_idempotency_keys",
    "payment_events",
    "payment_lines",
    "payments",
)


def upgrade() -> None:
    _create_tables()
    if op.get_bind().dialect.name == "postgresql":
        # Receipt serials are drawn before the receipt row is written (see receipts.py).
        op.execute("CREATE SEQUENCE payment_receipt_serial_seq AS bigint")
        for name, body in PG_FUNCTIONS.items():
            op.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $fn${body}$fn$"
            )
        for statement in PG_TRIGGERS.values():
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS.values():
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, statement in PG_TRIGGERS.items():
            table = statement.split(" ON ")[1].split()[0]
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for name in PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
        op.execute("DROP SEQUENCE IF EXISTS payment_receipt_serial_seq")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for table in TABLES:
        op.drop_table(table)


def _create_tables() -> None:
    op.create_table(
        "payments",
        sa.Column("id", sa.String(26), nullable=False),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("amount_pence", sa.BigInteger(), nullable=False),
        sa.Column("refunded_pence", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("state_code", sa.String(8), nullable=True),
        sa.Column("state_message", sa.String(255), nullable=True),
        sa.Column("reference", sa.String(255), nullable=False),
        sa.Column("description", sa.String(255), nullable=False),
        sa.Column("return_url", sa.String(2000), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("delayed_capture", sa.Boolean(), nullable=False),
        sa.Column("moto", sa.Boolean(), nullable=False),
        sa.Column("metadata_json", sa.Text(), nullable=True),
        sa.Column("gateway", sa.String(32), nullable=False),
        sa.Column("gateway_ref", sa.String(64), nullable=True),
        sa.Column("next_url", sa.String(2000), nullable=True),
        sa.Column("card_brand", sa.String(32), nullable=True),
        sa.Column("card_type", sa.String(16), nullable=True),
        sa.Column("card_first_digits", sa.String(6), nullable=True),
        sa.Column("card_last_digits", sa.String(4), nullable=True),
        sa.Column("card_expiry", sa.String(5), nullable=True),
        sa.Column("cardholder_name", sa.String(255), nullable=True),
        sa.Column("auth_code", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ledger_entry_id", BigId, nullable=True),
        sa.Column("receipt_number", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_payments"),
        sa.UniqueConstraint("receipt_number", name="uq_payments_receipt_number"),
        sa.ForeignKeyConstraint(
            ["ledger_entry_id"],
            ["ledger_entries.id"],
            name="fk_payments_ledger_entry_id_ledger_entries",
        ),
        sa.CheckConstraint(STATUS_CHECK, name="ck_payments_status"),
        sa.CheckConstraint(
            f"amount_pence BETWEEN 1 AND {MAX_AMOUNT_PENCE}", name="ck_payments_amount_limit"
        ),
        sa.CheckConstraint(
            "refunded_pence >= 0 AND refunded_pence <= amount_pence",
            name="ck_payments_refunds_within",
        ),
        sa.CheckConstraint("language IN ('en', 'cy')", name="ck_payments_language"),
        sa.CheckConstraint(
            "status <> 'success' OR (ledger_entry_id IS NOT NULL AND receipt_number IS NOT NULL)",
            name="ck_payments_success_posted",
        ),
    )
    op.create_index("ix_payments_service_created", "payments", ["service", "created_at"])
    op.create_index("ix_payments_status_created", "payments", ["status", "created_at"])
    op.create_table(
        "payment_lines",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("payment_id", sa.String(26), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("fund_code", sa.String(32), nullable=False),
        sa.Column("ledger_account_code", sa.String(32), nullable=False),
        sa.Column("account_reference", sa.String(64), nullable=False),
        sa.Column("amount_pence", sa.BigInteger(), nullable=False),
        sa.Column("narrative", sa.String(255), nullable=True),
        sa.Column("vat_code", sa.String(16), nullable=False),
        sa.Column("vat_rate_basis_points", sa.Integer(), nullable=False),
        sa.Column("net_pence", sa.BigInteger(), nullable=False),
        sa.Column("vat_pence", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_payment_lines"),
        sa.UniqueConstraint("payment_id", "line_no", name="uq_payment_lines_payment_line"),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name="fk_payment_lines_payment_id_payments"
        ),
        sa.CheckConstraint("amount_pence > 0", name="ck_payment_lines_positive"),
        sa.CheckConstraint(
            "net_pence + vat_pence = amount_pence", name="ck_payment_lines_net_plus_vat"
        ),
        sa.CheckConstraint(
            "vat_pence >= 0 AND net_pence >= 0", name="ck_payment_lines_parts_not_negative"
        ),
    )
    op.create_table(
        "payment_events",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("payment_id", sa.String(26), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("code", sa.String(8), nullable=True),
        sa.Column("message", sa.String(255), nullable=True),
        sa.Column("receipt_number", sa.String(32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_payment_events"),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name="fk_payment_events_payment_id_payments"
        ),
        sa.CheckConstraint(STATUS_CHECK, name="ck_payment_events_status"),
    )
    op.create_index("ix_payment_events_payment_id", "payment_events", ["payment_id"])
    op.create_table(
        "payment_idempotency_keys",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("payment_id", sa.String(26), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_payment_idempotency_keys"),
        sa.UniqueConstraint("service", "idempotency_key", name="uq_payment_idempotency_keys_key"),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name="fk_payment_idempotency_keys_payment_id_payments",
        ),
    )
    op.create_table(
        "payment_receipts",
        sa.Column("id", BigId, autoincrement=False, nullable=False),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("payment_id", sa.String(26), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_payment_receipts"),
        sa.UniqueConstraint("number", name="uq_payment_receipts_number"),
        sa.UniqueConstraint("payment_id", name="uq_payment_receipts_payment_id"),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name="fk_payment_receipts_payment_id_payments"
        ),
    )
    op.create_table(
        "payment_refunds",
        sa.Column("id", sa.String(26), nullable=False),
        sa.Column("payment_id", sa.String(26), nullable=False),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("amount_pence", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("gateway_refund_ref", sa.String(64), nullable=True),
        sa.Column("ledger_entry_id", BigId, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_payment_refunds"),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name="fk_payment_refunds_payment_id_payments"
        ),
        sa.ForeignKeyConstraint(
            ["ledger_entry_id"],
            ["ledger_entries.id"],
            name="fk_payment_refunds_ledger_entry_id_ledger_entries",
        ),
        sa.CheckConstraint(REFUND_STATUS_CHECK, name="ck_payment_refunds_status"),
        sa.CheckConstraint("amount_pence > 0", name="ck_payment_refunds_positive"),
    )
    op.create_index("ix_payment_refunds_payment_id", "payment_refunds", ["payment_id"])
    op.create_index(
        "ix_payment_refunds_service_created", "payment_refunds", ["service", "created_at"]
    )


# --- PostgreSQL --------------------------------------------------------------------------------

PG_FUNCTIONS = {
    "payments_refuse_change": """
        BEGIN
          RAISE EXCEPTION '[payments:append_only] % on % is refused: these rows are a record and '
            'are never changed', TG_OP, TG_TABLE_NAME;
        END
    """,
    "payments_guard": f"""
        BEGIN
          IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION '[payments:kept] payment % cannot be removed', OLD.id;
          END IF;
          IF NEW.id <> OLD.id OR NEW.service <> OLD.service OR NEW.amount_pence <> OLD.amount_pence
             OR NEW.created_at <> OLD.created_at THEN
            RAISE EXCEPTION '[payments:fixed] payment % id, owner, amount and creation are fixed',
              OLD.id;
          END IF;
          IF OLD.gateway_ref IS NOT NULL AND NEW.gateway_ref IS DISTINCT FROM OLD.gateway_ref THEN
            RAISE EXCEPTION '[payments:fixed] payment % gateway reference is fixed once set', OLD.id;
          END IF;
          IF NEW.status <> OLD.status
             AND (OLD.status || '>' || NEW.status) NOT IN ({ALLOWED_MOVES_SQL}) THEN
            RAISE EXCEPTION '[payments:transition] payment % cannot move from % to %',
              OLD.id, OLD.status, NEW.status;
          END IF;
          RETURN NEW;
        END
    """,
}

PG_TRIGGERS = {
    **{
        f"{t}_append_only": f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} "
        "FOR EACH ROW EXECUTE FUNCTION payments_refuse_change()"
        for t in APPEND_ONLY_TABLES
    },
    "payments_guard": "CREATE TRIGGER payments_guard BEFORE UPDATE OR DELETE ON payments "
    "FOR EACH ROW EXECUTE FUNCTION payments_guard()",
}

# --- SQLite ------------------------------------------------------------------------------------

SQLITE_TRIGGERS = {
    **{
        f"{t}_no_update": f"""
            CREATE TRIGGER {t}_no_update BEFORE UPDATE ON {t} BEGIN
              SELECT RAISE(ABORT, '[payments:append_only] UPDATE on {t} is refused');
            END"""
        for t in APPEND_ONLY_TABLES
    },
    **{
        f"{t}_no_delete": f"""
            CREATE TRIGGER {t}_no_delete BEFORE DELETE ON {t} BEGIN
              SELECT RAISE(ABORT, '[payments:append_only] DELETE on {t} is refused');
            END"""
        for t in APPEND_ONLY_TABLES
    },
    "payments_kept": """
        CREATE TRIGGER payments_kept BEFORE DELETE ON payments BEGIN
          SELECT RAISE(ABORT, '[payments:kept] a payment cannot be removed');
        END""",
    "payments_fixed": """
        CREATE TRIGGER payments_fixed BEFORE UPDATE ON payments
        WHEN NEW.id <> OLD.id OR NEW.service <> OLD.service
          OR NEW.amount_pence <> OLD.amount_pence OR NEW.created_at <> OLD.created_at
          OR (OLD.gateway_ref IS NOT NULL AND NEW.gateway_ref IS NOT OLD.gateway_ref)
        BEGIN
          SELECT RAISE(ABORT, '[payments:fixed] a payment''s id, owner, amount, creation and
            gateway reference are fixed');
        END""",
    "payments_transition": f"""
        CREATE TRIGGER payments_transition BEFORE UPDATE OF status ON payments
        WHEN NEW.status <> OLD.status
          AND (OLD.status || '>' || NEW.status) NOT IN ({ALLOWED_MOVES_SQL})
        BEGIN
          SELECT RAISE(ABORT, '[payments:transition] the payment cannot move to that state');
        END""",
}
