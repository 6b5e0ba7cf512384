"""`receipting db ...`: create, migrate and inspect the database schema."""

from __future__ import annotations

import click

import migrations
from receipting.cli.context import (
    check_supported_database,
    engine_for,
    head_revision,
    load_settings,
    shown_url,
)


@click.group()
def db() -> None:
    """Create and migrate the database schema (RECEIPTING_DATABASE_URL)."""


@db.command("upgrade")
@click.option(
    "--to", "revision", default="head", show_default=True, help="Schema revision to upgrade to."
)
def db_upgrade(revision: str) -> None:
    """Migrate the database up to the latest schema (creating it if it is empty)."""
    settings = load_settings()
    with engine_for(settings.database_url) as engine:
        before = migrations.current_revision(engine)
        migrations.upgrade(engine, revision)
        after = migrations.current_revision(engine)
    where = shown_url(settings.database_url)
    if before == after:
        click.echo(f"{where}: already at schema revision {after}; nothing to do.")
    else:
        click.echo(f"{where}: upgraded from {before or 'an empty database'} to revision {after}.")


@db.command("downgrade")
@click.option(
    "--to", "revision", required=True, help="Schema revision to go down to ('base' for none)."
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def db_downgrade(revision: str, yes: bool) -> None:
    """Migrate the database down. Dropped tables take their rows, ledger included, with them."""
    settings = load_settings()
    check_supported_database(settings.database_url)
    where = shown_url(settings.database_url)
    if not yes:
        click.confirm(
            f"Downgrade {where} to {revision}? Tables that the undone migrations created are "
            "dropped with everything in them",
            abort=True,
        )
    with engine_for(settings.database_url) as engine:
        migrations.downgrade(engine, revision)
        after = migrations.current_revision(engine)
    click.echo(f"{where}: now at schema revision {after or 'base (no schema)'}.")


@db.command("current")
def db_current() -> None:
    """Show the database's schema revision and the latest one this version knows."""
    settings = load_settings()
    with engine_for(settings.database_url) as engine:
        current, head = migrations.current_revision(engine), head_revision(engine)
    state = "up to date" if current == head else "needs `receipting db upgrade`"
    click.echo(
        f"{shown_url(settings.database_url)}: revision {current or 'none (empty)'}; "
        f"latest {head}; {state}."
    )
