"""The ledger: accounts, entries, postings, periods, the seal chain and balance checkpoints,
with the database-level guards that protect money on SQLite and PostgreSQL.

Every guard message starts with a tag like `[ledger:unbalanced]` so that the code can tell which
guard refused a write.

Revision ID: 0001_ledger
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_ledger"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MAX_POSTING_PENCE = 1_000_000_000_000

APPEND_ONLY_TABLES = ("ledger_entries", "ledger_postings", "ledger_seals")


def upgrade() -> None:
    _create_tables()
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_guards()
    else:
        _sqlite_guards()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _drop_postgresql_guards()
    else:
        _drop_sqlite_guards()
    for table in (
        "ledger_daily_totals",
        "ledger_seals",
        "ledger_seal_queue",
        "ledger_periods",
        "ledger_postings",
        "ledger_entries",
        "ledger_accounts",
    ):
        op.drop_table(table)


def _create_tables() -> None:
    op.create_table(
        "ledger_accounts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_accounts"),
        sa.UniqueConstraint("code", name="uq_ledger_accounts_code"),
        sa.CheckConstraint(
            "kind IN ('asset', 'liability', 'income', 'expense', 'equity')",
            name="ck_ledger_accounts_kind",
        ),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("id", BigId, autoincrement=False, nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=True),
        sa.Column("request_hash", sa.String(64), nullable=True),
        sa.Column("reverses_entry_id", BigId, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_entries"),
        sa.UniqueConstraint("idempotency_key", name="uq_ledger_entries_idempotency_key"),
        sa.UniqueConstraint("reverses_entry_id", name="uq_ledger_entries_reverses_entry_id"),
        sa.ForeignKeyConstraint(
            ["reverses_entry_id"],
            ["ledger_entries.id"],
            name="fk_ledger_entries_reverses_entry_id_ledger_entries",
        ),
        sa.CheckConstraint(
            "(idempotency_key IS NULL) = (request_hash IS NULL)",
            name="ck_ledger_entries_key_with_hash",
        ),
        sa.CheckConstraint("reverses_entry_id <> id", name="ck_ledger_entries_not_self_reversal"),
    )
    op.create_index("ix_ledger_entries_effective_date", "ledger_entries", ["effective_date"])
    op.create_table(
        "ledger_postings",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("entry_id", BigId, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("amount_pence", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("sub_account_key", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_postings"),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["ledger_entries.id"],
            name="fk_ledger_postings_entry_id_ledger_entries",
            deferrable=True,
            initially="DEFERRED",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["ledger_accounts.id"],
            name="fk_ledger_postings_account_id_ledger_accounts",
        ),
        sa.CheckConstraint("amount_pence <> 0", name="ck_ledger_postings_not_zero"),
        sa.CheckConstraint(
            f"amount_pence BETWEEN -{MAX_POSTING_PENCE} AND {MAX_POSTING_PENCE}",
            name="ck_ledger_postings_within_limit",
        ),
        sa.CheckConstraint("currency = 'GBP'", name="ck_ledger_postings_currency_gbp"),
    )
    op.create_index("ix_ledger_postings_entry_id", "ledger_postings", ["entry_id"])
    op.create_index(
        "ix_ledger_postings_account_sub", "ledger_postings", ["account_id", "sub_account_key"]
    )
    op.create_table(
        "ledger_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_periods"),
        sa.UniqueConstraint("name", name="uq_ledger_periods_name"),
        sa.CheckConstraint("starts_on <= ends_on", name="ck_ledger_periods_ordered"),
    )
    op.create_table(
        "ledger_seal_queue",
        sa.Column("entry_id", BigId, autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("entry_id", name="pk_ledger_seal_queue"),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["ledger_entries.id"],
            name="fk_ledger_seal_queue_entry_id_ledger_entries",
        ),
    )
    op.create_table(
        "ledger_seals",
        sa.Column("seq", BigId, autoincrement=False, nullable=False),
        sa.Column("entry_id", BigId, nullable=False),
        sa.Column("chain_hash", sa.String(64), nullable=False),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_ledger_seals"),
        sa.UniqueConstraint("entry_id", name="uq_ledger_seals_entry_id"),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["ledger_entries.id"], name="fk_ledger_seals_entry_id_ledger_entries"
        ),
    )
    op.create_table(
        "ledger_daily_totals",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("amount_pence", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_daily_totals"),
        sa.UniqueConstraint("account_id", "effective_date", name="account_day"),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["ledger_accounts.id"],
            name="fk_ledger_daily_totals_account_id_ledger_accounts",
        ),
    )


# --- PostgreSQL --------------------------------------------------------------------------------

PG_FUNCTIONS = {
    "ledger_refuse_change": """
        BEGIN
          RAISE EXCEPTION '[ledger:append_only] % on % is refused: ledger rows are never changed '
            'or removed; post a correcting entry instead', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'restrict_violation';
        END
    """,
    "ledger_posting_insert_check": """
        BEGIN
          IF EXISTS (SELECT 1 FROM ledger_entries WHERE id = NEW.entry_id) THEN
            RAISE EXCEPTION '[ledger:entry_recorded] entry % is already recorded; postings '
              'cannot be added to it', NEW.entry_id USING ERRCODE = 'integrity_constraint_violation';
          END IF;
          IF NOT EXISTS (SELECT 1 FROM ledger_accounts WHERE id = NEW.account_id AND active) THEN
            RAISE EXCEPTION '[ledger:account_inactive] account id % is missing or inactive',
              NEW.account_id USING ERRCODE = 'integrity_constraint_violation';
          END IF;
          RETURN NEW;
        END
    """,
    "ledger_entry_insert_check": """
        DECLARE
          n integer;
          total numeric;
          currencies integer;
        BEGIN
          SELECT count(*), coalesce(sum(amount_pence), 0), count(DISTINCT currency)
            INTO n, total, currencies
            FROM ledger_postings WHERE entry_id = NEW.id;
          IF n < 2 THEN
            RAISE EXCEPTION '[ledger:too_few_postings] entry % has % postings; at least two are '
              'needed', NEW.id, n USING ERRCODE = 'integrity_constraint_violation';
          END IF;
          IF total <> 0 THEN
            RAISE EXCEPTION '[ledger:unbalanced] entry % postings sum to % pence, not zero',
              NEW.id, total USING ERRCODE = 'integrity_constraint_violation';
          END IF;
          IF currencies <> 1 THEN
            RAISE EXCEPTION '[ledger:mixed_currency] entry % mixes currencies', NEW.id
              USING ERRCODE = 'integrity_constraint_violation';
          END IF;
          IF EXISTS (SELECT 1 FROM ledger_periods WHERE closed_at IS NOT NULL
                     AND NEW.effective_date BETWEEN starts_on AND ends_on) THEN
            RAISE EXCEPTION '[ledger:period_closed] effective date % is in a closed period',
              NEW.effective_date USING ERRCODE = 'integrity_constraint_violation';
          END IF;
          IF NEW.reverses_entry_id IS NOT NULL AND EXISTS (
              SELECT 1 FROM (
                SELECT account_id, coalesce(sub_account_key, '') AS k, sum(amount_pence) AS s
                  FROM ledger_postings WHERE entry_id IN (NEW.id, NEW.reverses_entry_id)
                 GROUP BY 1, 2) AS legs
               WHERE s <> 0) THEN
            RAISE EXCEPTION '[ledger:reversal_mismatch] entry % does not net entry % to zero',
              NEW.id, NEW.reverses_entry_id USING ERRCODE = 'integrity_constraint_violation';
          END IF;
          RETURN NEW;
        END
    """,
    # Runs at commit, after every statement of the transaction: closes the window in which a
    # concurrent transaction could add a posting to an entry that is being recorded.
    "ledger_posting_commit_check": """
        BEGIN
          IF (SELECT coalesce(sum(amount_pence), 0) FROM ledger_postings
               WHERE entry_id = NEW.entry_id) <> 0 THEN
            RAISE EXCEPTION '[ledger:unbalanced] entry % postings do not sum to zero at commit',
              NEW.entry_id USING ERRCODE = 'integrity_constraint_violation';
          END IF;
          RETURN NULL;
        END
    """,
    "ledger_enqueue_for_sealing": """
        BEGIN
          INSERT INTO ledger_seal_queue (entry_id) VALUES (NEW.id);
          RETURN NULL;
        END
    """,
    "ledger_seal_queue_guard": """
        BEGIN
          IF TG_OP = 'INSERT' AND EXISTS (SELECT 1 FROM ledger_seals WHERE entry_id = NEW.entry_id)
          THEN
            RAISE EXCEPTION '[ledger:already_sealed] entry % is already sealed', NEW.entry_id
              USING ERRCODE = 'integrity_constraint_violation';
          END IF;
          IF TG_OP = 'DELETE' AND NOT EXISTS (
              SELECT 1 FROM ledger_seals WHERE entry_id = OLD.entry_id) THEN
            RAISE EXCEPTION '[ledger:not_sealed] entry % must be sealed before it leaves the '
              'seal queue', OLD.entry_id USING ERRCODE = 'integrity_constraint_violation';
          END IF;
          IF TG_OP = 'UPDATE' THEN
            RAISE EXCEPTION '[ledger:append_only] the seal queue is not updated'
              USING ERRCODE = 'restrict_violation';
          END IF;
          IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
          RETURN NEW;
        END
    """,
    "ledger_account_guard": """
        BEGIN
          IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION '[ledger:account_kept] account % cannot be removed; deactivate it '
              'instead', OLD.code USING ERRCODE = 'restrict_violation';
          END IF;
          IF NEW.code <> OLD.code THEN
            RAISE EXCEPTION '[ledger:account_code_fixed] account code % cannot be changed; open '
              'a new account and deactivate this one', OLD.code USING ERRCODE = 'restrict_violation';
          END IF;
          RETURN NEW;
        END
    """,
    "ledger_period_guard": """
        BEGIN
          IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.closed_at IS NOT NULL THEN
            RAISE EXCEPTION '[ledger:period_final] period % is closed and cannot be changed',
              OLD.name USING ERRCODE = 'restrict_violation';
          END IF;
          IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
          IF EXISTS (SELECT 1 FROM ledger_periods WHERE id <> NEW.id
                     AND starts_on <= NEW.ends_on AND NEW.starts_on <= ends_on) THEN
            RAISE EXCEPTION '[ledger:period_overlap] period % overlaps another period', NEW.name
              USING ERRCODE = 'integrity_constraint_violation';
          END IF;
          IF TG_OP = 'UPDATE' AND NEW.closed_at IS NOT NULL THEN
            -- Closing waits for every transaction that is inserting entries and holds back new
            -- ones until it commits, so nothing slips into the period as it closes.
            LOCK TABLE ledger_entries IN SHARE MODE;
          END IF;
          RETURN NEW;
        END
    """,
}

PG_TRIGGERS = [
    *(
        f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} "
        f"FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()"
        for t in APPEND_ONLY_TABLES
    ),
    *(
        f"CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()"
        for t in (*APPEND_ONLY_TABLES, "ledger_periods", "ledger_seal_queue", "ledger_accounts")
    ),
    "CREATE TRIGGER ledger_postings_insert_check BEFORE INSERT ON ledger_postings "
    "FOR EACH ROW EXECUTE FUNCTION ledger_posting_insert_check()",
    "CREATE CONSTRAINT TRIGGER ledger_postings_commit_check AFTER INSERT ON ledger_postings "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_posting_commit_check()",
    "CREATE TRIGGER ledger_entries_insert_check BEFORE INSERT ON ledger_entries "
    "FOR EACH ROW EXECUTE FUNCTION ledger_entry_insert_check()",
    "CREATE TRIGGER ledger_entries_enqueue AFTER INSERT ON ledger_entries "
    "FOR EACH ROW EXECUTE FUNCTION ledger_enqueue_for_sealing()",
    "CREATE TRIGGER ledger_seal_queue_guard BEFORE INSERT OR UPDATE OR DELETE "
    "ON ledger_seal_queue FOR EACH ROW EXECUTE FUNCTION ledger_seal_queue_guard()",
    "CREATE TRIGGER ledger_accounts_guard BEFORE UPDATE OR DELETE ON ledger_accounts "
    "FOR EACH ROW EXECUTE FUNCTION ledger_account_guard()",
    "CREATE TRIGGER ledger_periods_guard BEFORE INSERT OR UPDATE OR DELETE ON ledger_periods "
    "FOR EACH ROW EXECUTE FUNCTION ledger_period_guard()",
]


def _postgresql_guards() -> None:
    # Entry ids are drawn before the entry's postings are written (postings come first).
    op.execute("CREATE SEQUENCE ledger_entry_id_seq AS bigint")
    for name, body in PG_FUNCTIONS.items():
        op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $fn${body}$fn$")
    for statement in PG_TRIGGERS:
        op.execute(statement)


def _drop_postgresql_guards() -> None:
    for statement in PG_TRIGGERS:
        words = statement.split()
        name_at = words.index("TRIGGER") + 1
        table = words[words.index("ON") + 1]
        op.execute(f"DROP TRIGGER IF EXISTS {words[name_at]} ON {table}")
    for name in PG_FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.execute("DROP SEQUENCE IF EXISTS ledger_entry_id_seq")


# --- SQLite --------------------------------------------------------------------------------
# SQLite has no deferred triggers. The write order (postings, then their entry) lets the entry's
# BEFORE INSERT trigger check the whole entry, and the deferred foreign key from postings to
# entries refuses, at commit, postings whose entry never arrived. Writers are serialised by the
# database lock, so the commit-time recheck PostgreSQL needs has no window to close here.

SQLITE_TRIGGERS = {
    **{
        f"{t}_no_update": f"""
            CREATE TRIGGER {t}_no_update BEFORE UPDATE ON {t} BEGIN
              SELECT RAISE(ABORT, '[ledger:append_only] UPDATE on {t} is refused: ledger rows
                are never changed; post a correcting entry instead');
            END"""
        for t in APPEND_ONLY_TABLES
    },
    **{
        f"{t}_no_delete": f"""
            CREATE TRIGGER {t}_no_delete BEFORE DELETE ON {t} BEGIN
              SELECT RAISE(ABORT, '[ledger:append_only] DELETE on {t} is refused: ledger rows
                are never removed; post a correcting entry instead');
            END"""
        for t in APPEND_ONLY_TABLES
    },
    "ledger_postings_entry_open": """
        CREATE TRIGGER ledger_postings_entry_open BEFORE INSERT ON ledger_postings
        WHEN EXISTS (SELECT 1 FROM ledger_entries WHERE id = NEW.entry_id) BEGIN
          SELECT RAISE(ABORT, '[ledger:entry_recorded] the entry is already recorded; postings
            cannot be added to it');
        END""",
    "ledger_postings_account_active": """
        CREATE TRIGGER ledger_postings_account_active BEFORE INSERT ON ledger_postings
        WHEN NOT EXISTS (SELECT 1 FROM ledger_accounts WHERE id = NEW.account_id AND active)
        BEGIN
          SELECT RAISE(ABORT, '[ledger:account_inactive] the account is missing or inactive');
        END""",
    "ledger_entries_enough_postings": """
        CREATE TRIGGER ledger_entries_enough_postings BEFORE INSERT ON ledger_entries
        WHEN (SELECT count(*) FROM ledger_postings WHERE entry_id = NEW.id) < 2 BEGIN
          SELECT RAISE(ABORT, '[ledger:too_few_postings] an entry needs at least two postings');
        END""",
    "ledger_entries_balanced": """
        CREATE TRIGGER ledger_entries_balanced BEFORE INSERT ON ledger_entries
        WHEN (SELECT coalesce(sum(amount_pence), 0) FROM ledger_postings
              WHERE entry_id = NEW.id) <> 0 BEGIN
          SELECT RAISE(ABORT, '[ledger:unbalanced] the entry''s postings do not sum to zero');
        END""",
    "ledger_entries_one_currency": """
        CREATE TRIGGER ledger_entries_one_currency BEFORE INSERT ON ledger_entries
        WHEN (SELECT count(DISTINCT currency) FROM ledger_postings
              WHERE entry_id = NEW.id) <> 1 BEGIN
          SELECT RAISE(ABORT, '[ledger:mixed_currency] an entry has one currency');
        END""",
    "ledger_entries_open_period": """
        CREATE TRIGGER ledger_entries_open_period BEFORE INSERT ON ledger_entries
        WHEN EXISTS (SELECT 1 FROM ledger_periods WHERE closed_at IS NOT NULL
                     AND NEW.effective_date BETWEEN starts_on AND ends_on) BEGIN
          SELECT RAISE(ABORT, '[ledger:period_closed] the effective date is in a closed period');
        END""",
    "ledger_entries_reversal_nets": """
        CREATE TRIGGER ledger_entries_reversal_nets BEFORE INSERT ON ledger_entries
        WHEN NEW.reverses_entry_id IS NOT NULL AND EXISTS (
          SELECT 1 FROM (
            SELECT account_id, coalesce(sub_account_key, '') AS k, sum(amount_pence) AS s
              FROM ledger_postings WHERE entry_id IN (NEW.id, NEW.reverses_entry_id)
             GROUP BY 1, 2)
           WHERE s <> 0) BEGIN
          SELECT RAISE(ABORT, '[ledger:reversal_mismatch] a reversal must net its original to
            zero');
        END""",
    "ledger_entries_enqueue": """
        CREATE TRIGGER ledger_entries_enqueue AFTER INSERT ON ledger_entries BEGIN
          INSERT INTO ledger_seal_queue (entry_id) VALUES (NEW.id);
        END""",
    "ledger_seal_queue_insert": """
        CREATE TRIGGER ledger_seal_queue_insert BEFORE INSERT ON ledger_seal_queue
        WHEN EXISTS (SELECT 1 FROM ledger_seals WHERE entry_id = NEW.entry_id) BEGIN
          SELECT RAISE(ABORT, '[ledger:already_sealed] the entry is already sealed');
        END""",
    "ledger_seal_queue_delete": """
        CREATE TRIGGER ledger_seal_queue_delete BEFORE DELETE ON ledger_seal_queue
        WHEN NOT EXISTS (SELECT 1 FROM ledger_seals WHERE entry_id = OLD.entry_id) BEGIN
          SELECT RAISE(ABORT, '[ledger:not_sealed] an entry must be sealed before it leaves the
            seal queue');
        END""",
    "ledger_seal_queue_update": """
        CREATE TRIGGER ledger_seal_queue_update BEFORE UPDATE ON ledger_seal_queue BEGIN
          SELECT RAISE(ABORT, '[ledger:append_only] the seal queue is not updated');
        END""",
    "ledger_accounts_kept": """
        CREATE TRIGGER ledger_accounts_kept BEFORE DELETE ON ledger_accounts BEGIN
          SELECT RAISE(ABORT, '[ledger:account_kept] an account cannot be removed; deactivate it
            instead');
        END""",
    "ledger_accounts_code_fixed": """
        CREATE TRIGGER ledger_accounts_code_fixed BEFORE UPDATE OF code ON ledger_accounts
        WHEN NEW.code <> OLD.code BEGIN
          SELECT RAISE(ABORT, '[ledger:account_code_fixed] an account code cannot be changed;
            open a new account and deactivate this one');
        END""",
    "ledger_periods_final": """
        CREATE TRIGGER ledger_periods_final BEFORE UPDATE ON ledger_periods
        WHEN OLD.closed_at IS NOT NULL BEGIN
          SELECT RAISE(ABORT, '[ledger:period_final] a closed period cannot be changed');
        END""",
    "ledger_periods_final_delete": """
        CREATE TRIGGER ledger_periods_final_delete BEFORE DELETE ON ledger_periods
        WHEN OLD.closed_at IS NOT NULL BEGIN
          SELECT RAISE(ABORT, '[ledger:period_final] a closed period cannot be removed');
        END""",
    "ledger_periods_no_overlap": """
        CREATE TRIGGER ledger_periods_no_overlap BEFORE INSERT ON ledger_periods
        WHEN EXISTS (SELECT 1 FROM ledger_periods
                     WHERE starts_on <= NEW.ends_on AND NEW.starts_on <= ends_on) BEGIN
          SELECT RAISE(ABORT, '[ledger:period_overlap] the period overlaps another period');
        END""",
    "ledger_periods_no_overlap_update": """
        CREATE TRIGGER ledger_periods_no_overlap_update BEFORE UPDATE ON ledger_periods
        WHEN EXISTS (SELECT 1 FROM ledger_periods WHERE id <> NEW.id
                     AND starts_on <= NEW.ends_on AND NEW.starts_on <= ends_on) BEGIN
          SELECT RAISE(ABORT, '[ledger:period_overlap] the period overlaps another period');
        END""",
}


def _sqlite_guards() -> None:
    for statement in SQLITE_TRIGGERS.values():
        op.execute(statement)


def _drop_sqlite_guards() -> None:
    for name in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
