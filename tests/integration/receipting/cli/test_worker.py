"""`receipting worker`: one pass, and a clean stop on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy.engine import Engine

from ledger import LedgerService
from receipting.cli import cli
from receipting.settings import Settings
from receipting.worker import installed_jobs
from tests.conftest import TEST_SEAL_KEY
from tests.integration.payments.conftest import Api, api, ctax_payment, ctax_refs, make_api
from tests.integration.receipting.cli.support import (
    MONDAY,
    RunCli,
    card_payment,
    receipting_command,
)

__all__ = ["api", "ctax_refs", "make_api"]  # the fixtures, shared with the payments' own tests

# How long the worker gets to start, and then to stop after SIGTERM, before the test gives up.
WORKER_START_TIMEOUT_S = 30
WORKER_STOP_TIMEOUT_S = 15


def test_worker_once_seals_what_is_queued_and_exits(chart: LedgerService, run_cli: RunCli) -> None:
    card_payment(chart, MONDAY, 100)
    card_payment(chart, MONDAY, 200)
    result = run_cli("worker", "--once")
    assert result.exit_code == 0, result.output
    assert "seal: 2 done" in result.output
    assert chart.verify().queued == 0


def test_worker_stops_cleanly_on_sigterm_after_finishing_its_pass(
    chart: LedgerService, db_url: str, tmp_path: Path
) -> None:
    card_payment(chart, MONDAY, 100)
    output = tmp_path / "worker.log"
    env = {
        **os.environ,
        "RECEIPTING_DATABASE_URL": db_url,
        "RECEIPTING_SEAL_KEY": TEST_SEAL_KEY.decode(),
    }
    with output.open("wb") as sink:
        worker = subprocess.Popen(
            [*receipting_command(), "worker", "--interval-s", "60"],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
        )
        try:
            deadline = time.monotonic() + WORKER_START_TIMEOUT_S
            while b"Worker started" not in output.read_bytes():
                assert worker.poll() is None, output.read_text()
                assert time.monotonic() < deadline, output.read_text()
                time.sleep(0.1)
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=WORKER_STOP_TIMEOUT_S) == 0, output.read_text()
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    assert "Worker stopped." in output.read_text()
    assert chart.verify().queued == 0


def test_worker_help_lists_every_job_the_worker_runs_with_what_it_does(engine: Engine) -> None:
    jobs = installed_jobs(Settings(), engine)
    assert {job.name for job in jobs} >= {"seal", "payments-expire", "deliver-webhooks"}

    result = CliRunner().invoke(cli, ["worker", "--help"], env={"RECEIPTING_SEAL_KEY": "short"})
    assert result.exit_code == 0, result.output
    listed = result.output.split("Each pass runs:", 1)[1].split("Options:", 1)[0]
    for job in jobs:
        assert job.description, f"job {job.name} does not say what it does"
        assert f"{job.name}: {job.description}" in " ".join(listed.split())


def test_the_worker_looks_after_sandbox_payments_without_the_sandbox_setting(
    api: Api, ctax_refs: list[str], run_cli: RunCli
) -> None:
    created = api.create(ctax_payment(ctax_refs[0]))
    assert created.status_code == 201, created.json
    # Made long ago by the test's clock, so the worker expires it, asking the sandbox first.
    result = run_cli("worker", "--once")
    assert result.exit_code == 0, result.output
    assert "payments-expire: 1 done" in result.output
    shown = api.get(f"/v1/payments/{created.json['payment_id']}")
    assert shown.json["state"]["status"] == "failed"
