"""`receipting demo` as a person runs it: a real process in an empty folder, served by gunicorn."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        importlib.util.find_spec("receipting.wsgi") is None,
        reason="receipting.wsgi (the web application) is not installed, so there is nothing "
        "for the demo to serve",
    ),
]

# Migrating, seeding and booting two gunicorn workers takes a few seconds; a slow CI host gets
# ample room before the test calls the demo broken.
STARTUP_TIMEOUT_S = 60

# Gunicorn's graceful stop waits for in-flight requests; the demo has none by then.
STOP_TIMEOUT_S = 30

# One HTTP request to a local server; anything slower is a failure, not a wait.
REQUEST_TIMEOUT_S = 5

POLL_INTERVAL_S = 0.2


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def receipting_command() -> list[str]:
    script = Path(sys.executable).with_name("receipting")
    return [str(script)] if script.exists() else [sys.executable, "-m", "receipting.cli"]


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class RunningDemo:
    def __init__(self, process: subprocess.Popen[bytes], log: Path, base_url: str) -> None:
        self.process = process
        self.log = log
        self.base_url = base_url

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_until_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"the demo exited with {self.process.returncode}:\n{self.output()}")
            try:
                status, _ = get(f"{self.base_url}/healthz")
                if status == 200:
                    return
            except OSError:
                pass  # not listening yet
            if time.monotonic() > deadline:
                pytest.fail(
                    f"/healthz did not answer 200 in {STARTUP_TIMEOUT_S} s:\n{self.output()}"
                )
            time.sleep(POLL_INTERVAL_S)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                # Its own process group: the master and any worker it left behind.
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return self.process.returncode


@pytest.fixture
def running_demo(tmp_path: Path) -> Iterator[RunningDemo]:
    port = free_port()
    log = tmp_path / "demo.log"
    env = {key: value for key, value in os.environ.items() if not key.startswith("RECEIPTING_")}
    env["PYTHONUNBUFFERED"] = "1"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [*receipting_command(), "demo", "--bind", f"127.0.0.1:{port}"],
            cwd=tmp_path,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        demo = RunningDemo(process, log, f"http://127.0.0.1:{port}")
        try:
            yield demo
        finally:
            demo.stop()


def test_the_demo_creates_its_database_serves_the_api_and_says_what_to_open(
    running_demo: RunningDemo, tmp_path: Path
) -> None:
    running_demo.wait_until_healthy()
    assert (tmp_path / "var" / "demo.sqlite3").is_file()

    output = running_demo.output()
    for page in ("/healthz", "/openapi.json", "/v1/ledger/trial-balance"):
        assert f"{running_demo.base_url}{page}" in output

    status, body = get(f"{running_demo.base_url}/openapi.json")
    assert status == 200
    assert json.loads(body)["openapi"].startswith("3.1")

    key = re.search(r"API key for this demo \(every scope, test mode\): (api_test_\S+)", output)
    assert key is not None, output
    status, body = get(f"{running_demo.base_url}/v1/ledger/trial-balance")
    assert status == 401, body
    status, body = get(
        f"{running_demo.base_url}/v1/ledger/trial-balance",
        headers={"Authorization": f"Bearer {key.group(1)}"},
    )
    assert status == 200, body
    json.loads(body)


def test_the_demo_serves_the_resident_checkout_at_the_address_it_prints(
    running_demo: RunningDemo,
) -> None:
    running_demo.wait_until_healthy()
    output = running_demo.output()
    checkout = f"{running_demo.base_url}/pay"
    assert f"Pay a bill as a resident would: {checkout}" in output
    assert "4444 3333 2222 1111" in output
    status, body = get(checkout)
    assert status == 200, body
    assert b"Council tax" in body and b"Demo Borough Council" in body
    status, body = get(f"{checkout}?lang=cy")
    assert status == 200 and b"Treth gyngor" in body


def test_the_demo_stops_cleanly_on_sigterm(running_demo: RunningDemo) -> None:
    running_demo.wait_until_healthy()
    assert running_demo.stop() == 0, running_demo.output()
