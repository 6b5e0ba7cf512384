"""`receipting db ...`, and how every command refuses a database it cannot use."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from receipting.cli import cli
from tests.integration.receipting.cli.support import (
    PROCESS_TIMEOUT_S,
    RunCli,
    invoke,
    no_traceback,
    receipting_command,
)
from tests.support.databases import DatabaseFactory


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


# Every command that opens the database, with what it needs to get that far.
COMMANDS_THAT_OPEN_THE_DATABASE = (
    ("db", "upgrade"),
    ("db", "current"),
    ("db", "downgrade", "--to", "base", "--yes"),
    ("ledger", "verify"),
    ("ledger", "trial-balance"),
    ("ledger", "seal"),
    ("worker", "--once"),
    ("serve",),
    ("council", "show"),
    ("api-keys", "list"),
    ("webhooks", "list"),
)
UNSUPPORTED_URLS = ("mysql://x/y", "oracle://scott@db/orcl", "postgresql+psycopg2://x/y")


@pytest.mark.parametrize("url", UNSUPPORTED_URLS)
@pytest.mark.parametrize("command", COMMANDS_THAT_OPEN_THE_DATABASE, ids=" ".join)
def test_a_database_the_engine_does_not_run_on_is_refused_in_one_line_naming_the_ones_it_does(
    command: tuple[str, ...], url: str
) -> None:
    result = invoke(url, *command)
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1, result.output
    assert "RECEIPTING_DATABASE_URL" in result.output
    assert "SQLite" in result.output and "PostgreSQL" in result.output
    assert no_traceback(result)


def test_the_demo_refuses_such_a_database_naming_its_own_option() -> None:
    result = invoke("sqlite:///unused.sqlite3", "demo", "--no-serve", "--database", "mysql://x/y")
    assert result.exit_code == 2, result.output
    assert "--database names a mysql database" in result.output
    assert no_traceback(result)


def test_ledger_verify_on_mysql_prints_one_line_and_exits_2_as_a_process(tmp_path: Path) -> None:
    env = {**os.environ, "RECEIPTING_DATABASE_URL": "mysql://x/y"}
    done = subprocess.run(
        [*receipting_command(), "ledger", "verify"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "Error: RECEIPTING_DATABASE_URL names a mysql database; this engine runs on SQLite "
        "(sqlite:///receipting.sqlite3) or PostgreSQL (postgresql://user@host:5432/receipting)."
    ]
