"""The `receipting` command line, run in-process against real databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from ledger import AccountKind, Entry, EntryRequest, LedgerService, PostingLine
from ledger.db import make_engine
from receipting import cli as cli_module
from receipting import demo as demo_data
from receipting.cli import cli, format_pounds
from receipting.errors import ConfigurationError
from tests.conftest import TEST_SEAL_KEY
from tests.support.databases import DatabaseFactory

MONDAY = date(2026, 11, 2)
TUESDAY = date(2026, 11, 3)

# How long the worker gets to start, and then to stop after SIGTERM, before the test gives up.
WORKER_START_TIMEOUT_S = 30
WORKER_STOP_TIMEOUT_S = 15

RunCli = Callable[..., Result]


def invoke(url: str, *args: str, **env: str) -> Result:
    base = {
        "RECEIPTING_DATABASE_URL": url,
        "RECEIPTING_SEAL_KEY": TEST_SEAL_KEY.decode(),
        "RECEIPTING_LOG_LEVEL": "WARNING",
    }
    return CliRunner().invoke(cli, list(args), env={**base, **env})


@pytest.fixture
def run_cli(db_url: str) -> RunCli:
    def run(*args: str, **env: str) -> Result:
        return invoke(db_url, *args, **env)

    return run


@pytest.fixture
def chart(ledger_service: LedgerService) -> LedgerService:
    ledger_service.open_account("CARD", "Card clearing", AccountKind.ASSET)
    ledger_service.open_account("CTAX", "Council tax", AccountKind.LIABILITY)
    ledger_service.open_account("PCN", "Parking fines", AccountKind.INCOME)
    return ledger_service


def card_payment(
    service: LedgerService, day: date, pence: int, fund: str = "CTAX", ref: str = "771234561"
) -> Entry:
    return service.post(
        EntryRequest(
            day, "card payment", (PostingLine("CARD", pence), PostingLine(fund, -pence, ref))
        )
    )


def no_traceback(result: Result) -> bool:
    """The command ended through an exit status, not an exception escaping it."""
    clean_exit = result.exception is None or isinstance(result.exception, SystemExit)
    return clean_exit and "Traceback" not in result.output


# --- help everywhere --------------------------------------------------------------------------


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield prefix
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from command_paths(command, (*prefix, name))
        else:
            yield (*prefix, name)


EXPECTED_COMMANDS = {
    ("db", "upgrade"),
    ("db", "downgrade"),
    ("db", "current"),
    ("serve",),
    ("worker",),
    ("ledger", "verify"),
    ("ledger", "trial-balance"),
    ("ledger", "seal"),
    ("demo",),
}


def test_the_command_line_offers_every_command_the_issue_names() -> None:
    assert set(command_paths(cli)) >= EXPECTED_COMMANDS


@pytest.mark.parametrize("path", sorted(command_paths(cli)), ids=" ".join)
def test_every_command_explains_itself_with_help(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"], env={"RECEIPTING_SEAL_KEY": "short"})
    assert result.exit_code == 0, result.output
    assert "Usage: " in result.output
    assert "--help" in result.output


# --- commands from channels -------------------------------------------------------------------


@click.command("allpay-import")
def allpay_import() -> None:
    """Import an allpay file."""
    click.echo("imported")


@click.command("demo")
def clashing_demo() -> None:
    """A channel command whose name is already the engine's."""


class FakeChannel:
    name = "cash_networks"

    def register_routes(self, app: object, context: object) -> None:
        pass

    def cli_commands(self) -> list[click.Command]:
        return [allpay_import, clashing_demo]


def test_installed_channels_add_their_commands_but_cannot_take_a_built_in_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cli_module, "discover_channels", lambda: [FakeChannel()])
    listed = CliRunner().invoke(cli, ["--help"])
    assert "allpay-import" in listed.output
    assert "the command is left out" in listed.output

    ran = CliRunner().invoke(cli, ["allpay-import"])
    assert ran.exit_code == 0, ran.output
    assert "imported" in ran.output
    assert "Set up a demo council ledger" in CliRunner().invoke(cli, ["demo", "--help"]).output


