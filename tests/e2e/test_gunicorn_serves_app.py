"""A real gunicorn serving `receipting.wsgi:app` over HTTP, configured only by the environment."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from ledger import AccountKind, EntryRequest, LedgerService, PostingLine
from receipting.auth.keys import issue_key
from receipting.auth.scopes import Scope

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[2]

# gunicorn boots in about a second; a loaded CI machine may take several times that.
STARTUP_TIMEOUT_S = 30

# How long gunicorn gets to stop after SIGTERM before it is killed outright.
SHUTDOWN_TIMEOUT_S = 15

REQUEST_TIMEOUT_S = 10

GUNICORN_CONFIG = (
    "from receipting.logs import gunicorn_logconfig_dict\n"
    "logconfig_dict = gunicorn_logconfig_dict()\n"
)


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: Any


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[bytes]
    stderr_path: Path

    def get(self, path: str, request_id: str | None = None, key: str | None = None) -> Response:
        request = urllib.request.Request(self.base_url + path)
        if key is not None:
            request.add_header("Authorization", f"Bearer {key}")
        if request_id is not None:
            request.add_header("X-Request-Id", request_id)
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S) as answer:
                return Response(answer.status, _lower(answer.headers.items()), json.load(answer))
        except urllib.error.HTTPError as refused:
            return Response(refused.code, _lower(refused.headers.items()), json.load(refused))

    def stop(self) -> None:
        """Stop gunicorn and its workers; safe to call twice."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=SHUTDOWN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            # gunicorn runs in its own process group, so this reaches its workers too.
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def log_output(self) -> str:
        return self.stderr_path.read_text(errors="replace")


def _lower(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    # Header names are case-insensitive; Falcon sends them in lower case.
    return {name.lower(): value for name, value in headers}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_healthy(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"gunicorn exited during start-up:\n{server.log_output()}")
        try:
            if server.get("/healthz").status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    pytest.fail(f"gunicorn did not become healthy in {STARTUP_TIMEOUT_S}s:\n{server.log_output()}")


def seed(ledger: LedgerService) -> None:
    ledger.open_account("CARD", "Card clearing", AccountKind.ASSET)
    ledger.open_account("PCN", "Parking fines", AccountKind.INCOME)
    ledger.post(
        EntryRequest(
            date(2026, 5, 1),
            "PCN paid by card",
            (PostingLine("CARD", 7000), PostingLine("PCN", -7000)),
        )
    )


@pytest.fixture
def server(db_url: str, ledger_service: LedgerService, tmp_path: Path) -> Iterator[Server]:
    seed(ledger_service)
    environment = {
        "RECEIPTING_DATABASE_URL": db_url,
        "RECEIPTING_DEVELOPMENT": "1",
        "RECEIPTING_LOG_LEVEL": "INFO",
    }
    with running_gunicorn(tmp_path, environment, unset=("RECEIPTING_SEAL_KEY",)) as running:
        yield running


@contextmanager
def running_gunicorn(
    tmp_path: Path,
    environment: dict[str, str],
    *,
    workers: int = 1,
    unset: tuple[str, ...] = (),
    port: int | None = None,
) -> Iterator[Server]:
    """A real gunicorn serving `receipting.wsgi:app` on loopback, healthy, stopped afterwards."""
    config = tmp_path / "gunicorn.conf.py"
    config.write_text(GUNICORN_CONFIG)
    port = free_port() if port is None else port
    env = {**os.environ, **environment}
    for name in unset:
        env.pop(name, None)
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        str(config),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        # gunicorn's control socket sits at one path per user; another server would share it.
        "--no-control-socket",
        "receipting.wsgi:app",
    ]
    stderr_path = tmp_path / "gunicorn.stderr"
    with stderr_path.open("wb") as stderr, (tmp_path / "gunicorn.stdout").open("wb") as stdout:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdout=stdout,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    running = Server(f"http://127.0.0.1:{port}", process, stderr_path)
    try:
        wait_until_healthy(running)
        yield running
    finally:
        running.stop()


def test_gunicorn_serves_health_openapi_and_the_trial_balance_with_json_logs(
    server: Server, session_factory: sessionmaker[Session]
) -> None:
    health = server.get("/healthz", request_id="e2e-health")
    document = server.get("/openapi.json", request_id="e2e-openapi")
    key = issue_key(session_factory, name="e2e", service="finance", scopes=[Scope.LEDGER_READ])
    refused = server.get("/v1/ledger/trial-balance", request_id="e2e-refused")
    trial = server.get("/v1/ledger/trial-balance?as_at=2026-05-31", request_id="e2e-trial", key=key)
    missing = server.get("/v1/ledger/accounts/NOPE/balance", request_id="e2e-missing", key=key)
    server.stop()

    assert (health.status, health.body) == (200, {"status": "ok", "database": "ok"})
    assert health.headers["x-request-id"] == "e2e-health"
    assert refused.status == 401
    assert document.status == 200
    assert "/v1/ledger/trial-balance" in document.body["paths"]
    assert trial.status == 200
    assert trial.body == {
        "as_at": "2026-05-31",
        "lines": [
            {
                "account_code": "CARD",
                "name": "Card clearing",
                "kind": "asset",
                "balance_pence": 7000,
            },
            {
                "account_code": "PCN",
                "name": "Parking fines",
                "kind": "income",
                "balance_pence": -7000,
            },
        ],
        "total_pence": 0,
    }
    assert (missing.status, missing.body["code"]) == (404, "ACCOUNT_NOT_FOUND")

    lines = [json.loads(line) for line in server.log_output().splitlines() if line.strip()]
    request_ids = {line["request_id"] for line in lines}
    assert {"e2e-health", "e2e-openapi", "e2e-trial", "e2e-missing"} <= request_ids
    assert any(line["logger"] == "gunicorn.error" for line in lines)
    assert any("RECEIPTING_SEAL_KEY" in line["message"] for line in lines)
