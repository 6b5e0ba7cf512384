"""Engines for the ledger's two databases, configured so the guards in the schema hold.

SQLite: foreign keys on (the deferred posting→entry key depends on it), WAL so readers do not block
the writer, and `BEGIN IMMEDIATE` so a transaction takes the write lock up front instead of failing
half-way when two writers meet. PostgreSQL: psycopg 3, READ COMMITTED (the guards and the period
lock rely on each statement seeing what committed before it).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

# How long a SQLite writer waits for the database lock before giving up. Long enough to ride out
# a burst of writers in the embedded setup; a wait this long means something is stuck.
SQLITE_BUSY_TIMEOUT_S = 30

# How long to wait for a PostgreSQL connection before reporting the database unreachable, so a
# health check against a vanished host answers instead of hanging until TCP gives up.
POSTGRES_CONNECT_TIMEOUT_S = 5


def normalise_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and use the psycopg 3 driver for them."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        return _sqlite_engine(url, **kwargs)
    kwargs.setdefault("pool_pre_ping", True)
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("connect_timeout", POSTGRES_CONNECT_TIMEOUT_S)
    return create_engine(url, connect_args=connect_args, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit off: services return plain values built inside the transaction.
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


def is_postgresql(session_or_engine: Session | Engine) -> bool:
    bind = (
        session_or_engine.get_bind()
        if isinstance(session_or_engine, Session)
        else (session_or_engine)
    )
    return bind.dialect.name == "postgresql"


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_S)
    connect_args.setdefault("check_same_thread", False)
    engine = create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see the begin hook).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_S * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