def test_a_channel_that_fails_to_load_is_named_and_the_built_in_commands_still_work(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken() -> list[FakeChannel]:
        raise ConfigurationError("The channel in entry point broken could not be loaded.")

    monkeypatch.setattr(cli_module, "discover_channels", broken)
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "Warning: The channel in entry point broken could not be loaded." in result.output
    assert "ledger" in result.output


# --- money, formatted -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pence", "shown"),
    [
        (0, "0.00"),
        (5, "0.05"),
        (99, "0.99"),
        (100, "1.00"),
        (123_450, "1,234.50"),
        (-123_450, "-1,234.50"),
        (1_000_000_000_000, "10,000,000,000.00"),
    ],
)
def test_pence_are_shown_as_pounds_with_thousands_separators(pence: int, shown: str) -> None:
    assert format_pounds(pence) == shown


def test_pence_can_be_shown_as_pounds_without_separators_for_spreadsheets() -> None:
    assert format_pounds(123_456_789, grouped=False) == "1234567.89"


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_formatted_pounds_always_read_back_as_the_same_pence(pence: int) -> None:
    shown = format_pounds(pence)
    whole, _, fraction = shown.partition(".")
    assert len(fraction) == 2
    assert int(whole.replace(",", "") + fraction) == pence


# --- db ---------------------------------------------------------------------------------------


def test_db_upgrade_brings_an_empty_database_to_the_latest_schema(
    databases: DatabaseFactory,
) -> None:
    url = databases.empty_url()
    before = invoke(url, "db", "current")
    assert before.exit_code == 0, before.output
    assert "none (empty)" in before.output

    first = invoke(url, "db", "upgrade")
    assert first.exit_code == 0, first.output
    assert "upgraded from an empty database" in first.output

    again = invoke(url, "db", "upgrade")
    assert again.exit_code == 0, again.output
    assert "nothing to do" in again.output
    assert "up to date" in invoke(url, "db", "current").output
    assert invoke(url, "ledger", "verify").exit_code == 0


def test_db_downgrade_to_base_removes_the_schema_and_upgrade_restores_it(
    databases: DatabaseFactory,
) -> None:
    url = databases.empty_url()
    assert invoke(url, "db", "upgrade").exit_code == 0

    down = invoke(url, "db", "downgrade", "--to", "base", "--yes")
    assert down.exit_code == 0, down.output
    assert "none (empty)" in invoke(url, "db", "current").output

    assert invoke(url, "db", "upgrade").exit_code == 0
    assert "up to date" in invoke(url, "db", "current").output


def test_db_upgrade_to_a_revision_that_does_not_exist_is_refused_in_words(
    run_cli: RunCli,
) -> None:
    result = run_cli("db", "upgrade", "--to", "no-such-revision")
    assert result.exit_code == 2, result.output
    assert "The migration could not run" in result.output
    assert no_traceback(result)


def test_db_downgrade_asks_first_and_declining_keeps_the_schema(
    db_url: str, run_cli: RunCli
) -> None:
    result = CliRunner().invoke(
        cli,
        ["db", "downgrade", "--to", "base"],
        input="n\n",
        env={"RECEIPTING_DATABASE_URL": db_url},
    )
    assert result.exit_code == 1
    assert "Aborted" in result.output
    assert "up to date" in run_cli("db", "current").output


def test_ledger_commands_refuse_an_unmigrated_database_and_say_how_to_fix_it(
    databases: DatabaseFactory,
) -> None:
    url = databases.empty_url()
    for command in (
        ["ledger", "verify"],
        ["ledger", "trial-balance"],
        ["ledger", "seal"],
        ["worker", "--once"],
        ["serve"],
    ):
        result = invoke(url, *command)
        assert result.exit_code == 2, (command, result.output)
        assert "receipting db upgrade" in result.output
        assert no_traceback(result)


