"""What every command shares: the settings, logging, and the database they open.

Settings come from the environment (see `receipting.settings`), read when a command runs, so
`--help` works anywhere and prints nothing but the help. Each command module imports this one
and nothing of the others', so the command line has no import loops.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

import migrations
from ledger import LedgerService
from ledger.db import make_engine, make_session_factory
from receipting import logs
from receipting.cli.exits import SUPPORTED_DATABASES
from receipting.errors import ConfigurationError
from receipting.settings import Settings

DATABASE_URL_SETTING = "RECEIPTING_DATABASE_URL"

# The databases the engine's schema, guards and tests cover, with the drivers it ships.
SUPPORTED_BACKENDS = {"sqlite": {"pysqlite"}, "postgresql": {"psycopg"}}

# Until a command has read its settings, only warnings and errors are worth a person's eye:
# `receipting --help` prints the help and nothing else.
QUIET_LEVEL = logging.WARNING

log = logging.getLogger("receipting.cli")


def configure_logging() -> None:
    """Plain lines on standard error for one-off commands; long-running ones switch to JSON."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(QUIET_LEVEL)
    # Alembic narrates every step at INFO; the commands say what the migrations did instead.
    logging.getLogger("alembic").setLevel(logging.WARNING)


def load_settings(*, uses_database_url: bool = True) -> Settings:
    """The settings, checked before anything is said or opened: a database the engine does not
    run on is refused here, in one line, before any warning about the settings' other values."""
    settings = Settings.from_env()
    logging.getLogger().setLevel(settings.log_level)
    if uses_database_url:
        check_supported_database(settings.database_url)
    return settings


def configure_json_logging(settings: Settings) -> None:
    """Long-running processes log JSON lines, for log shippers; one-off commands stay plain."""
    logs.configure_logging(settings.log_level)
    logging.getLogger("alembic").setLevel(logging.WARNING)


def shown_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def check_supported_database(url: str, *, named_by: str = DATABASE_URL_SETTING) -> None:
    """Refuse, in one line, a URL for a database the engine does not run on (MySQL, Oracle...),
    rather than letting SQLAlchemy fail looking for a driver that was never installed."""
    parsed = make_url(url)
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    drivers = SUPPORTED_BACKENDS.get("postgresql" if backend == "postgres" else backend)
    if drivers is None or ("+" in parsed.drivername and driver not in drivers):
        raise ConfigurationError(
            f"{named_by} names a {parsed.drivername} database; this engine runs on "
            f"{SUPPORTED_DATABASES}."
        )


@contextmanager
def engine_for(url: str, *, named_by: str = DATABASE_URL_SETTING) -> Iterator[Engine]:
    check_supported_database(url, named_by=named_by)
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
def migrated_engine(settings: Settings) -> Iterator[Engine]:
    """The settings' database, refused in words unless it is at the latest schema."""
    with engine_for(settings.database_url) as engine:
        require_migrated(engine, settings.database_url)
        yield engine


@contextmanager
def migrated_sessions() -> Iterator[sessionmaker[Session]]:
    """Sessions on the configured database, for commands that only read and write rows."""
    with migrated_engine(load_settings()) as engine:
        yield make_session_factory(engine)


@contextmanager
def ledger_for(settings: Settings) -> Iterator[LedgerService]:
    with migrated_engine(settings) as engine:
        yield LedgerService(make_session_factory(engine), seal_key=settings.seal_key)
