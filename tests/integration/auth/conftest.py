"""The API in-process on the test's database, and keys issued straight into that database."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator, Sequence

import pytest
from falcon.testing import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from receipting.app import create_app
from receipting.auth.keys import issue_key
from receipting.auth.scopes import Scope
from receipting.channels import Channel
from receipting.logs import json_log_handler
from receipting.settings import DEFAULT_RATE_LIMIT_PER_MINUTE, Settings
from tests.conftest import TEST_SEAL_KEY
from tests.integration.receipting.conftest import LogLines

MakeApiClient = Callable[..., TestClient]
IssueKey = Callable[..., str]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def make_api_client(engine: Engine, db_url: str) -> MakeApiClient:
    def make(
        *,
        rate_limit_per_minute: int = DEFAULT_RATE_LIMIT_PER_MINUTE,
        channels: Sequence[Channel] = (),
        sandbox_gateway: bool = False,
    ) -> TestClient:
        settings = Settings(
            database_url=db_url,
            seal_key=TEST_SEAL_KEY,
            rate_limit_per_minute=rate_limit_per_minute,
            sandbox_gateway=sandbox_gateway,
        )
        return TestClient(create_app(settings, engine=engine, channels=list(channels)))

    return make


@pytest.fixture
def api_client(make_api_client: MakeApiClient) -> TestClient:
    return make_api_client()


@pytest.fixture
def new_key(session_factory: sessionmaker[Session]) -> IssueKey:
    def issue(*scopes: Scope, service: str = "parking", live: bool = False) -> str:
        return issue_key(
            session_factory, name="Test system", service=service, scopes=scopes, live=live
        )

    return issue


@pytest.fixture
def log_lines() -> Iterator[LogLines]:
    """What the app logs, as the JSON lines a deployment would write, from DEBUG up."""
    stream = io.StringIO()
    handler = json_log_handler(stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield LogLines(stream)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
