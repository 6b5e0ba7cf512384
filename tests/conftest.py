"""Fixtures shared by every test.

`db_url` runs a test once on SQLite and once on PostgreSQL, each time on a fresh migrated
database. `pg_url` is for tests that only make sense on PostgreSQL (concurrency).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from ledger.db import make_engine, make_session_factory
from ledger.service import LedgerService
from tests.support.databases import DatabaseFactory, database_factory

DATABASE_KINDS = ("sqlite", "postgresql")
TEST_SEAL_KEY = b"test-seal-key-0123456789abcdef-0123456789"


@pytest.fixture(scope="session")
def sqlite_databases() -> Iterator[DatabaseFactory | str]:
    with database_factory("sqlite") as factory:
        yield factory


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[DatabaseFactory | str]:
    with database_factory("postgresql") as factory:
        yield factory


def _factory(request: pytest.FixtureRequest, kind: str) -> DatabaseFactory:
    factory = request.getfixturevalue(
        "sqlite_databases" if kind == "sqlite" else "postgres_databases"
    )
    if isinstance(factory, str):
        pytest.skip(factory)
    assert isinstance(factory, DatabaseFactory)
    return factory


@pytest.fixture(params=DATABASE_KINDS)
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def databases(request: pytest.FixtureRequest, db_kind: str) -> DatabaseFactory:
    return _factory(request, db_kind)


@pytest.fixture
def db_url(databases: DatabaseFactory) -> Iterator[str]:
    url = databases.url()
    yield url
    databases.drop(url)


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    factory = _factory(request, "postgresql")
    url = factory.url()
    yield url
    factory.drop(url)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def ledger_service(session_factory: sessionmaker[Session]) -> LedgerService:
    return LedgerService(session_factory, seal_key=TEST_SEAL_KEY)


# --- a count of results per database, printed at the end of the run ---------------------------

_results: Counter[tuple[str, str]] = Counter()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Recorded on the item so the report carries it, also from xdist worker processes.
    for item in items:
        callspec = getattr(item, "callspec", None)
        fixtures = getattr(item, "fixturenames", ())
        if callspec is not None and "db_kind" in callspec.params:
            item.user_properties.append(("db_kind", str(callspec.params["db_kind"])))
        elif "pg_url" in fixtures:
            item.user_properties.append(("db_kind", "postgresql"))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        kind = dict(report.user_properties).get("db_kind", "no database")
        _results[(str(kind), report.outcome)] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _results:
        return
    terminalreporter.section("results per database")
    for kind in (*DATABASE_KINDS, "no database"):
        counts = {outcome: n for (k, outcome), n in _results.items() if k == kind}
        if counts:
            summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
            terminalreporter.write_line(f"{kind}: {summary}")
