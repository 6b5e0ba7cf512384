"""`receipting demo`: a demo council's ledger, made and served in one command."""

from __future__ import annotations

import os
from pathlib import Path

import click

import migrations
from ledger import LedgerService
from ledger.db import make_session_factory
from receipting import demo as demo_data
from receipting import serve as server
from receipting.auth.keys import issue_key
from receipting.auth.scopes import Scope
from receipting.cli.context import engine_for, load_settings, shown_url
from receipting.cli.ledger import trial_balance_table
from receipting.cli.options import BIND_OPTION

# The demo's database lives in the working directory, where a fresh clone runs it.
DEMO_DATABASE_PATH = Path("var") / "demo.sqlite3"

DEMO_PAGES = ("/healthz", "/openapi.json", "/v1/ledger/trial-balance")
# What a newcomer needs to pay the demo council's council tax at /pay in under a minute.
DEMO_CHECKOUT_PATH = "/pay"
DEMO_SUCCESS_CARD = "4444 3333 2222 1111"


@click.command("demo")
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
    settings = load_settings(uses_database_url=False)
    if serve_after:
        server.preflight(bind)
    url = demo_database_url(database)
    click.echo(f"{demo_data.DEMO_COUNCIL_NAME}: demo ledger in {shown_url(url)}")
    with engine_for(url, named_by="--database") as engine:
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
