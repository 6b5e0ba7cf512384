"""`receipting worker`: the background jobs, in passes, until stopped.

Its help lists the jobs this installation really runs: they are built (which opens no
connection) from the settings, or from the defaults when the settings are unusable, and the
list is made from their own names and descriptions.
"""

from __future__ import annotations

import logging
import textwrap
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import click

from receipting import worker as background
from receipting.cli.context import (
    configure_json_logging,
    engine_for,
    load_settings,
    migrated_engine,
)
from receipting.errors import ConfigurationError
from receipting.jobs import Job
from receipting.settings import Settings

# Click's own help is 80 columns wide; the job list keeps within it.
HELP_WIDTH = 78

WORKER_HELP = "Run background jobs until stopped with Ctrl-C or SIGTERM. Each pass runs:"


@contextmanager
def _logging_muted() -> Iterator[None]:
    """Building jobs may say things meant for a worker that starts; help is not that."""
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        yield
    finally:
        logging.disable(previous)


def jobs_for_help() -> list[Job]:
    try:
        settings = Settings.from_env()
    except ConfigurationError:
        settings = Settings()
    with _logging_muted(), engine_for(settings.database_url) as engine:
        return background.installed_jobs(settings, engine)


def help_text(jobs: Sequence[Job]) -> str:
    # "\b" keeps click from running the list together into one paragraph.
    lines = [
        textwrap.fill(
            f"{job.name}: {job.description or 'no description'}",
            width=HELP_WIDTH,
            initial_indent="  ",
            subsequent_indent="      ",
        )
        for job in jobs
    ]
    return "\n\n".join((WORKER_HELP, "\b\n" + "\n".join(lines)))


class WorkerCommand(click.Command):
    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self.help = help_text(jobs_for_help())
        super().format_help_text(ctx, formatter)


@click.command(cls=WorkerCommand, short_help="Run background jobs until stopped.")
@click.option(
    "--interval-s",
    type=click.FloatRange(min=0, min_open=True),
    default=background.DEFAULT_WORKER_INTERVAL_S,
    show_default=True,
    help="Seconds to wait between passes.",
)
@click.option("--once", is_flag=True, help="Do one pass and exit.")
def worker(interval_s: float, once: bool) -> None:
    settings = load_settings()
    if not once:
        configure_json_logging(settings)
    settings.warn_about_defaults()
    with migrated_engine(settings) as engine:
        jobs = background.installed_jobs(settings, engine)
        if once:
            for job in jobs:
                click.echo(f"{job.name}: {job.run()} done")
            return
        stop = background.stop_on_signals()
        click.echo(
            f"Worker started: running {', '.join(job.name for job in jobs)} every "
            f"{interval_s:g} s. Stop with Ctrl-C or SIGTERM."
        )
        background.run_worker(jobs, interval_s=interval_s, stop=stop)
        click.echo("Worker stopped.")
