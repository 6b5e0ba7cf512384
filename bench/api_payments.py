"""Payments API benchmark: the whole card-payment flow through a real gunicorn on PostgreSQL.

Each client runs, over and over for a fixed time, what a council system and its payer do:

1. `create`: POST /v1/payments (fund and account reference in `metadata`, a valid demo council
   tax reference);
2. `page`: GET the sandbox gateway's hosted card page (the payer's browser);
3. `submit`: POST the card form with the success card 4444333322221111 (answered 303 back to the
   service);
4. `get`: GET /v1/payments/{id}, which must now say `success`: only then is the payment counted.

Clients are threads, each with its own connections (gunicorn's sync workers close the connection
after every answer); the server is gunicorn with `--workers` (2) sync workers on 127.0.0.1, so
the server, not the client's GIL, is what is measured. Before each of our runs, `pgbench -b
tpcb-like` (scale 10, its own database) runs with the same client count and duration: the machine
may be shared, so only the ratio to pgbench measured in the same run means anything.

Every database is created for the run (via the admin URL) and dropped at the end:
`bench_api_<pid>_engine` and `bench_api_<pid>_pgbench`. Exits 1 if any flow failed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from sqlalchemy.engine import Engine, make_url

import migrations
import receipting.council
from bench.ledger_post import percentile, pgbench_init, pgbench_tps
from ledger.db import make_engine, make_session_factory
from receipting.auth.keys import issue_key
from receipting.auth.scopes import Scope
from receipting.council.service import check_reference, load_council_config
from tests.e2e.test_gunicorn_serves_app import (
    GUNICORN_CONFIG,
    REPO_ROOT,
    Server,
    free_port,
    wait_until_healthy,
)

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

DEMO_COUNCIL = Path(receipting.council.__file__).parent / "demo_council.toml"
SEAL_KEY = "bench-only-seal-key-not-a-secret-0123456789"
SERVICE = "bench"
RETURN_URL = "https://www.example-council.test/paid"
SUCCESS_CARD = "4444333322221111"
# A council tax account number body; the check digit is found by asking the demo council's rule.
CTAX_BODY = "77123456"

REQUEST_KINDS = ("create", "page", "submit", "get")

# The API's default limit (600 requests a minute per key) protects a council from a runaway
# client; every benchmark client shares one key and would be refused (429) within seconds.
RATE_LIMIT_PER_MINUTE = 100_000_000

# One request to a local server; a slower answer means something is stuck, not slow.
REQUEST_TIMEOUT_S = 30.0

# gunicorn's workers, as in the end-to-end tests: enough to show the server is not one process.
DEFAULT_GUNICORN_WORKERS = 2

_FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


# --- databases --------------------------------------------------------------------------------


class Databases:
    """The run's PostgreSQL databases, created through the admin URL and dropped at the end."""

    def __init__(self, admin_url: str, prefix: str = "bench_api") -> None:
        self.admin_url = admin_url
        self._prefix = prefix
        self._admin: Engine = make_engine(admin_url, isolation_level="AUTOCOMMIT")
        self._names: list[str] = []

    def create(self, suffix: str) -> str:
        name = f"{self._prefix}_{os.getpid()}_{suffix}"
        with self._admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        self._names.append(name)
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def close(self) -> None:
        with self._admin.connect() as conn:
            for name in reversed(self._names):
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._admin.dispose()


@dataclass(frozen=True)
class Council:
    key: str
    reference: str


def prepare_engine_database(url: str) -> Council:
    """Migrate, load the demo council, issue the clients' key and find a valid reference."""
    engine = make_engine(url)
    try:
        migrations.upgrade(engine)
        sessions = make_session_factory(engine)
        load_council_config(sessions, DEMO_COUNCIL.read_bytes(), DEMO_COUNCIL.name)
        key = issue_key(
            sessions,
            name="Payments benchmark",
            service=SERVICE,
            scopes=[Scope.PAYMENTS_READ, Scope.PAYMENTS_WRITE],
        )
        with sessions() as session:
            for check in "0123456789":
                if check_reference(session, "CTAX", CTAX_BODY + check).valid:
                    return Council(key, CTAX_BODY + check)
        raise RuntimeError(f"no check digit makes {CTAX_BODY} a valid council tax reference")
    finally:
        engine.dispose()


