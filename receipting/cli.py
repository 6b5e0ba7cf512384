"""The `receipting` command line: the database, the server, the worker, the ledger and the demo.

Settings come from the environment (see `receipting.settings`), read when a command runs, so
`--help` works anywhere. A refusal the user can act on (a bad setting, an unreachable or
unmigrated database, a ledger error) is printed as one plain message with exit status 2; a
ledger that fails verification exits with status 1; tracebacks are kept for real bugs.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import click
from alembic.script import ScriptDirectory
from alembic.util import CommandError as AlembicCommandError
from sqlalchemy import func, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError

import migrations
from ledger import LedgerError, LedgerService, TrialBalance
from ledger.db import make_engine, make_session_factory
from ledger.sealing import SEAL_BATCH_SIZE
from ledger.tables import SealQueueRow, SealRow
from receipting import demo as demo_data
from receipting import logs
from receipting import serve as server
from receipting.auth import cli as api_keys_cli
from receipting.auth.keys import issue_key
from receipting.auth.scopes import Scope
from receipting.channels import Channel, cli_commands_of, load_channels
from receipting.council import cli as council_cli
from receipting.errors import ConfigurationError, ReceiptingError
from receipting.settings import Settings
from receipting.webhooks import cli as webhooks_cli
from receipting.wiring import build_dependencies
from receipting.worker import DEFAULT_WORKER_INTERVAL_S, run_worker, standard_jobs, stop_on_signals

# Exit statuses: 1 when the command ran and found the ledger at fault (like `diff` or `grep`),
# 2 when it could not do what was asked (click uses 2 for usage errors too).
EXIT_PROBLEM_FOUND = 1
EXIT_USER_ERROR = 2


# The demo's database lives in the working directory, where a fresh clone runs it.
DEMO_DATABASE_PATH = Path("var") / "demo.sqlite3"

DEMO_PAGES = ("/healthz", "/openapi.json", "/v1/ledger/trial-balance")
# What a newcomer needs to pay the demo council's council tax at /pay in under a minute.
DEMO_CHECKOUT_PATH = "/pay"
DEMO_SUCCESS_CARD = "4444 3333 2222 1111"

TRIAL_BALANCE_FORMATS = ("table", "json", "csv")

log = logging.getLogger("receipting.cli")


class CommandFailed(click.ClickException):
    """A refusal the user can act on: printed as `Error: <message>`, no traceback."""

    exit_code = EXIT_USER_ERROR


class ReceiptingGroup(click.Group):
    """Turns the domain's refusals into plain messages, wherever in the command tree they arise."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (LedgerError, ReceiptingError) as exc:
            raise CommandFailed(exc.message) from exc
        except AlembicCommandError as exc:
            raise CommandFailed(
                f"The migration could not run: {exc}. `receipting db current` shows the "
                "database's revision and the latest one."
            ) from exc
        except ArgumentError as exc:
            raise CommandFailed(
                f"The database URL is not usable: {exc}. Set RECEIPTING_DATABASE_URL to a "
                "SQLAlchemy URL such as sqlite:///receipting.sqlite3 or "
                "postgresql://user@host:5432/receipting."
            ) from exc
        except OperationalError as exc:
            raise CommandFailed(
                f"Could not use the database: {exc.orig}. Check RECEIPTING_DATABASE_URL and that "
                "the database server is running and reachable."
            ) from exc


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


# --- money, formatted -----------------------------------------------------------------------


def format_pounds(pence: int, *, grouped: bool = True) -> str:
    """Pence as pounds with two decimals ("1,234.50"), by integer arithmetic only."""
    sign = "-" if pence < 0 else ""
    pounds, remainder = divmod(abs(pence), 100)
    whole = f"{pounds:,}" if grouped else str(pounds)
    return f"{sign}{whole}.{remainder:02d}"


def debit_credit(balance_pence: int) -> tuple[int, int]:
    """A signed balance as its (debit, credit) columns, both non-negative."""
    return (balance_pence, 0) if balance_pence > 0 else (0, -balance_pence)


# --- shared plumbing --------------------------------------------------------------------------


def load_settings() -> Settings:
    settings = Settings.from_env()
    logging.getLogger().setLevel(settings.log_level)
    return settings


def configure_json_logging(settings: Settings) -> None:
    """Long-running processes log JSON lines, for log shippers; one-off commands stay plain."""
    logs.configure_logging(settings.log_level)
    logging.getLogger("alembic").setLevel(logging.WARNING)


def shown_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


