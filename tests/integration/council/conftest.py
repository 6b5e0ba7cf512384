"""The demo council's configuration loaded into each test's fresh database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from receipting.council.service import LoadReport, load_council_config
from receipting.demo import DEMO_COUNCIL_CONFIG, demo_council_config
from tests.integration.receipting.conftest import make_client

__all__ = ["make_client"]  # the in-process API, shared with the other receipting tests

LOADED_AT = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def load_text(
    session_factory: sessionmaker[Session], text: str, source: str = "c.toml"
) -> LoadReport:
    return load_council_config(
        session_factory, text.encode("utf-8"), source, clock=lambda: LOADED_AT
    )


@pytest.fixture
def demo_text() -> str:
    return demo_council_config().decode("utf-8")


@pytest.fixture
def loaded(session_factory: sessionmaker[Session]) -> LoadReport:
    return load_council_config(
        session_factory, demo_council_config(), DEMO_COUNCIL_CONFIG, clock=lambda: LOADED_AT
    )
