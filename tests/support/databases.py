"""Fresh, migrated databases for tests: a SQLite file or a PostgreSQL database per test.

Each kind is migrated once per run into a template; every test then gets its own copy (a file copy
for SQLite, `CREATE DATABASE ... TEMPLATE` for PostgreSQL), so tests never share ledger rows, which
cannot be deleted.

PostgreSQL is found at RECEIPTING_TEST_POSTGRES_URL (default: user postgres on 127.0.0.1:5432).
If it cannot be reached the PostgreSQL tests skip, saying what to install, unless
RECEIPTING_REQUIRE_POSTGRES=1 (as in CI), when they fail instead.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError

import migrations
from ledger.db import make_engine

DEFAULT_POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

POSTGRES_MISSING = (
    "PostgreSQL is not reachable at {url} ({error}). Install and start PostgreSQL 14+ with trust "
    "authentication for user postgres on 127.0.0.1:5432 (Debian: apt-get install postgresql), or "
    "point RECEIPTING_TEST_POSTGRES_URL at a server where you may create databases."
)


def postgres_admin_url() -> str:
    return os.environ.get("RECEIPTING_TEST_POSTGRES_URL", DEFAULT_POSTGRES_ADMIN_URL)


def postgres_required() -> bool:
    return os.environ.get("RECEIPTING_REQUIRE_POSTGRES", "") == "1"


class DatabaseFactory:
    """Makes fresh migrated databases of one kind; `url()` gives a new one each call."""

    def __init__(self, kind: str, workdir: Path) -> None:
        self.kind = kind
        self._workdir = workdir
        self._counter = itertools.count(1)
        self._prefix = f"rcpt_test_{os.getpid()}"
        self._created: list[str] = []
        self._template: str | None = None
        self._admin: Engine | None = None

    def start(self) -> None:
        if self.kind == "sqlite":
            template = self._workdir / "template.sqlite3"
            engine = make_engine(f"sqlite:///{template}")
            migrations.upgrade(engine)
            engine.dispose()
            self._template = str(template)
            return
        self._admin = make_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")
        self._drop_leftovers_of_dead_runs()
        name = f"{self._prefix}_template"
        self._create_pg(name, template=None)
        engine = make_engine(self._pg_url(name))
        migrations.upgrade(engine)
        engine.dispose()
        self._template = name

    def url(self) -> str:
        """A new, migrated, empty database."""
        assert self._template is not None
        n = next(self._counter)
        if self.kind == "sqlite":
            path = self._workdir / f"db{n}.sqlite3"
            shutil.copyfile(self._template, path)
            return f"sqlite:///{path}"
        name = f"{self._prefix}_{n}"
        self._create_pg(name, template=self._template)
        return self._pg_url(name)

    def empty_url(self) -> str:
        """A new database with no schema at all (for migration tests)."""
        n = next(self._counter)
        if self.kind == "sqlite":
            return f"sqlite:///{self._workdir / f'empty{n}.sqlite3'}"
        name = f"{self._prefix}_empty{n}"
        self._create_pg(name, template=None)
        return self._pg_url(name)

    def drop(self, url: str) -> None:
        if self.kind != "postgresql" or self._admin is None:
            return
        name = make_url(url).database
        with self._admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        if self._admin is not None:
            with self._admin.connect() as conn:
                for name in reversed(self._created):
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self._admin.dispose()

    def _drop_leftovers_of_dead_runs(self) -> None:
        """A run that was killed cannot drop its databases; the next run does, by process id."""
        assert self._admin is not None
        with self._admin.connect() as conn:
            names = conn.exec_driver_sql(
                "SELECT datname FROM pg_database WHERE starts_with(datname, 'rcpt_test_')"
            ).scalars()
            for name in list(names):
                pid = name.split("_")[2]
                if pid.isdigit() and not _process_alive(int(pid)):
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _create_pg(self, name: str, template: str | None) -> None:
        assert self._admin is not None
        with self._admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            suffix = f' TEMPLATE "{template}"' if template else ""
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"{suffix}')
        self._created.append(name)

    def _pg_url(self, name: str) -> str:
        return (
            make_url(postgres_admin_url()).set(database=name).render_as_string(hide_password=False)
        )


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def database_factory(kind: str) -> Iterator[DatabaseFactory | str]:
    """Yields a started factory, or a skip reason when PostgreSQL is unavailable."""
    with tempfile.TemporaryDirectory(prefix=f"rcpt-{kind}-") as workdir:
        factory = DatabaseFactory(kind, Path(workdir))
        try:
            factory.start()
        except OperationalError as exc:
            reason = POSTGRES_MISSING.format(url=postgres_admin_url(), error=exc.orig)
            if postgres_required():
                pytest.fail(reason, pytrace=False)
            yield reason
            return
        try:
            yield factory
        finally:
            factory.close()