@contextmanager
def engine_for(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(migrations.alembic_config(engine)).get_current_head()


def require_migrated(engine: Engine, url: str) -> None:
    current, head = migrations.current_revision(engine), head_revision(engine)
    if current is None:
        raise ConfigurationError(
            f"The database at {shown_url(url)} has no schema yet. Run `receipting db upgrade` "
            "first."
        )
    if current != head:
        raise ConfigurationError(
            f"The database at {shown_url(url)} is at schema revision {current}, but this version "
            f"needs {head}. Run `receipting db upgrade`."
        )


@contextmanager
def ledger_for(settings: Settings) -> Iterator[LedgerService]:
    with engine_for(settings.database_url) as engine:
        require_migrated(engine, settings.database_url)
        yield LedgerService(make_session_factory(engine), seal_key=settings.seal_key)


def queued_for_sealing(service: LedgerService) -> int:
    with service.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(SealQueueRow)) or 0


def sealed_links(service: LedgerService) -> int:
    with service.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(SealRow)) or 0


# --- the commands -----------------------------------------------------------------------------


@click.group(cls=RootGroup, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Council payments and cash-receipting engine.

    Settings are read from the environment: RECEIPTING_DATABASE_URL, RECEIPTING_SEAL_KEY,
    RECEIPTING_DEVELOPMENT and RECEIPTING_LOG_LEVEL. Installed channels may add commands.
    """


@cli.group()
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


def validate_bind(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    try:
        server.parse_bind(value)
    except ConfigurationError as exc:
        raise click.BadParameter(exc.message) from exc
    return value


BIND_OPTION = click.option(
    "--bind",
    default=server.DEFAULT_BIND,
    show_default=True,
    callback=validate_bind,
    help="HOST:PORT to listen on.",
)


@cli.command()
@BIND_OPTION
@click.option(
    "--workers",
    type=click.IntRange(1, server.MAX_WORKERS),
    default=server.DEFAULT_WORKERS,
    show_default=True,
    help="Gunicorn worker processes.",
)
@click.option(
    "--access-log/--no-access-log",
    default=False,
    show_default=True,
    help="Add gunicorn's own JSON line per request (the application already logs every request "
    "with its id; this adds bytes sent and the client address).",
)
def serve(bind: str, workers: int, access_log: bool) -> None:
    """Serve the HTTP API with gunicorn until stopped (Ctrl-C or SIGTERM)."""
    settings = load_settings()
    with engine_for(settings.database_url) as engine:
        require_migrated(engine, settings.database_url)
    server.preflight(bind)
    configure_json_logging(settings)
    settings.warn_about_defaults()
    server.run(bind=bind, workers=workers, access_log=access_log, log_level=settings.log_level)


@cli.command()
@click.option(
    "--interval-s",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_WORKER_INTERVAL_S,
    show_default=True,
    help="Seconds to wait between passes.",
)
@click.option("--once", is_flag=True, help="Do one pass and exit.")
def worker(interval_s: float, once: bool) -> None:
    """Run background jobs (today: sealing the ledger) until stopped with Ctrl-C or SIGTERM."""
    settings = load_settings()
    if not once:
        configure_json_logging(settings)
    settings.warn_about_defaults()
    with engine_for(settings.database_url) as engine:
        require_migrated(engine, settings.database_url)
        jobs = standard_jobs(build_dependencies(settings, engine=engine))
        if once:
            for job in jobs:
                click.echo(f"{job.name}: {job.run()} done")
            return
        stop = stop_on_signals()
        click.echo(
            f"Worker started: running {', '.join(job.name for job in jobs)} every "
            f"{interval_s:g} s. Stop with Ctrl-C or SIGTERM."
        )
        run_worker(jobs, interval_s=interval_s, stop=stop)
        click.echo("Worker stopped.")


@cli.group()
def ledger() -> None:
    """Check, seal and report on the double-entry ledger."""


@ledger.command("verify")
def ledger_verify() -> None:
    """Recompute the seal chain and every invariant; exit 1 naming the first problem."""
    settings = load_settings()
    settings.warn_about_defaults()
    with ledger_for(settings) as service:
        report = service.verify()
    click.echo(
        f"Ledger: {report.entries} entries, {report.postings} postings, {report.seals} sealed, "
        f"{report.queued} queued for sealing."
    )
    if report.ok:
        click.echo("OK: the seal chain and every invariant verify.")
        return
    first, *others = report.problems
    click.echo(f"FAILED: {first}", err=True)
    for problem in others:
        click.echo(f"  also: {problem}", err=True)
    sys.exit(EXIT_PROBLEM_FOUND)


def parse_as_at(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD.") from None


@ledger.command("trial-balance")
@click.option(
    "--as-at",
    callback=parse_as_at,
    metavar="YYYY-MM-DD",
    help="Balances as at the end of this effective date (default: everything).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(TRIAL_BALANCE_FORMATS),
    default="table",
    show_default=True,
    help="table for people; json (pence) or csv (pounds) for other programs.",
)
def ledger_trial_balance(as_at: date | None, output_format: str) -> None:
    """Every account's balance in debit and credit columns; the columns always agree."""
    settings = load_settings()
    with ledger_for(settings) as service:
        balance = service.trial_balance(as_at)
    render = {"table": trial_balance_table, "json": trial_balance_json, "csv": trial_balance_csv}
    click.echo(render[output_format](balance), nl=False)


def trial_balance_table(balance: TrialBalance) -> str:
    heading = (
        f"Trial balance as at {balance.as_at.isoformat()}"
        if balance.as_at
        else "Trial balance (all entries)"
    )
    rows = []
    total_debit = total_credit = 0
    for line in balance.lines:
        debit, credit = debit_credit(line.balance_pence)
        total_debit += debit
        total_credit += credit
        rows.append(
            (
                line.account_code,
                line.name,
                line.kind.value,
                format_pounds(debit) if debit else "",
                format_pounds(credit) if credit else "",
            )
        )
    header = ("Code", "Account", "Kind", "Debit", "Credit")
    footer = ("", "Total", "", format_pounds(total_debit), format_pounds(total_credit))
    widths = [max(len(row[i]) for row in (header, footer, *rows)) for i in range(len(header))]

    def fmt(row: tuple[str, ...]) -> str:
        left = [cell.ljust(widths[i]) for i, cell in enumerate(row[:3])]
        right = [cell.rjust(widths[i + 3]) for i, cell in enumerate(row[3:])]
        return "  ".join(left + right).rstrip()

    rule = "  ".join("-" * width for width in widths)
    lines = [heading, "", fmt(header), rule, *(fmt(row) for row in rows), rule, fmt(footer)]
    if total_debit != total_credit:
        lines.append(
            f"OUT OF BALANCE by {format_pounds(total_debit - total_credit)}: "
            "run `receipting ledger verify`."
        )
    return "\n".join(lines) + "\n"


def trial_balance_json(balance: TrialBalance) -> str:
    lines = []
    total_debit = total_credit = 0
    for line in balance.lines:
        debit, credit = debit_credit(line.balance_pence)
        total_debit += debit
        total_credit += credit
        lines.append(
            {
                "account_code": line.account_code,
                "name": line.name,
                "kind": line.kind.value,
                "balance_pence": line.balance_pence,
                "debit_pence": debit,
                "credit_pence": credit,
            }
        )
    document = {
        "as_at": balance.as_at.isoformat() if balance.as_at else None,
        "currency": "GBP",
        "lines": lines,
        "total_debit_pence": total_debit,
        "total_credit_pence": total_credit,
        "total_pence": balance.total_pence,
    }
    return json.dumps(document, indent=2) + "\n"


def trial_balance_csv(balance: TrialBalance) -> str:
    # Pounds without thousands separators: spreadsheets read "1234.50" as a number.
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("account_code", "name", "kind", "debit", "credit"))
    for line in balance.lines:
        debit, credit = debit_credit(line.balance_pence)
        writer.writerow(
            (
                line.account_code,
                line.name,
                line.kind.value,
                format_pounds(debit, grouped=False) if debit else "",
                format_pounds(credit, grouped=False) if credit else "",
            )
        )
    return out.getvalue()


