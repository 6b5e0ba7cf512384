"""The `receipting` command itself: every command explains itself, and installed channels add
theirs."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from receipting.cli import cli
from receipting.cli import root as root_module
from receipting.errors import ConfigurationError
from tests.integration.receipting.cli.support import PROCESS_TIMEOUT_S, receipting_command


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
    monkeypatch.setattr(root_module, "discover_channels", lambda: [FakeChannel()])
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

    monkeypatch.setattr(root_module, "discover_channels", broken)
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "Warning: The channel in entry point broken could not be loaded." in result.output
    assert "ledger" in result.output


# --- help is only help ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", [(), ("worker",), ("db",), ("ledger", "verify"), ("demo",)], ids=" ".join
)
def test_help_prints_the_help_and_no_log_lines(path: tuple[str, ...], tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("RECEIPTING_")}
    done = subprocess.run(
        [*receipting_command(), *path, "--help"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Usage: receipting")
    assert done.stderr == ""
    assert " INFO " not in done.stdout and " WARNING " not in done.stdout
