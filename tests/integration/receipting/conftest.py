"""The API in-process, on the same engine the `ledger_service` fixture writes through, so a test
posts with the service and reads over HTTP the same database (SQLite and PostgreSQL alike)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import falcon
import pytest
from falcon.testing import TestClient
from sqlalchemy.engine import Engine

from ledger.errors import LedgerInvariantBroken
from receipting.api import App
from receipting.api.openapi import Operation, Parameter
from receipting.app import create_app
from receipting.channels import AppContext, Channel
from receipting.logs import json_log_handler
from receipting.settings import Settings
from tests.conftest import TEST_SEAL_KEY

MakeClient = Callable[..., TestClient]


@pytest.fixture
def make_client(engine: Engine, db_url: str) -> MakeClient:
    def make(*, development: bool = True, channels: Sequence[Channel] = ()) -> TestClient:
        settings = Settings(database_url=db_url, seal_key=TEST_SEAL_KEY, development=development)
        return TestClient(create_app(settings, engine=engine, channels=list(channels)))

    return make


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    return make_client()


class LogLines:
    def __init__(self, stream: io.StringIO) -> None:
        self._stream = stream

    def all(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self._stream.getvalue().splitlines()]

    def for_request(self, request_id: str) -> list[dict[str, Any]]:
        return [line for line in self.all() if line["request_id"] == request_id]


@pytest.fixture
def log_lines() -> Iterator[LogLines]:
    """What the app logs, as the JSON lines a deployment would write."""
    stream = io.StringIO()
    handler = json_log_handler(stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield LogLines(stream)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


# --- a channel for tests: routes that fail on purpose or read a JSON body ----------------------


class FailingResource:
    def on_get(self, req: falcon.Request, resp: falcon.Response, kind: str) -> None:
        if kind == "invariant":
            raise LedgerInvariantBroken("entry 7: postings sum to 5 in table ledger_postings")
        raise RuntimeError("could not connect to postgresql://payments:hunter2@db-7/prod")


class EchoResource:
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"received": req.get_media()}


class ProbeChannel:
    name = "probe"

    def register_routes(self, app: App, context: AppContext) -> None:
        kind = Parameter("kind", "path", "How to fail.", {"type": "string"})
        context.routes.add(
            "/probe/fail/{kind}",
            FailingResource(),
            {"GET": Operation("probeFail", "Fails", {"type": "object"}, parameters=(kind,))},
        )
        context.routes.add(
            "/probe/echo", EchoResource(), {"POST": Operation("probeEcho", "Echoes", {})}
        )


@pytest.fixture
def probe_client(make_client: MakeClient) -> TestClient:
    return make_client(channels=[ProbeChannel()])
