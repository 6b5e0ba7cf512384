"""Migration 0007_council_presentation keeps a loaded configuration both ways, on both databases.

The models-equal-migrations check for the whole schema is tests/integration/test_migrations.py;
this is about the rows already there when the columns come and go.
"""

from __future__ import annotations

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

import migrations
from ledger.db import make_engine, make_session_factory
from receipting.council import service
from receipting.council.config import DEFAULT_COLOUR
from tests.integration.council.conftest import load_text
from tests.support.databases import DatabaseFactory

BEFORE = "0006_webhooks"
NEW_COLUMNS = {
    "council_config_versions": {"council_name_cy", "colour", "website_url", "phone"},
    "council_reference_rules": {"description_cy", "hint_cy"},
    "council_funds": {"name_cy", "guidance", "guidance_cy"},
}


def columns(engine: Engine, table: str) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns(table)}


def test_a_loaded_configuration_survives_going_down_before_the_new_columns_and_up_again(
    databases: DatabaseFactory, demo_text: str
) -> None:
    engine = make_engine(databases.empty_url())
    try:
        migrations.upgrade(engine)
        load_text(make_session_factory(engine), demo_text)

        migrations.downgrade(engine, BEFORE)

        for table, added in NEW_COLUMNS.items():
            assert columns(engine, table) & added == set(), table
        with engine.connect() as conn:
            funds = conn.execute(text("SELECT code, name FROM council_funds ORDER BY code")).all()
        assert ("CTAX", "Council tax") in [tuple(row) for row in funds]

        migrations.upgrade(engine)

        sessions = make_session_factory(engine)
        with sessions() as session:
            presentation = service.council_presentation(session)
            fund = service.get_fund(session, "CTAX")
        # The version loaded before had no colour or Welsh: the defaults stand in.
        assert (presentation.name, presentation.name_cy, presentation.colour) == (
            "Demo Borough Council",
            None,
            DEFAULT_COLOUR,
        )
        assert (fund.name, fund.name_cy, fund.reference_hint_cy) == ("Council tax", None, None)
        assert fund.guidance == "Check the top right of your bill."  # the rule's hint
    finally:
        engine.dispose()
