"""Ledger benchmark: posting in the hot-account case against pgbench, and balance reads as the
journal grows.

Throughput. Every entry is a card payment that debits one card-clearing account and credits one
fund-income account (the payer's reference as sub-account key): the worst case for a ledger that
keeps a running-balance row, since every writer would queue on the same two rows. Writers are
separate processes (so the Python GIL is not what is measured), each with its own engine, posting
through `LedgerService.post` (one transaction per entry) for a fixed time. On PostgreSQL,
`pgbench -b tpcb-like` at scale 10 runs with the same client counts and duration against its own
database, each pgbench run next to ours, and our entries/s is reported as a ratio of its
transactions/s: the machine may be shared, so only ratios measured in the same run mean anything.

Balance reads. A journal is built through `ledger.journal.post_entry` (many entries per
transaction, the real write path with every trigger), spread over 365 effective dates, sealed with
`LedgerService.seal_all`, and `LedgerService.balance` is timed now and as at mid-year (median of
many calls) at a small and at a large journal size.

Every database is created for the run and dropped at the end. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from multiprocessing.context import SpawnContext
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine, make_url

import migrations
from ledger import AccountKind, EntryRequest, LedgerError, LedgerService, PostingLine, journal
from ledger.db import make_engine, make_session_factory
from ledger.tables import EntryRow

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

CLEARING = "1100-CARD-CLEARING"
FUND = "4100-FUND-INCOME"
SEAL_KEY = b"bench-only-seal-key-not-a-secret"
HOT_SOURCE = "bench-card"
WARMUP_SOURCE = "bench-warmup"

# The journal for balance reads covers one council financial year.
YEAR_START = date(2025, 4, 1)
DAYS = 365
MID_YEAR = YEAR_START + timedelta(days=DAYS // 2)

TARGET_PGBENCH_RATIO = 0.4  # PostgreSQL, 8 writers: entries/s >= 0.4 x pgbench tps
TARGET_SCALING = 2.5  # PostgreSQL: entries/s with 8 writers >= 2.5 x with 1
TARGET_READ_GROWTH = 2.0  # balance read at the large size <= 2 x at the small size

# How long the parent waits for spawned processes to start (import, connect) before giving up.
START_TIMEOUT_S = 120.0


# --- workloads ------------------------------------------------------------------------------


def card_payment(rng: random.Random, source: str = HOT_SOURCE) -> EntryRequest:
    """A card payment: debit card clearing, credit the fund against the payer's reference."""
    pence = rng.randint(100, 50_000)
    return EntryRequest(
        effective_date=YEAR_START,
        description="Card payment",
        source=source,
        lines=(
            PostingLine(CLEARING, pence),
            PostingLine(FUND, -pence, f"REF{rng.randrange(10**8):08d}"),
        ),
    )


def journal_amount(index: int) -> int:
    return 100 + (index * 7_919) % 49_900


def journal_date(index: int) -> date:
    return YEAR_START + timedelta(days=index % DAYS)


def journal_entry(index: int) -> EntryRequest:
    """Entry `index` of the balance-read journal (deterministic, so balances can be checked)."""
    pence = journal_amount(index)
    return EntryRequest(
        effective_date=journal_date(index),
        description=f"Card payment {index}",
        source="bench-journal",
        lines=(
            PostingLine(CLEARING, pence),
            PostingLine(FUND, -pence, f"REF{index % 100_000:08d}"),
        ),
    )


def expected_fund_balance(entries: int, as_at: date | None) -> int:
    return -sum(
        journal_amount(i) for i in range(entries) if as_at is None or journal_date(i) <= as_at
    )


# --- databases ------------------------------------------------------------------------------


