"""The sandbox gateway's migration builds exactly its models (the whole-schema drift test covers
this too; this one names the sandbox's tables alone, so a failure points here)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from receipting.schema import metadata

SANDBOX_TABLES = {"sandbox_gateway_transactions", "sandbox_gateway_refunds"}


def test_the_sandbox_tables_match_their_models(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = [d for d in compare_metadata(context, metadata) if "sandbox_gateway" in repr(d)]
    assert diff == []
    assert set(inspect(engine).get_table_names()) >= SANDBOX_TABLES