@ledger.command("seal")
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=SEAL_BATCH_SIZE,
    show_default=True,
    help="Entries sealed per transaction.",
)
def ledger_seal(batch_size: int) -> None:
    """Seal every entry waiting in the queue into the hash chain, now."""
    settings = load_settings()
    settings.warn_about_defaults()
    with ledger_for(settings) as service:
        waiting = queued_for_sealing(service)
        sealed = 0
        with click.progressbar(length=waiting, label="Sealing", file=sys.stderr) as progress:
            while batch := service.seal(batch_size):
                sealed += batch
                progress.update(batch)
        left = queued_for_sealing(service)
        links = sealed_links(service)
    click.echo(f"Sealed {sealed} entries; the chain has {links} links.")
    if left:
        click.echo(
            f"{left} entries are still queued: another sealer (a running worker) holds the "
            "chain and will seal them."
        )


@cli.command("demo")
@BIND_OPTION
@click.option(
    "--database",
    metavar="PATH|URL",
    help=f"SQLite file to create, or a database URL [default: {DEMO_DATABASE_PATH}]",
)
@click.option(
    "--serve/--no-serve",
    "serve_after",
    default=True,
    show_default=True,
    help="Serve the API once the demo data is in place.",
)
def demo(bind: str, database: str | None, serve_after: bool) -> None:
    """Set up a demo council ledger and serve it: the quickest way to see the engine work.

    Creates the database, migrates it, opens the chart of accounts of a fictional council,
    posts a week of its takings (again and again, harmlessly: each entry is posted once),
    seals them and serves the API in development mode. RECEIPTING_DATABASE_URL is ignored, so
    the demo never writes into a real ledger by accident.
    """
    settings = load_settings()
    if serve_after:
        server.preflight(bind)
    url = demo_database_url(database)
    click.echo(f"{demo_data.DEMO_COUNCIL_NAME}: demo ledger in {shown_url(url)}")
    with engine_for(url) as engine:
        migrations.upgrade(engine)
        service = LedgerService(make_session_factory(engine), seal_key=settings.seal_key)
        seeded = demo_data.seed_demo(service)
        sealed = service.seal_all()
        report = service.verify()
        balance = service.trial_balance()
        # Keys are shown once and stored only as hashes, so each run issues a fresh one.
        api_key = issue_key(
            make_session_factory(engine), name="demo", service="demo", scopes=list(Scope)
        )
    click.echo(
        f"Chart of accounts: {seeded.accounts} accounts ({seeded.accounts_opened} opened now). "
        f"Entries: {seeded.entries_posted} posted now, {seeded.entries_already_present} "
        f"already there. Sealed now: {sealed}."
    )
    if report.ok:
        click.echo(f"Verified: {report.entries} entries, {report.seals} sealed, chain intact.")
    else:
        click.echo(f"Verification FAILED: {report.problems[0]}", err=True)
    click.echo("")
    click.echo(trial_balance_table(balance), nl=False)
    if not serve_after:
        return
    base = server.browser_base_url(bind)
    # The server's workers build the app from the environment, so the demo's choices go there.
    os.environ["RECEIPTING_DATABASE_URL"] = url
    os.environ["RECEIPTING_DEVELOPMENT"] = "1"
    os.environ["RECEIPTING_SANDBOX_GATEWAY"] = "1"
    os.environ["RECEIPTING_PUBLIC_URL"] = base
    click.echo("")
    click.echo(f"Serving {demo_data.DEMO_COUNCIL_NAME} in development mode.")
    click.echo("")
    click.echo(f"Pay a bill as a resident would: {base}{DEMO_CHECKOUT_PATH}")
    click.echo(
        f"  council tax reference {demo_data.CTAX_REF_1}, any amount, test card "
        f"{DEMO_SUCCESS_CARD}, any future expiry, any 3-digit security code"
    )
    click.echo(f"  in Welsh: {base}{DEMO_CHECKOUT_PATH}?lang=cy")
    click.echo("")
    click.echo("The API and the ledger:")
    for page in DEMO_PAGES:
        click.echo(f"  {base}{page}")
    click.echo("")
    click.echo(f"API key for this demo (every scope, test mode): {api_key}")
    click.echo(f'  curl -H "Authorization: Bearer {api_key}" {base}/v1/ledger/trial-balance')
    click.echo("Stop with Ctrl-C.")
    click.echo("")
    server.run(
        bind=bind, workers=server.DEFAULT_WORKERS, access_log=False, log_level=settings.log_level
    )


def demo_database_url(database: str | None) -> str:
    """A URL as given, or a SQLite file (made absolute, its folder created)."""
    if database is not None and "://" in database:
        return database
    path = Path(database) if database is not None else DEMO_DATABASE_PATH
    path = path.expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


# --- entry point ------------------------------------------------------------------------------


def configure_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    # Alembic narrates every step at INFO; the commands say what the migrations did instead.
    logging.getLogger("alembic").setLevel(logging.WARNING)


# Each subsystem's own command group.
cli.add_command(council_cli.council)
cli.add_command(api_keys_cli.api_keys)
cli.add_command(webhooks_cli.webhooks)


def main() -> None:
    configure_logging()
    cli(prog_name="receipting")


if __name__ == "__main__":
    main()