# --- the server -------------------------------------------------------------------------------


@contextmanager
def gunicorn(url: str, workers: int, workdir: Path) -> Iterator[Server]:
    with start_gunicorn(
        workdir,
        workers,
        {
            "RECEIPTING_DATABASE_URL": url,
            "RECEIPTING_SEAL_KEY": SEAL_KEY,
            "RECEIPTING_SANDBOX_GATEWAY": "1",
            "RECEIPTING_RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT_PER_MINUTE),
            "RECEIPTING_LOG_LEVEL": "WARNING",
            "RECEIPTING_DEVELOPMENT": None,
        },
    ) as server:
        yield server


@contextmanager
def start_gunicorn(
    workdir: Path, workers: int, settings: Mapping[str, str | None]
) -> Iterator[Server]:
    """gunicorn serving the engine on a free loopback port with these settings (None: unset),
    RECEIPTING_PUBLIC_URL pointing at itself; stopped on leaving."""
    config = workdir / "gunicorn.conf.py"
    config.write_text(GUNICORN_CONFIG)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "RECEIPTING_PUBLIC_URL": base_url}
    for name, value in settings.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        str(config),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--no-control-socket",
        "receipting.wsgi:app",
    ]
    stderr_path = workdir / "gunicorn.stderr"
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    server = Server(base_url, process, stderr_path)
    try:
        wait_until_healthy(server)
        yield server
    finally:
        server.stop()


# --- the clients ------------------------------------------------------------------------------


def card_form(form_token: str) -> dict[str, str]:
    """The sandbox card page's form, filled in with the success card."""
    return {
        "form_token": form_token,
        "card_number": SUCCESS_CARD,
        "expiry_month": "12",
        "expiry_year": "2030",
        "cvc": "123",
        "cardholder_name": "Ann Payer",
        "action": "pay",
    }


class FlowFailed(Exception):
    """A request in the flow was answered other than as a working engine answers it."""


@dataclass
class ClientResult:
    latencies: dict[str, list[float]] = field(
        default_factory=lambda: {k: [] for k in REQUEST_KINDS}
    )
    completed: int = 0
    failures: list[str] = field(default_factory=list)


