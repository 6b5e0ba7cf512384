"""`receipting serve`: the HTTP API and pages, served by gunicorn until stopped."""

from __future__ import annotations

import click

from receipting import serve as server
from receipting.cli.context import configure_json_logging, load_settings, migrated_engine
from receipting.cli.options import BIND_OPTION


@click.command()
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
    with migrated_engine(settings):
        pass
    server.preflight(bind)
    configure_json_logging(settings)
    # Said here, in gunicorn's master: the workers it forks inherit the record and stay quiet.
    settings.warn_about_defaults()
    server.run(bind=bind, workers=workers, access_log=access_log, log_level=settings.log_level)
