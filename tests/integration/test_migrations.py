"""Alembic is the only source of schema: it must build exactly what the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

import migrations
from ledger.db import make_engine
from receipting.schema import metadata
from tests.support.databases import DatabaseFactory


def _drift(url: str) -> list[object]:
    engine = make_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    engine.dispose()
    return list(diff)


def test_upgrading_an_empty_database_matches_the_models(databases: DatabaseFactory) -> None:
    url = databases.empty_url()
    engine = make_engine(url)
    migrations.upgrade(engine)
    assert migrations.current_revision(engine) is not None
    engine.dispose()
    assert _drift(url) == []


def test_downgrading_to_base_and_up_again_leaves_no_drift(databases: DatabaseFactory) -> None:
    url = databases.empty_url()
    engine = make_engine(url)
    migrations.upgrade(engine)
    migrations.downgrade(engine, "base")
    leftover = set(inspect(engine).get_table_names()) - {"alembic_version"}
    assert leftover == set()
    migrations.upgrade(engine)
    engine.dispose()
    assert _drift(url) == []