class Client:
    """One council system plus its payers, running the flow until the deadline."""

    def __init__(self, base_url: str, council: Council) -> None:
        where = urlsplit(base_url)
        assert where.hostname is not None and where.port is not None
        self._host, self._port = where.hostname, where.port
        self._council = council
        self.result = ClientResult()

    def _request(
        self, kind: str, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], str]:
        began = time.perf_counter()
        connection = http.client.HTTPConnection(self._host, self._port, timeout=REQUEST_TIMEOUT_S)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
            answer_headers = {name.lower(): value for name, value in response.getheaders()}
        finally:
            connection.close()
        self.result.latencies[kind].append(time.perf_counter() - began)
        return response.status, answer_headers, text

    def _api(self, kind: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self._council.key}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        status, _, text = self._request(kind, method, path, data, headers)
        return status, json.loads(text) if text else None

    def flow(self) -> None:
        status, payment = self._api(
            "create",
            "POST",
            "/v1/payments",
            {
                "amount": 12_345,
                "reference": "CT-BENCH",
                "description": "Council tax",
                "return_url": RETURN_URL,
                "metadata": {"fund_code": "CTAX", "account_reference": self._council.reference},
            },
        )
        if status != 201:
            raise FlowFailed(f"create answered {status}: {payment}")
        page_path = urlsplit(payment["_links"]["next_url"]["href"]).path
        status, _, page = self._request("page", "GET", page_path, None, {})
        token = _FORM_TOKEN.search(page)
        if status != 200 or token is None:
            raise FlowFailed(f"card page answered {status} without a form token")
        form = urlencode(card_form(token.group(1))).encode()
        status, headers, _ = self._request(
            "submit",
            "POST",
            page_path,
            form,
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        if status != 303 or headers.get("location") != RETURN_URL:
            raise FlowFailed(f"card form answered {status}, location {headers.get('location')}")
        status, paid = self._api("get", "GET", f"/v1/payments/{payment['payment_id']}")
        if status != 200 or paid["state"]["status"] != "success":
            raise FlowFailed(f"the paid payment reads {status}: {paid.get('state')}")
        self.result.completed += 1

    def run(self, start: threading.Barrier, deadline_holder: list[float]) -> None:
        start.wait()
        deadline = deadline_holder[0]
        while time.monotonic() < deadline:
            try:
                self.flow()
            except (FlowFailed, OSError, ValueError, KeyError) as exc:
                self.result.failures.append(f"{type(exc).__name__}: {exc}")


@dataclass
class FlowRun:
    clients: int
    duration_s: float
    completed: int
    failed: int
    payments_per_s: float
    p50_ms: dict[str, float]
    p99_ms: dict[str, float]
    requests: dict[str, int]
    first_failure: str | None = None
    pgbench_tps: float | None = None
    ratio_to_pgbench: float | None = None


def run_clients(base_url: str, council: Council, clients: int, duration_s: float) -> FlowRun:
    workers = [Client(base_url, council) for _ in range(clients)]
    start = threading.Barrier(clients + 1)
    deadline: list[float] = [0.0]
    threads = [
        threading.Thread(target=worker.run, args=(start, deadline), daemon=True)
        for worker in workers
    ]
    for thread in threads:
        thread.start()
    began = time.monotonic()
    deadline[0] = began + duration_s
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    latencies = {
        kind: sorted(lat for w in workers for lat in w.result.latencies[kind])
        for kind in REQUEST_KINDS
    }
    failures = [failure for w in workers for failure in w.result.failures]
    completed = sum(w.result.completed for w in workers)
    return FlowRun(
        clients=clients,
        duration_s=round(elapsed, 3),
        completed=completed,
        failed=len(failures),
        payments_per_s=round(completed / elapsed, 1),
        p50_ms={k: round(percentile(v, 0.50) * 1000, 2) for k, v in latencies.items()},
        p99_ms={k: round(percentile(v, 0.99) * 1000, 2) for k, v in latencies.items()},
        requests={k: len(v) for k, v in latencies.items()},
        first_failure=failures[0] if failures else None,
    )


# --- report -----------------------------------------------------------------------------------


def report(runs: Sequence[FlowRun], duration_s: int, gunicorn_workers: int) -> str:
    latency_headers = "".join(f"{kind + ' p50/p99 ms':>22}" for kind in REQUEST_KINDS)
    lines = [
        "",
        f"Card payments through gunicorn ({gunicorn_workers} workers) on PostgreSQL, "
        f"{duration_s} s per run: create -> card page -> submit card -> get (success)",
        f"{'clients':>7}{'payments':>9}{'pay/s':>8}{latency_headers}{'failed':>7}"
        f"{'pgbench tps':>12}{'ratio':>7}",
    ]
    for run in runs:
        cells = "".join(
            f"{f'{run.p50_ms[kind]:.1f} / {run.p99_ms[kind]:.1f}':>22}" for kind in REQUEST_KINDS
        )
        tps = "-" if run.pgbench_tps is None else f"{run.pgbench_tps:.1f}"
        ratio = "-" if run.ratio_to_pgbench is None else f"{run.ratio_to_pgbench:.3f}"
        lines.append(
            f"{run.clients:>7}{run.completed:>9}{run.payments_per_s:>8.1f}{cells}"
            f"{run.failed:>7}{tps:>12}{ratio:>7}"
        )
    lines.append("(ratio: completed payments/s / pgbench tpcb-like tps at the same client count)")
    for run in runs:
        if run.first_failure:
            lines.append(f"{run.clients} client(s), first failure: {run.first_failure}")
    return "\n".join(lines)


# --- command line -----------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.api_payments",
        description=(
            "Payments API benchmark: N concurrent clients each running create -> sandbox card "
            "page -> card submit -> get through a real gunicorn on a fresh PostgreSQL database, "
            "reporting completed payments/s and p50/p99 latency per request type, next to "
            "pgbench tpcb-like at the same client count. Creates and drops its own databases."
        ),
    )
    parser.add_argument(
        "--pg-url",
        default=DEFAULT_PG_URL,
        help=f"admin URL of a PostgreSQL server where databases may be created "
        f"(default: {DEFAULT_PG_URL})",
    )
    parser.add_argument(
        "--clients", default="1,4,8", help="client counts, comma-separated (default: 1,4,8)"
    )
    parser.add_argument(
        "--duration-s",
        type=int,
        default=15,
        help="seconds per run, ours and pgbench's (default: 15)",
    )
    parser.add_argument(
        "--gunicorn-workers",
        type=int,
        default=DEFAULT_GUNICORN_WORKERS,
        help=f"gunicorn sync workers (default: {DEFAULT_GUNICORN_WORKERS})",
    )
    parser.add_argument(
        "--pgbench-scale", type=int, default=10, help="pgbench scale factor (default: 10)"
    )
    parser.add_argument("--no-pgbench", action="store_true", help="skip the pgbench yardstick")
    parser.add_argument(
        "--json",
        nargs="?",
        const="-",
        metavar="FILE",
        help="also write every figure as JSON: to FILE, or after the table on stdout",
    )
    args = parser.parse_args(argv)
    args.client_counts = [int(part) for part in args.clients.split(",") if part.strip()]
    if not args.client_counts or min(args.client_counts) < 1:
        parser.error("--clients needs one or more counts of 1 or more")
    if args.duration_s < 1:
        parser.error("--duration-s must be at least 1")
    return args


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.no_pgbench and shutil.which("pgbench") is None:
        log("pgbench is not on PATH (Debian: apt-get install postgresql-client), or --no-pgbench")
        return 2
    started = time.monotonic()
    databases = Databases(args.pg_url)
    runs: list[FlowRun] = []
    try:
        engine_url = databases.create("engine")
        log("Migrating, loading the demo council, issuing a key ...")
        council = prepare_engine_database(engine_url)
        pgbench_url = None
        if not args.no_pgbench:
            pgbench_url = databases.create("pgbench")
            log(f"pgbench -i -s {args.pgbench_scale} ...")
            pgbench_init(pgbench_url, args.pgbench_scale)
        with (
            tempfile.TemporaryDirectory(prefix="bench-api-") as workdir,
            gunicorn(engine_url, args.gunicorn_workers, Path(workdir)) as server,
        ):
            log("Warming up (one flow) ...")
            run_clients(server.base_url, council, 1, 1.0)
            for clients in args.client_counts:
                tps = None
                if pgbench_url is not None:
                    log(f"{clients} client(s): pgbench ...")
                    tps, _ = pgbench_tps(pgbench_url, clients, args.duration_s, None)
                log(f"{clients} client(s): payments ...")
                run = run_clients(server.base_url, council, clients, args.duration_s)
                if tps:
                    run.pgbench_tps = tps
                    run.ratio_to_pgbench = round(run.payments_per_s / tps, 3)
                runs.append(run)
            if server.process.poll() is not None:
                log(f"gunicorn exited during the run:\n{server.log_output()}")
                return 1
    finally:
        databases.close()

    print(f"Payments API benchmark, {os.cpu_count()} CPUs, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(report(runs, args.duration_s, args.gunicorn_workers))
    print(f"\nTotal wall time: {time.monotonic() - started:.0f} s")
    if args.json:
        blob = json.dumps(
            {
                "settings": {
                    "duration_s": args.duration_s,
                    "clients": args.client_counts,
                    "gunicorn_workers": args.gunicorn_workers,
                    "pgbench_scale": None if args.no_pgbench else args.pgbench_scale,
                    "cpus": os.cpu_count(),
                },
                "runs": [asdict(run) for run in runs],
            },
            indent=2,
        )
        if args.json == "-":
            print(blob)
        else:
            Path(args.json).write_text(blob + "\n", encoding="utf-8")
    return 1 if any(run.failed for run in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
