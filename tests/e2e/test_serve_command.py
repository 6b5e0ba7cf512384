"""`receipting serve` as an operator runs it: one gunicorn master and its workers, one process
group, and each warning about the settings said once, not once per worker."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.test_demo_command import free_port, receipting_command
from tests.support.databases import DatabaseFactory

pytestmark = pytest.mark.e2e

# Booting two gunicorn workers takes a second or two; a slow CI host gets ample room.
STARTUP_TIMEOUT_S = 60
STOP_TIMEOUT_S = 30
REQUEST_TIMEOUT_S = 5
POLL_INTERVAL_S = 0.2
WORKERS = 2

SEAL_KEY_WARNING = "RECEIPTING_SEAL_KEY is not set"
SECRET_KEY_WARNING = "RECEIPTING_SECRET_KEY is not set"


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=REQUEST_TIMEOUT_S) as response:
            return bool(response.status == 200)
    except (OSError, urllib.error.HTTPError):
        return False


def test_serve_warns_about_development_keys_once_however_many_workers_it_starts(
    sqlite_databases: DatabaseFactory | str, tmp_path: Path
) -> None:
    assert isinstance(sqlite_databases, DatabaseFactory)
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("RECEIPTING_")}
    env["RECEIPTING_DATABASE_URL"] = sqlite_databases.url()
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                *receipting_command(),
                "serve",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(WORKERS),
            ],
            cwd=tmp_path,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        booted = 0
        while booted < WORKERS:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            if healthy(f"http://127.0.0.1:{port}/healthz"):
                booted = log.read_text().count("Booting worker")
            time.sleep(POLL_INTERVAL_S)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=STOP_TIMEOUT_S) == 0, log.read_text()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    output = log.read_text()
    assert output.count(SEAL_KEY_WARNING) == 1, output
    assert output.count(SECRET_KEY_WARNING) == 1, output
