"""`receipting demo` without serving: seeding, refusing a foreign ledger, its own file."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from ledger import LedgerService
from receipting import demo as demo_data
from tests.integration.receipting.cli.support import RunCli, invoke, no_traceback


def test_demo_refuses_an_address_already_in_use_before_it_serves(
    db_url: str, run_cli: RunCli
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("demo", "--database", db_url, "--bind", f"127.0.0.1:{port}")
    assert result.exit_code == 2, result.output
    assert "already in use" in result.output
    assert no_traceback(result)


def test_demo_without_serving_seeds_the_council_once_however_often_it_runs(
    db_url: str, run_cli: RunCli, ledger_service: LedgerService
) -> None:
    entries = len(demo_data.DEMO_ENTRIES) + len(demo_data.DEMO_REVERSALS)

    first = run_cli("demo", "--no-serve", "--database", db_url)
    assert first.exit_code == 0, first.output
    assert "Demo Borough Council" in first.output
    assert f"Entries: {entries} posted now, 0 already there" in first.output

    second = run_cli("demo", "--no-serve", "--database", db_url)
    assert second.exit_code == 0, second.output
    assert f"Entries: 0 posted now, {entries} already there" in second.output

    accounts = ledger_service.list_accounts()
    assert {a.code for a in accounts} == {a.code for a in demo_data.DEMO_CHART}
    report = ledger_service.verify()
    assert (report.ok, report.entries, report.seals, report.queued) == (True, entries, entries, 0)
    balance = ledger_service.trial_balance()
    assert balance.total_pence == 0
    assert sum(line.balance_pence for line in balance.lines) == 0
    assert (
        ledger_service.sub_account_balance(demo_data.PARKING_FINES, demo_data.PCN_REF) == -3_500
    ), "the duplicate parking payment is refunded, the first one stands"

    document = json.loads(run_cli("ledger", "trial-balance", "--format", "json").output)
    assert document["total_debit_pence"] == document["total_credit_pence"] > 0


def test_demo_refuses_to_add_to_a_ledger_that_is_not_the_demos(
    chart: LedgerService, db_url: str, run_cli: RunCli
) -> None:
    result = run_cli("demo", "--no-serve", "--database", db_url)
    assert result.exit_code == 2, result.output
    assert "not the demo's" in result.output
    assert {a.code for a in chart.list_accounts()} == {"CARD", "CTAX", "PCN"}


def test_demo_makes_its_own_sqlite_file_in_the_working_directory_and_ignores_the_database_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    elsewhere = tmp_path / "real-ledger.sqlite3"
    result = invoke(f"sqlite:///{elsewhere}", "demo", "--no-serve")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "var" / "demo.sqlite3").is_file()
    assert not elsewhere.exists()
    assert "Verified:" in result.output
