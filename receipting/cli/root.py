"""The `receipting` command: every command group, plus the commands installed channels offer.

Adding a command group is one line in `COMMANDS`. Each group lives in its own module beside this
one and shares only `receipting.cli.context` (settings, database, logging), `exits` (refusals as
exit statuses) and `output`, so nothing here is imported back by a command.
"""

from __future__ import annotations

import click

from receipting.channels import Channel, cli_commands_of, load_channels
from receipting.cli import api_keys, council, db, demo, ledger, serve, webhooks, worker
from receipting.cli.context import configure_logging
from receipting.cli.exits import ReceiptingGroup
from receipting.errors import ConfigurationError

COMMANDS: tuple[click.Command, ...] = (
    db.db,
    serve.serve,
    worker.worker,
    ledger.ledger,
    demo.demo,
    council.council,
    api_keys.api_keys,
    webhooks.webhooks,
)


class RootGroup(ReceiptingGroup):
    """The top-level group: the built-in commands plus those that installed channels offer."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(channel_commands(self)))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return super().get_command(ctx, cmd_name) or channel_commands(self).get(cmd_name)


def discover_channels() -> list[Channel]:
    return load_channels()


def channel_commands(root: click.Group) -> dict[str, click.Command]:
    """Commands from installed channels, found afresh on each call (it is cheap, and a stale
    cache would hide a channel installed since). A channel that fails to load is named on
    standard error rather than taking every built-in command down with it."""
    try:
        channels = discover_channels()
    except ConfigurationError as exc:
        click.echo(f"Warning: {exc.message}", err=True)
        return {}
    found: dict[str, click.Command] = {}
    for channel in channels:
        for command in cli_commands_of(channel):
            name = command.name or ""
            if name in root.commands or name in found:
                click.echo(
                    f"Warning: channel {channel.name!r} offers a command {name!r}, but that name "
                    "is taken; the command is left out. Rename it in the channel.",
                    err=True,
                )
                continue
            found[name] = command
    return found


@click.group(cls=RootGroup, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Council payments and cash-receipting engine.

    Settings are read from the environment: RECEIPTING_DATABASE_URL, RECEIPTING_SEAL_KEY,
    RECEIPTING_DEVELOPMENT and RECEIPTING_LOG_LEVEL. Installed channels may add commands.
    """


for _command in COMMANDS:
    cli.add_command(_command)


def main() -> None:
    configure_logging()
    cli(prog_name="receipting")