class Databases:
    """Creates the run's databases (PostgreSQL via the admin URL, SQLite in a temp directory) and
    drops them all at the end."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self._admin: Engine | None = None
        self._pg_names: list[str] = []
        self._tmp = tempfile.TemporaryDirectory(prefix="bench-ledger-")

    def postgres(self, suffix: str = "") -> str:
        """A new, empty PostgreSQL database; returns its URL."""
        if self._admin is None:
            self._admin = make_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        name = f"bench_ledger_{os.getpid()}{suffix}"
        with self._admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        self._pg_names.append(name)
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def sqlite(self, name: str) -> str:
        return f"sqlite:///{Path(self._tmp.name) / f'{name}.sqlite3'}"

    def close(self) -> None:
        if self._admin is not None:
            with self._admin.connect() as conn:
                for name in reversed(self._pg_names):
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self._admin.dispose()
        self._tmp.cleanup()


def new_ledger(url: str) -> None:
    """Migrate an empty database and open the two hot accounts."""
    engine = make_engine(url)
    try:
        migrations.upgrade(engine)
        service = LedgerService(make_session_factory(engine), seal_key=SEAL_KEY)
        service.open_account(CLEARING, "Card clearing", AccountKind.ASSET)
        service.open_account(FUND, "Fund income", AccountKind.INCOME)
    finally:
        engine.dispose()


def count_entries(url: str, source: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).where(EntryRow.source == source)) or 0)
    finally:
        engine.dispose()


def backend_name(url: str) -> str:
    return make_url(url).get_backend_name()


# --- worker processes -------------------------------------------------------------------------


def backend_cpu_s(pid: int | None) -> float | None:
    """CPU time used so far by a local PostgreSQL backend process (None if not readable)."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _backend_pid(engine: Engine) -> int | None:
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        return int(conn.scalar(text("SELECT pg_backend_pid()")) or 0) or None


def _writer(url: str, duration_s: float, seed: int, barrier: Barrier, results: Any) -> None:
    """One writer process: warm up, wait for the others, post card payments until time is up."""
    try:
        engine = make_engine(url)
        service = LedgerService(make_session_factory(engine), seal_key=SEAL_KEY)
        rng = random.Random(seed)
        service.post(card_payment(rng, WARMUP_SOURCE))  # connect; fill statement caches
        # One writer, one pooled connection: this is the backend that serves every post.
        backend = _backend_pid(engine)
        barrier.wait(START_TIMEOUT_S)
        latencies: list[float] = []
        failed = 0
        server_cpu = backend_cpu_s(backend)
        client_cpu = time.process_time()
        start = time.monotonic()
        deadline = start + duration_s
        while (began := time.monotonic()) < deadline:
            try:
                service.post(card_payment(rng))
            except LedgerError:
                failed += 1
                continue
            latencies.append(time.monotonic() - began)
        elapsed = time.monotonic() - start
        client_cpu = time.process_time() - client_cpu
        server_after = backend_cpu_s(backend)
        engine.dispose()
        results.put(
            {
                "latencies": latencies,
                "failed": failed,
                "elapsed_s": elapsed,
                "client_cpu_s": client_cpu,
                "server_cpu_s": (
                    server_after - server_cpu
                    if server_after is not None and server_cpu is not None
                    else None
                ),
            }
        )
    except BaseException as exc:
        barrier.abort()
        results.put({"error": f"{type(exc).__name__}: {exc}"})
        raise


def _builder(url: str, first: int, stop: int, batch: int, results: Any) -> None:
    """Post journal entries [first, stop) through `journal.post_entry`, `batch` per transaction."""
    try:
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        now = datetime.now(UTC)
        for low in range(first, stop, batch):
            with sessions() as session, session.begin():
                for index in range(low, min(low + batch, stop)):
                    journal.post_entry(session, journal_entry(index), now=now)
        engine.dispose()
        results.put({"entries": stop - first})
    except BaseException as exc:
        results.put({"error": f"{type(exc).__name__}: {exc}"})
        raise


def _spawn() -> SpawnContext:
    return multiprocessing.get_context("spawn")