def test_an_unreachable_database_is_reported_in_one_line_without_a_traceback(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'no-such-folder' / 'ledger.sqlite3'}"
    result = invoke(url, "ledger", "verify")
    assert result.exit_code == 2
    assert "Could not use the database" in result.output
    assert no_traceback(result)


def test_a_malformed_database_url_is_reported_without_a_traceback() -> None:
    result = invoke("this is not a url", "db", "current")
    assert result.exit_code == 2
    assert "RECEIPTING_DATABASE_URL" in result.output
    assert no_traceback(result)


def test_a_short_sealing_key_is_refused_with_the_way_to_make_a_good_one(tmp_path: Path) -> None:
    result = invoke(
        f"sqlite:///{tmp_path / 'x.sqlite3'}", "ledger", "verify", RECEIPTING_SEAL_KEY="short"
    )
    assert result.exit_code == 2
    assert "at least 32" in result.output
    assert "secrets.token_urlsafe" in result.output
    assert no_traceback(result)


# --- ledger trial-balance ---------------------------------------------------------------------


@pytest.fixture
def two_days(chart: LedgerService) -> LedgerService:
    card_payment(chart, MONDAY, 123_450)
    card_payment(chart, TUESDAY, 999, fund="PCN", ref="BJ12345673")
    return chart


def test_trial_balance_table_shows_pounds_in_debit_and_credit_columns_that_agree(
    two_days: LedgerService, run_cli: RunCli
) -> None:
    result = run_cli("ledger", "trial-balance")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Trial balance (all entries)"
    card = next(line for line in lines if line.startswith("CARD "))
    ctax = next(line for line in lines if line.startswith("CTAX "))
    pcn = next(line for line in lines if line.startswith("PCN "))
    total = next(line for line in lines if "Total" in line)
    assert card.split()[-1] == "1,244.49"
    assert ctax.split()[-1] == "1,234.50"
    assert pcn.split()[-1] == "9.99"
    assert total.split()[-2:] == ["1,244.49", "1,244.49"]
    assert "OUT OF BALANCE" not in result.output