def _collect(results: Any, processes: Sequence[Any], timeout_s: float) -> list[dict[str, Any]]:
    outcomes = [results.get(timeout=timeout_s) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    errors = [outcome["error"] for outcome in outcomes if "error" in outcome]
    if errors:
        raise RuntimeError(f"a worker process failed: {errors[0]}")
    return outcomes


# --- throughput -------------------------------------------------------------------------------


@dataclass
class WriterRun:
    backend: str
    writers: int
    duration_s: float
    committed: int
    failed: int
    entries_per_s: float
    p50_ms: float
    p99_ms: float
    client_cpu_ms: float  # writer-process CPU per committed entry
    server_cpu_ms: float | None  # PostgreSQL backend CPU per committed entry (local server only)
    lock_wait_pct: float | None = None  # backends waiting on a row/transaction lock, % of samples
    client_wait_pct: float | None = None  # backends idle, waiting for the writer, % of samples
    pgbench_tps: float | None = None
    pgbench_lock_wait_pct: float | None = None
    ratio_to_pgbench: float | None = None


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))
    return sorted_values[index]


class WaitSampler:
    """Samples what a database's client backends are doing, ten times a second, in a thread.

    `lock_wait_pct`: share of samples in a heavyweight-lock wait (a row, tuple or transaction
    lock: writers queuing on a hot row). `client_wait_pct`: share idle or idle in transaction,
    i.e. the server waiting for the client to send the next statement.
    """

    INTERVAL_S = 0.1

    def __init__(self, admin_url: str, database: str) -> None:
        self._engine = make_engine(admin_url, isolation_level="AUTOCOMMIT", pool_size=1)
        self._database = database
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.samples = 0
        self.lock_waits = 0
        self.client_waits = 0

    def __enter__(self) -> WaitSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._engine.dispose()

    def _run(self) -> None:
        query = text(
            "SELECT coalesce(wait_event_type, ''), coalesce(state, '') FROM pg_stat_activity "
            "WHERE datname = :db AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )
        with self._engine.connect() as conn:
            while not self._stop.wait(self.INTERVAL_S):
                for wait_type, state in conn.execute(query, {"db": self._database}):
                    self.samples += 1
                    self.lock_waits += wait_type == "Lock"
                    self.client_waits += state.startswith("idle")

    def pct(self, count: int) -> float | None:
        return round(100 * count / self.samples, 1) if self.samples else None


@contextmanager
def sampling(admin_url: str | None, url: str) -> Iterator[WaitSampler | None]:
    if admin_url is None or backend_name(url) != "postgresql":
        yield None
        return
    database = make_url(url).database
    assert database is not None
    with WaitSampler(admin_url, database) as sampler:
        yield sampler


def run_writers(
    url: str, writers: int, duration_s: float, admin_url: str | None = None
) -> WriterRun:
    """`writers` processes post card payments for `duration_s`; committed entries are counted by
    the writers and checked against the database. With `admin_url` (PostgreSQL), the backends'
    wait events are sampled meanwhile."""
    before = count_entries(url, HOT_SOURCE)
    ctx = _spawn()
    barrier = ctx.Barrier(writers + 1)
    results = ctx.Queue()
    processes = [
        ctx.Process(target=_writer, args=(url, duration_s, 1_000 + n, barrier, results))
        for n in range(writers)
    ]
    for process in processes:
        process.start()
    # A writer that fails to start breaks the barrier; its error is collected below.
    with contextlib.suppress(threading.BrokenBarrierError):
        barrier.wait(START_TIMEOUT_S)
    with sampling(admin_url, url) as sampler:
        outcomes = _collect(results, processes, START_TIMEOUT_S + duration_s)
    latencies = sorted(lat for outcome in outcomes for lat in outcome["latencies"])
    committed = len(latencies)
    recorded = count_entries(url, HOT_SOURCE) - before
    if recorded != committed:
        raise RuntimeError(
            f"writers acknowledged {committed} entries but the database holds {recorded}"
        )
    elapsed = max(outcome["elapsed_s"] for outcome in outcomes)
    server_cpu = [outcome["server_cpu_s"] for outcome in outcomes]
    per_entry = 1000 / max(committed, 1)
    return WriterRun(
        backend=backend_name(url),
        writers=writers,
        duration_s=round(elapsed, 3),
        committed=committed,
        failed=sum(outcome["failed"] for outcome in outcomes),
        entries_per_s=round(committed / elapsed, 1),
        p50_ms=round(percentile(latencies, 0.50) * 1000, 3),
        p99_ms=round(percentile(latencies, 0.99) * 1000, 3),
        client_cpu_ms=round(sum(outcome["client_cpu_s"] for outcome in outcomes) * per_entry, 3),
        server_cpu_ms=(round(sum(server_cpu) * per_entry, 3) if None not in server_cpu else None),
        lock_wait_pct=sampler.pct(sampler.lock_waits) if sampler else None,
        client_wait_pct=sampler.pct(sampler.client_waits) if sampler else None,
    )


# --- pgbench ----------------------------------------------------------------------------------


def _pgbench_args(url: str) -> tuple[list[str], dict[str, str]]:
    parsed = make_url(url)
    args = []
    if parsed.host:
        args += ["-h", parsed.host]
    if parsed.port:
        args += ["-p", str(parsed.port)]
    if parsed.username:
        args += ["-U", parsed.username]
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    assert parsed.database
    return [*args, parsed.database], env


def pgbench_init(url: str, scale: int) -> None:
    args, env = _pgbench_args(url)
    subprocess.run(
        ["pgbench", "-i", "-q", "-s", str(scale), *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )


TPS_PATTERN = re.compile(r"^tps = ([0-9.]+)", re.MULTILINE)


def pgbench_tps(
    url: str, clients: int, duration_s: int, admin_url: str | None = None
) -> tuple[float, float | None]:
    """pgbench tpcb-like transactions/s, and the share of its backends' samples in lock waits."""
    args, env = _pgbench_args(url)
    threads = max(1, min(clients, os.cpu_count() or 1))
    command = ["pgbench", "-b", "tpcb-like", "-c", str(clients), "-j", str(threads)]
    with sampling(admin_url, url) as sampler:
        done = subprocess.run(
            [*command, "-T", str(duration_s), *args],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
    match = TPS_PATTERN.search(done.stdout)
    if match is None:
        raise RuntimeError(f"cannot read tps from pgbench output:\n{done.stdout}{done.stderr}")
    return float(match.group(1)), sampler.pct(sampler.lock_waits) if sampler else None


# --- balance reads ----------------------------------------------------------------------------


@dataclass
class BalanceReads:
    """Balance-read timings at one journal size. "as built": with whatever planner statistics
    the build left (none, if autovacuum is off); "maintained": after VACUUM ANALYZE (PostgreSQL)
    or ANALYZE (SQLite), the state autovacuum keeps a busy database in."""

    backend: str
    postings: int
    build_s: float  # time to post the entries added since the previous size
    build_entries_per_s: float
    seal_s: float  # time for seal_all over those entries
    now_ms: float  # median LedgerService.balance(FUND), as built
    as_at_ms: float  # median LedgerService.balance(FUND, as_at=mid-year), as built
    now_p90_ms: float
    as_at_p90_ms: float
    maintained_now_ms: float
    maintained_as_at_ms: float
    calls: int  # timed calls behind each median (fewer when a call is slow; see --read-budget-s)
    correct: bool


def build_journal(url: str, first: int, stop: int, workers: int, batch: int) -> float:
    """Post entries [first, stop) with `workers` processes; returns the wall time."""
    if stop <= first:
        return 0.0
    ctx = _spawn()
    results = ctx.Queue()
    chunk = -(-(stop - first) // workers)
    bounds = [(low, min(low + chunk, stop)) for low in range(first, stop, chunk)]
    started = time.monotonic()
    processes = [
        ctx.Process(target=_builder, args=(url, low, high, batch, results)) for low, high in bounds
    ]
    for process in processes:
        process.start()
    _collect(results, processes, timeout_s=24 * 3600)
    return time.monotonic() - started


def time_calls(call: Callable[[], int], calls: int, budget_s: float) -> tuple[float, float, int]:
    """Median and 90th percentile in ms of up to `calls` calls (at least 5, fewer if they take
    longer than `budget_s` in all), after a short warm-up; and how many calls were timed."""
    for _ in range(3):
        call()
    timings: list[float] = []
    deadline = time.monotonic() + budget_s
    while len(timings) < calls and (len(timings) < 5 or time.monotonic() < deadline):
        began = time.perf_counter()
        call()
        timings.append(time.perf_counter() - began)
    timings.sort()
    return statistics.median(timings) * 1000, percentile(timings, 0.9) * 1000, len(timings)


def maintain(engine: Engine) -> None:
    """What autovacuum does for a busy database: reclaim dead rows, refresh planner statistics."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE")


def autovacuum_setting(url: str) -> str | None:
    if backend_name(url) != "postgresql":
        return None
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return str(conn.exec_driver_sql("SHOW autovacuum").scalar())
    finally:
        engine.dispose()


def measure_balance_reads(
    url: str,
    sizes: Sequence[int],
    workers: int,
    batch: int,
    calls: int,
    budget_s: float,
    log: Callable[[str], None],
) -> list[BalanceReads]:
    """Build the journal up to each size in turn (it only grows), seal it, time balance reads."""
    new_ledger(url)
    engine = make_engine(url)
    service = LedgerService(make_session_factory(engine), seal_key=SEAL_KEY)
    readings = []
    built = 0
    backend = backend_name(url)

    def now() -> int:
        return service.balance(FUND)

    def as_at() -> int:
        return service.balance(FUND, as_at=MID_YEAR)

    try:
        for postings in sizes:
            entries = postings // 2
            log(f"  {backend}: building the journal up to {entries * 2:,} postings ...")
            build_s = build_journal(url, built, entries, workers, batch)
            added = entries - built
            built = entries
            log(f"    built {added:,} entries in {build_s:.0f} s; sealing ...")
            sealing_began = time.monotonic()
            service.seal_all()
            seal_s = time.monotonic() - sealing_began
            log(f"    sealed in {seal_s:.0f} s; timing balance reads ...")
            now_ms, now_p90, now_calls = time_calls(now, calls, budget_s)
            as_at_ms, as_at_p90, as_at_calls = time_calls(as_at, calls, budget_s)
            correct = now() == expected_fund_balance(entries, None) and as_at() == (
                expected_fund_balance(entries, MID_YEAR)
            )
            maintain(engine)
            maintained_now, _, _ = time_calls(now, calls, budget_s)
            maintained_as_at, _, _ = time_calls(as_at, calls, budget_s)
            readings.append(
                BalanceReads(
                    backend=backend,
                    postings=entries * 2,
                    build_s=round(build_s, 1),
                    build_entries_per_s=round(added / build_s, 1) if build_s else 0.0,
                    seal_s=round(seal_s, 1),
                    now_ms=round(now_ms, 3),
                    as_at_ms=round(as_at_ms, 3),
                    now_p90_ms=round(now_p90, 3),
                    as_at_p90_ms=round(as_at_p90, 3),
                    maintained_now_ms=round(maintained_now, 3),
                    maintained_as_at_ms=round(maintained_as_at, 3),
                    calls=min(now_calls, as_at_calls),
                    correct=correct,
                )
            )
    finally:
        engine.dispose()
    return readings


# --- report -----------------------------------------------------------------------------------


def cell(value: float | None, spec: str, width: int) -> str:
    return f"{'-' if value is None else format(value, spec):>{width}}"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def evaluate(
    runs: Sequence[WriterRun], pgbench: dict[int, float], reads: Sequence[BalanceReads]
) -> dict[str, Any]:
    """The figures the targets are about, each with its verdict (None when not measured)."""
    pg = {run.writers: run for run in runs if run.backend == "postgresql"}
    figures: dict[str, Any] = {}
    if 8 in pg and pg[8].ratio_to_pgbench is not None:
        ratio = pg[8].ratio_to_pgbench
        figures["pg_8_writers_vs_pgbench"] = {
            "value": ratio,
            "target": f">= {TARGET_PGBENCH_RATIO}",
            "pass": ratio >= TARGET_PGBENCH_RATIO,
        }
    if 1 in pg and 8 in pg:
        scaling = round(pg[8].entries_per_s / pg[1].entries_per_s, 2)
        figures["pg_scaling_8_over_1"] = {
            "value": scaling,
            "target": f">= {TARGET_SCALING}",
            "pass": scaling >= TARGET_SCALING,
        }
        if 1 in pgbench and 8 in pgbench:
            figures["pgbench_scaling_8_over_1"] = {"value": round(pgbench[8] / pgbench[1], 2)}
    for backend in sorted({reading.backend for reading in reads}):
        mine = sorted((r for r in reads if r.backend == backend), key=lambda r: r.postings)
        if len(mine) < 2:
            continue
        small, large = mine[0], mine[-1]
        for kind in ("now", "as_at", "maintained_now", "maintained_as_at"):
            growth = round(getattr(large, f"{kind}_ms") / getattr(small, f"{kind}_ms"), 2)
            name = f"{backend}_balance_{kind}_{large.postings}_over_{small.postings}"
            figures[name] = {
                "value": growth,
                "target": f"<= {TARGET_READ_GROWTH}",
                "pass": growth <= TARGET_READ_GROWTH,
            }
    return figures


def report(
    runs: Sequence[WriterRun],
    pgbench: dict[int, float],
    reads: Sequence[BalanceReads],
    figures: dict[str, Any],
    duration_s: int,
    autovacuum: str | None = None,
) -> str:
    lines: list[str] = []
    if runs:
        lines += [
            "",
            f"Hot-account posting: two-leg card payments, same 2 accounts, {duration_s} s per run",
            "(cpu: ms per entry in the writer / in its PostgreSQL backend; lock, idle: % of the "
            "backends' samples waiting on a row lock / on the client)",
            f"{'backend':<11}{'writers':>8}{'entries':>9}{'entries/s':>10}{'p50 ms':>8}"
            f"{'p99 ms':>8}{'cpu':>7}{'srv cpu':>8}{'lock%':>6}{'idle%':>6}"
            f"{'pgbench tps':>12}{'lock%':>6}{'ratio':>7}",
        ]
        for run in runs:
            lines.append(
                f"{run.backend:<11}{run.writers:>8}{run.committed:>9}{run.entries_per_s:>10.1f}"
                f"{run.p50_ms:>8.2f}{run.p99_ms:>8.2f}{run.client_cpu_ms:>7.2f}"
                f"{cell(run.server_cpu_ms, '.2f', 8)}{cell(run.lock_wait_pct, '.0f', 6)}"
                f"{cell(run.client_wait_pct, '.0f', 6)}{cell(run.pgbench_tps, '.1f', 12)}"
                f"{cell(run.pgbench_lock_wait_pct, '.0f', 6)}{cell(run.ratio_to_pgbench, '.2f', 7)}"
            )
        if any(run.failed for run in runs):
            lines.append(f"refused posts: {sum(run.failed for run in runs)} (should be 0)")
    if reads:
        lines += [
            "",
            "Balance reads: LedgerService.balance(fund) now / as at mid-year, median ms (p90)",
            "(as built: planner statistics as the build left them, autovacuum "
            f"{autovacuum or 'n/a'}; maintained: after VACUUM ANALYZE / SQLite ANALYZE)",
            f"{'backend':<11}{'postings':>11}{'build s':>9}{'entries/s':>10}{'seal s':>8}"
            f"{'now':>17}{'as-at':>17}{'maint. now':>11}{'maint. as-at':>13}{'calls':>6}"
            f"{'ok':>6}",
        ]
        for r in reads:
            lines.append(
                f"{r.backend:<11}{r.postings:>11,}{r.build_s:>9.1f}{r.build_entries_per_s:>10.1f}"
                f"{r.seal_s:>8.1f}{f'{r.now_ms:.2f} ({r.now_p90_ms:.2f})':>17}"
                f"{f'{r.as_at_ms:.2f} ({r.as_at_p90_ms:.2f})':>17}{r.maintained_now_ms:>11.2f}"
                f"{r.maintained_as_at_ms:>13.2f}{r.calls:>6}{r.correct!s:>6}"
            )
    if figures:
        lines += ["", "Targets"]
        for name, figure in figures.items():
            if "pass" in figure:
                lines.append(
                    f"  {name:<56} {figure['value']:>7.2f}  {figure['target']:<7} "
                    f"{verdict(figure['pass'])}"
                )
            else:
                lines.append(f"  {name:<56} {figure['value']:>7.2f}  (context)")
    return "\n".join(lines)


# --- command line -----------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ledger_post",
        description=(
            "Ledger benchmark: hot-account posting throughput (1/4/8 writer processes on "
            "PostgreSQL, 1 on SQLite) as a ratio of pgbench tpcb-like, and balance-read time at a "
            "small and a large journal. Creates and drops its own databases."
        ),
    )
    parser.add_argument(
        "--pg-url",
        default=DEFAULT_PG_URL,
        help="admin URL of a PostgreSQL server where databases may be created "
        f"(default: {DEFAULT_PG_URL})",
    )
    parser.add_argument(
        "--duration-s", type=int, default=10, help="seconds per throughput run (default: 10)"
    )
    parser.add_argument(
        "--writers",
        default="1,4,8",
        help="PostgreSQL writer/client counts, comma-separated (default: 1,4,8)",
    )
    parser.add_argument(
        "--pgbench-scale", type=int, default=10, help="pgbench scale factor (default: 10)"
    )
    parser.add_argument(
        "--small-postings", type=int, default=10_000, help="small journal size (default: 10000)"
    )
    parser.add_argument(
        "--large-postings",
        type=int,
        default=1_000_000,
        help="large journal size; lower it for a quick run (default: 1000000)",
    )
    parser.add_argument(
        "--build-workers",
        type=int,
        default=2,
        help="processes building the PostgreSQL journal (SQLite uses 1; default: 2)",
    )
    parser.add_argument(
        "--build-batch", type=int, default=2_000, help="entries per build transaction"
    )
    parser.add_argument(
        "--sqlite-large-postings",
        type=int,
        default=None,
        help="large journal size on SQLite (default: --large-postings)",
    )
    parser.add_argument(
        "--balance-calls", type=int, default=300, help="timed balance calls per figure"
    )
    parser.add_argument(
        "--read-budget-s",
        type=float,
        default=20.0,
        help="stop timing a figure after this many seconds (at least 5 calls; default: 20)",
    )
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL (and pgbench)")
    parser.add_argument("--no-sqlite", action="store_true", help="skip SQLite")
    parser.add_argument(
        "--no-throughput", action="store_true", help="skip the posting throughput runs"
    )
    parser.add_argument("--no-balance", action="store_true", help="skip the balance-read runs")
    parser.add_argument(
        "--no-sqlite-balance",
        action="store_true",
        help="skip balance reads on SQLite (its 1M build is single-writer and slow)",
    )
    parser.add_argument(
        "--json",
        nargs="?",
        const="-",
        metavar="FILE",
        help="also write every figure as JSON: to FILE, or after the table on stdout",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    args.writer_counts = [int(part) for part in args.writers.split(",") if part.strip()]
    if args.sqlite_large_postings is None:
        args.sqlite_large_postings = args.large_postings
    if args.small_postings >= min(args.large_postings, args.sqlite_large_postings):
        parser.error("--small-postings must be below the large sizes")
    return args


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def timed(label: str) -> Iterator[None]:
    began = time.monotonic()
    yield
    log(f"  {label}: {time.monotonic() - began:.1f} s")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    use_pg = not args.no_postgres
    if use_pg and not args.no_throughput and shutil.which("pgbench") is None:
        log("pgbench is not on PATH (Debian: apt-get install postgresql-client)")
        return 2
    databases = Databases(args.pg_url)
    runs: list[WriterRun] = []
    pgbench: dict[int, float] = {}
    reads: list[BalanceReads] = []
    autovacuum: str | None = None
    started = time.monotonic()
    try:
        if not args.no_throughput:
            if use_pg:
                ledger_url = databases.postgres()
                new_ledger(ledger_url)
                pgbench_url = databases.postgres("_pgbench")
                with timed(f"pgbench -i -s {args.pgbench_scale}"):
                    pgbench_init(pgbench_url, args.pgbench_scale)
                for writers in args.writer_counts:
                    log(f"PostgreSQL, {writers} client(s): pgbench, then the ledger ...")
                    tps, pgbench_locks = pgbench_tps(
                        pgbench_url, writers, args.duration_s, args.pg_url
                    )
                    pgbench[writers] = tps
                    run = run_writers(ledger_url, writers, args.duration_s, args.pg_url)
                    run.pgbench_tps = tps
                    run.pgbench_lock_wait_pct = pgbench_locks
                    run.ratio_to_pgbench = round(run.entries_per_s / tps, 3)
                    runs.append(run)
            if not args.no_sqlite:
                log("SQLite, 1 writer ...")
                sqlite_url = databases.sqlite("throughput")
                new_ledger(sqlite_url)
                runs.append(run_writers(sqlite_url, 1, args.duration_s))
        if not args.no_balance:
            if use_pg:
                log("Balance reads, PostgreSQL ...")
                reads_url = databases.postgres("_reads")
                autovacuum = autovacuum_setting(reads_url)
                reads += measure_balance_reads(
                    reads_url,
                    [args.small_postings, args.large_postings],
                    args.build_workers,
                    args.build_batch,
                    args.balance_calls,
                    args.read_budget_s,
                    log,
                )
            if not args.no_sqlite and not args.no_sqlite_balance:
                log("Balance reads, SQLite ...")
                reads += measure_balance_reads(
                    databases.sqlite("reads"),
                    [args.small_postings, args.sqlite_large_postings],
                    1,
                    args.build_batch,
                    args.balance_calls,
                    args.read_budget_s,
                    log,
                )
    finally:
        databases.close()

    figures = evaluate(runs, pgbench, reads)
    print(f"Ledger benchmark, {os.cpu_count()} CPUs, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(report(runs, pgbench, reads, figures, args.duration_s, autovacuum))
    print(f"\nTotal wall time: {time.monotonic() - started:.0f} s")
    if args.json:
        blob = json.dumps(
            {
                "settings": {
                    "duration_s": args.duration_s,
                    "writers": args.writer_counts,
                    "pgbench_scale": args.pgbench_scale,
                    "small_postings": args.small_postings,
                    "large_postings": args.large_postings,
                    "sqlite_large_postings": args.sqlite_large_postings,
                    "build_workers": args.build_workers,
                    "balance_calls": args.balance_calls,
                    "read_budget_s": args.read_budget_s,
                    "cpus": os.cpu_count(),
                    "autovacuum": autovacuum,
                },
                "throughput": [asdict(run) for run in runs],
                "pgbench_tps": pgbench,
                "balance_reads": [asdict(r) for r in reads],
                "targets": figures,
            },
            indent=2,
        )
        if args.json == "-":
            print(blob)
        else:
            Path(args.json).write_text(blob + "\n", encoding="utf-8")
    missed = [name for name, figure in figures.items() if figure.get("pass") is False]
    wrong = [r for r in reads if not r.correct]
    if wrong:
        log("a balance read returned the wrong amount")
        return 1
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