def test_trial_balance_json_gives_pence_and_sums_to_zero(
    two_days: LedgerService, run_cli: RunCli
) -> None:
    result = run_cli("ledger", "trial-balance", "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    by_code = {line["account_code"]: line for line in document["lines"]}
    assert document["as_at"] is None
    assert document["currency"] == "GBP"
    assert by_code["CARD"]["balance_pence"] == 124_449
    assert by_code["CARD"]["debit_pence"] == 124_449
    assert by_code["CARD"]["credit_pence"] == 0
    assert by_code["CTAX"]["credit_pence"] == 123_450
    assert document["total_pence"] == 0
    assert document["total_debit_pence"] == document["total_credit_pence"] == 124_449


def test_trial_balance_csv_gives_plain_pounds_a_spreadsheet_reads_as_numbers(
    two_days: LedgerService, run_cli: RunCli
) -> None:
    result = run_cli("ledger", "trial-balance", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = {row["account_code"]: row for row in csv.DictReader(io.StringIO(result.output))}
    assert rows["CARD"] == {
        "account_code": "CARD",
        "name": "Card clearing",
        "kind": "asset",
        "debit": "1244.49",
        "credit": "",
    }
    assert rows["CTAX"]["credit"] == "1234.50"


def test_trial_balance_as_at_a_date_leaves_out_later_entries(
    two_days: LedgerService, run_cli: RunCli
) -> None:
    result = run_cli("ledger", "trial-balance", "--as-at", MONDAY.isoformat(), "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    by_code = {line["account_code"]: line["balance_pence"] for line in document["lines"]}
    assert document["as_at"] == "2026-11-02"
    assert by_code == {"CARD": 123_450, "CTAX": -123_450, "PCN": 0}

    table = run_cli("ledger", "trial-balance", "--as-at", MONDAY.isoformat())
    assert table.output.splitlines()[0] == "Trial balance as at 2026-11-02"


def test_trial_balance_refuses_a_date_that_is_not_iso(run_cli: RunCli) -> None:
    result = run_cli("ledger", "trial-balance", "--as-at", "02/11/2026")
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output


def test_trial_balance_of_a_ledger_after_sealing_is_unchanged(
    two_days: LedgerService, run_cli: RunCli
) -> None:
    before = run_cli("ledger", "trial-balance", "--format", "json").output
    two_days.seal_all()
    assert run_cli("ledger", "trial-balance", "--format", "json").output == before


# --- ledger verify and seal -------------------------------------------------------------------


def test_verify_passes_on_a_sound_ledger_and_summarises_it(
    two_days: LedgerService, run_cli: RunCli
) -> None:
    two_days.seal_all()
    card_payment(two_days, TUESDAY, 500)
    result = run_cli("ledger", "verify")
    assert result.exit_code == 0, result.output
    assert "3 entries, 6 postings, 2 sealed, 1 queued for sealing" in result.output
    assert "OK" in result.output


def tamper_with_postings_of(db_url: str, entry_id: int) -> None:
    """Redirect a sealed payment to another account reference, behind the ledger's back."""
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("DROP TRIGGER ledger_postings_no_update")
            else:
                conn.exec_driver_sql(
                    "ALTER TABLE ledger_postings DISABLE TRIGGER ledger_postings_append_only"
                )
            changed = conn.execute(
                text(
                    "UPDATE ledger_postings SET sub_account_key = '779999999' "
                    "WHERE entry_id = :entry_id AND sub_account_key IS NOT NULL"
                ),
                {"entry_id": entry_id},
            )
            assert changed.rowcount == 1
    finally:
        engine.dispose()


def test_verify_fails_naming_the_seal_link_and_entry_of_a_posting_changed_after_sealing(
    chart: LedgerService, db_url: str, run_cli: RunCli
) -> None:
    card_payment(chart, MONDAY, 1_000)
    altered = card_payment(chart, MONDAY, 2_000, ref="770045120")
    card_payment(chart, TUESDAY, 3_000)
    chart.seal_all()
    tamper_with_postings_of(db_url, altered.id)

    result = run_cli("ledger", "verify")
    assert result.exit_code == 1, result.output
    assert f"FAILED: seal chain: link 2 (entry {altered.id}) does not verify" in result.output
    assert no_traceback(result)


def test_seal_seals_everything_queued_and_says_how_long_the_chain_is(
    chart: LedgerService, run_cli: RunCli
) -> None:
    for pence in (100, 200, 300):
        card_payment(chart, MONDAY, pence)
    result = run_cli("ledger", "seal", "--batch-size", "2")
    assert result.exit_code == 0, result.output
    assert "Sealed 3 entries; the chain has 3 links." in result.output
    report = chart.verify()
    assert (report.ok, report.seals, report.queued) == (True, 3, 0)

    again = run_cli("ledger", "seal")
    assert "Sealed 0 entries; the chain has 3 links." in again.output


# --- worker -----------------------------------------------------------------------------------


def test_worker_once_seals_what_is_queued_and_exits(chart: LedgerService, run_cli: RunCli) -> None:
    card_payment(chart, MONDAY, 100)
    card_payment(chart, MONDAY, 200)
    result = run_cli("worker", "--once")
    assert result.exit_code == 0, result.output
    assert "seal: 2 done" in result.output
    assert chart.verify().queued == 0


def receipting_command() -> list[str]:
    script = Path(sys.executable).with_name("receipting")
    return [str(script)] if script.exists() else [sys.executable, "-m", "receipting.cli"]


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


# --- serve ------------------------------------------------------------------------------------


def test_serve_refuses_a_bind_address_that_is_not_host_and_port(run_cli: RunCli) -> None:
    result = run_cli("serve", "--bind", "localhost")
    assert result.exit_code == 2
    assert "HOST:PORT" in result.output


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


# --- demo -------------------------------------------------------------------------------------


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
