"""Resident checkout benchmark: the start page and the confirmation page through a real gunicorn.

Three addresses are read over and over, each for `--duration-s`, by N concurrent clients:

1. `healthz`: GET /healthz, the engine's cheapest answer (one trivial database query, a few bytes
   of JSON). It is the yardstick: the server's floor on this machine, in this run.
2. `start`: GET /pay, the checkout's start page (the council's funds payable online, rendered in
   the layout). Each client is a browser that has not paid: no cookie is sent, so every answer
   opens a new basket and seals it into a new cookie, as for a resident arriving.
3. `confirmation`: GET /pay/return, the page a resident comes back to from the card page: the
   basket cookie is opened, the payment read by its id and the confirmation rendered.

Before anything is measured, each client pays once through the pages, as a browser does: the
council tax form (its anti-forgery token read from the page), "Pay now" on check your answers,
the sandbox gateway's card page with the success card 4444333322221111, and back to /pay/return.
That client's basket cookie then identifies its own paid payment; it is sent with every
`confirmation` request (and replaced by the one each answer sets, as a browser would).

Every answer is checked: 200 and a marker on the page (`ok` from /healthz, the council tax fund
linked from the start page, the client's own receipt number on the confirmation). Anything else is
a failure; the benchmark exits 1 if there was any.

Clients are threads, each with its own connections (gunicorn's sync workers close the connection
after every answer); the server is gunicorn with `--workers` (2) sync workers on 127.0.0.1, so
the server, not the client's GIL, is what is measured. The machine may be shared, so only the
ratio means anything: a page's pages/s over /healthz's requests/s measured in the same run, with
the same client count and duration. It says what the page costs over the server's floor. The
three are read in turn, in slices of about 2 s (`SLICE_S`), so a neighbour's passing load weighs
on all of them alike rather than on whichever happened to be running.

The database is created for the run and removed at the end: a SQLite file in a temporary
directory, or with `--database postgresql` `bench_web_<pid>_engine` created and dropped through the
admin URL.
"""

from __future__ import annotations

import argparse
import html
import http.client
import json
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from bench.api_payments import (
    DEFAULT_PG_URL,
    SEAL_KEY,
    Databases,
    card_form,
    log,
    prepare_engine_database,
    start_gunicorn,
)
from bench.ledger_post import percentile
from channels.web_checkout.basket import BasketCookie
from tests.e2e.test_gunicorn_serves_app import Server

# Public, like the seal key: the pages' cookies only need to be sealed with the same key by every
# gunicorn worker (the development default would do, but warns on every start).
SECRET_KEY = "bench-only-secret-key-for-cookies-not-a-secret-0123456789"

# The demo council's council tax fund, whose form each client fills in once; the amount is any
# the fund accepts.
FUND_CODE = "CTAX"
AMOUNT = "12.34"

# What the measured answers must hold. The start page links every fund payable online by its
# name (the demo council's council tax fund here); the confirmation shows the receipt number.
HEALTH_BODY = {"status": "ok", "database": "ok"}
START_MARKER = f'href="/pay/{FUND_CODE}">Council tax</a>'
RECEIPT_MARKER = 'id="receipt-number">{receipt}<'

START_PATH = "/pay"
RETURN_PATH = "/pay/return"
SANDBOX_PAGES = "/sandbox-gateway/pay/"

KINDS = ("healthz", "start", "confirmation")

# One request to a local server; a slower answer means something is stuck, not slow.
REQUEST_TIMEOUT_S = 30.0

# gunicorn's workers, as in the end-to-end tests: enough to show the server is not one process.
DEFAULT_GUNICORN_WORKERS = 2

# Each page and /healthz are read in turn, in slices of about this long, until each has had
# --duration-s: a neighbour's load that comes and goes then weighs on all three alike, where one
# run after another would charge it to whichever ran at the time. Long enough that the slice's
# start and end (threads started, the last answers awaited) are a small part of it.
SLICE_S = 2.0

# Unmeasured, before the first run: every worker imports, connects and compiles its templates.
WARM_UP_S = 1.0

_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')
_FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
_RECEIPT = re.compile(r'id="receipt-number">([^<]+)<')


# --- the database -----------------------------------------------------------------------------


class Database:
    """The run's database: a SQLite file in `workdir`, or a PostgreSQL database created through
    the admin URL and dropped by `close`."""

    def __init__(self, kind: str, admin_url: str, workdir: Path) -> None:
        self._databases: Databases | None = None
        if kind == "sqlite":
            self.url = f"sqlite:///{workdir / 'checkout.sqlite3'}"
            return
        self._databases = Databases(admin_url, prefix="bench_web")
        self.url = self._databases.create("engine")

    def close(self) -> None:
        if self._databases is not None:
            self._databases.close()


def prepare_database(url: str) -> str:
    """Migrate, load the demo council, and find a valid council tax reference."""
    return prepare_engine_database(url).reference


# --- the server -------------------------------------------------------------------------------


@contextmanager
def gunicorn(url: str, workers: int, workdir: Path) -> Iterator[Server]:
    with start_gunicorn(
        workdir,
        workers,
        {
            "RECEIPTING_DATABASE_URL": url,
            "RECEIPTING_SEAL_KEY": SEAL_KEY,
            "RECEIPTING_SECRET_KEY": SECRET_KEY,
            "RECEIPTING_SANDBOX_GATEWAY": "1",
            # Plain http on loopback: development settings, so the cookies are not marked Secure.
            "RECEIPTING_DEVELOPMENT": "1",
            "RECEIPTING_LOG_LEVEL": "WARNING",
        },
    ) as server:
        yield server


# --- the browsers -----------------------------------------------------------------------------


class FlowFailed(Exception):
    """A page was answered other than as a working checkout answers it."""


@dataclass
class Answer:
    status: int
    location: str
    text: str
    seconds: float


class Browser:
    """One resident's browser: its own cookies, a new connection for every request."""

    def __init__(self, base_url: str) -> None:
        where = urlsplit(base_url)
        assert where.hostname is not None and where.port is not None
        self._host, self._port = where.hostname, where.port
        self.cookies: dict[str, str] = {}
        self.receipt_number: str | None = None

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Answer:
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        began = time.perf_counter()
        connection = http.client.HTTPConnection(self._host, self._port, timeout=REQUEST_TIMEOUT_S)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
        finally:
            connection.close()
        seconds = time.perf_counter() - began
        for header in response.msg.get_all("Set-Cookie") or ():
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return Answer(response.status, response.getheader("Location") or "", text, seconds)

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post(self, path: str, form: dict[str, str]) -> Answer:
        return self.request("POST", path, form)


def _found(pattern: re.Pattern[str], answer: Answer, what: str) -> str:
    match = pattern.search(answer.text)
    if answer.status != 200 or match is None:
        raise FlowFailed(f"{what} answered {answer.status} without its {pattern.pattern!r}")
    return html.unescape(match.group(1))


def _sent_to(answer: Answer, step: str, expected: str) -> str:
    """The path a 303 sends the browser to, which must start with `expected`."""
    path = urlsplit(answer.location).path
    if answer.status != 303 or not path.startswith(expected):
        raise FlowFailed(f"{step} answered {answer.status}, location {answer.location!r}")
    return path


def pay_once(browser: Browser, reference: str) -> None:
    """One paid checkout, as a browser makes it; the browser keeps the paid basket's cookie."""
    item_path = f"{START_PATH}/{FUND_CODE}"
    csrf = _found(_CSRF, browser.get(item_path), "the item form")
    added = browser.post(
        item_path, {"csrf_token": csrf, "reference": reference, "amount": AMOUNT, "email": ""}
    )
    _sent_to(added, "adding to the basket", "/pay/basket")
    csrf = _found(_CSRF, browser.get("/pay/check"), "check your answers")
    card_path = _sent_to(browser.post("/pay/check", {"csrf_token": csrf}), "pay now", SANDBOX_PAGES)
    form_token = _found(_FORM_TOKEN, browser.get(card_path), "the card page")
    paid = browser.post(card_path, card_form(form_token))
    _sent_to(paid, "the card form", RETURN_PATH)
    browser.receipt_number = _found(_RECEIPT, browser.get(RETURN_PATH), "the confirmation")
    if BasketCookie.NAME not in browser.cookies:
        raise FlowFailed(f"the confirmation left no {BasketCookie.NAME!r} cookie")


# --- the measured clients ---------------------------------------------------------------------


@dataclass
class ClientResult:
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


class Client:
    """One browser reading one kind of page until the deadline, checking every answer."""

    def __init__(self, kind: str, browser: Browser) -> None:
        self._kind = kind
        self._browser = browser
        self.result = ClientResult()

    def _read(self) -> None:
        if self._kind == "healthz":
            self._browser.cookies.clear()  # as for the start page: no cookie to send
            answer = self._browser.get("/healthz")
            ok = answer.status == 200 and json.loads(answer.text) == HEALTH_BODY
        elif self._kind == "start":
            self._browser.cookies.clear()  # a resident arriving: no basket yet
            answer = self._browser.get(START_PATH)
            ok = answer.status == 200 and START_MARKER in answer.text
        else:
            answer = self._browser.get(RETURN_PATH)
            marker = RECEIPT_MARKER.format(receipt=self._browser.receipt_number)
            ok = answer.status == 200 and marker in answer.text
        if not ok:
            raise FlowFailed(f"{self._kind} answered {answer.status}: {answer.text[:200]!r}")
        self.result.latencies.append(answer.seconds)

    def run(self, start: threading.Barrier, deadline_holder: list[float]) -> None:
        start.wait()
        deadline = deadline_holder[0]
        while time.monotonic() < deadline:
            try:
                self._read()
            except (FlowFailed, OSError, ValueError) as exc:
                self.result.failures.append(f"{type(exc).__name__}: {exc}")


@dataclass
class PageRun:
    kind: str
    clients: int
    duration_s: float
    requests: int
    failed: int
    pages_per_s: float
    p50_ms: float
    p99_ms: float
    ratio_to_healthz: float | None = None
    first_failure: str | None = None


@dataclass
class Slice:
    """One kind of page read by every client for one slice of the run."""

    latencies: list[float]
    failures: list[str]
    elapsed_s: float


def read_for(kind: str, browsers: Sequence[Browser], seconds: float) -> Slice:
    workers = [Client(kind, browser) for browser in browsers]
    start = threading.Barrier(len(workers) + 1)
    deadline: list[float] = [0.0]
    threads = [
        threading.Thread(target=worker.run, args=(start, deadline), daemon=True)
        for worker in workers
    ]
    for thread in threads:
        thread.start()
    began = time.monotonic()
    deadline[0] = began + seconds
    start.wait()
    for thread in threads:
        thread.join()
    return Slice(
        latencies=[lat for w in workers for lat in w.result.latencies],
        failures=[failure for w in workers for failure in w.result.failures],
        elapsed_s=time.monotonic() - began,
    )


def summarise(kind: str, clients: int, slices: Sequence[Slice]) -> PageRun:
    latencies = sorted(lat for part in slices for lat in part.latencies)
    failures = [failure for part in slices for failure in part.failures]
    elapsed = sum(part.elapsed_s for part in slices)
    return PageRun(
        kind=kind,
        clients=clients,
        duration_s=round(elapsed, 3),
        requests=len(latencies),
        failed=len(failures),
        pages_per_s=round(len(latencies) / elapsed, 1),
        p50_ms=round(percentile(latencies, 0.50) * 1000, 2),
        p99_ms=round(percentile(latencies, 0.99) * 1000, 2),
        first_failure=failures[0] if failures else None,
    )


# --- report -----------------------------------------------------------------------------------

PAGE_LABELS = {
    "healthz": "`GET /healthz` (baseline)",
    "start": "start page `GET /pay`",
    "confirmation": "confirmation `GET /pay/return`",
}


def report(runs: Sequence[PageRun], database: str, duration_s: int, workers: int) -> str:
    lines = [
        "",
        f"Resident checkout through gunicorn ({workers} sync workers) on {database}, "
        f"{duration_s} s per run",
        "",
        "| clients | page | requests | pages/s | p50 ms | p99 ms | failed | ratio |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        ratio = "1" if run.kind == "healthz" else f"{run.ratio_to_healthz:.3f}"
        lines.append(
            f"| {run.clients} | {PAGE_LABELS[run.kind]} | {run.requests} | "
            f"{run.pages_per_s:.1f} | {run.p50_ms:.2f} | {run.p99_ms:.2f} | {run.failed} | "
            f"{ratio} |"
        )
    lines.append("")
    lines.append("(ratio: pages/s / GET /healthz requests/s at the same client count, same run)")
    for run in runs:
        if run.first_failure:
            lines.append(f"{run.clients} client(s), {run.kind}, first failure: {run.first_failure}")
    return "\n".join(lines)


# --- command line -----------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.web_checkout",
        description=(
            "Resident checkout benchmark: N concurrent clients reading the start page (GET /pay) "
            "and the confirmation page of their own paid checkout (GET /pay/return) through a "
            "real gunicorn, reporting pages/s and p50/p99 latency, each as a ratio to GET "
            "/healthz measured in the same run with the same clients and duration. Creates and "
            "removes its own database."
        ),
    )
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="the engine's database: a SQLite file in a temporary directory, or a PostgreSQL "
        "database created through --pg-url (default: sqlite)",
    )
    parser.add_argument(
        "--pg-url",
        default=DEFAULT_PG_URL,
        help=f"with --database postgresql, admin URL of a server where databases may be "
        f"created (default: {DEFAULT_PG_URL})",
    )
    parser.add_argument(
        "--clients",
        nargs="+",
        default=["1", "4"],
        help="client counts, space- or comma-separated (default: 1 4)",
    )
    parser.add_argument(
        "--duration-s",
        type=int,
        default=10,
        help="seconds per run, for each page and for /healthz (default: 10)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=DEFAULT_GUNICORN_WORKERS,
        help=f"gunicorn sync workers (default: {DEFAULT_GUNICORN_WORKERS})",
    )
    parser.add_argument(
        "--json",
        nargs="?",
        const="-",
        metavar="FILE",
        help="also write every figure as JSON: to FILE, or after the table on stdout",
    )
    args = parser.parse_args(argv)
    try:
        args.client_counts = [
            int(part) for value in args.clients for part in value.split(",") if part.strip()
        ]
    except ValueError:
        parser.error("--clients needs whole numbers")
    if not args.client_counts or min(args.client_counts) < 1:
        parser.error("--clients needs one or more counts of 1 or more")
    if args.duration_s < 1:
        parser.error("--duration-s must be at least 1")
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    return args


def measure(
    server: Server, reference: str, client_counts: Sequence[int], duration_s: int
) -> list[PageRun]:
    most = max(client_counts)
    log(f"Paying once through the pages for each of {most} browser(s) ...")
    paid = [Browser(server.base_url) for _ in range(most)]
    for browser in paid:
        pay_once(browser, reference)
    arriving = [Browser(server.base_url) for _ in range(most)]
    browsers = {"healthz": arriving, "start": arriving, "confirmation": paid}
    log("Warming up ...")
    for kind in KINDS:
        read_for(kind, browsers[kind], WARM_UP_S)
    slices = max(1, round(duration_s / SLICE_S))
    runs: list[PageRun] = []
    for clients in client_counts:
        log(f"{clients} client(s): {slices} slice(s) of {duration_s / slices:.1f} s per page ...")
        parts: dict[str, list[Slice]] = {kind: [] for kind in KINDS}
        for number in range(slices):
            # Each slice in another order, so no page always follows the same one.
            turn = number % len(KINDS)
            for kind in KINDS[turn:] + KINDS[:turn]:
                parts[kind].append(read_for(kind, browsers[kind][:clients], duration_s / slices))
        baseline = summarise("healthz", clients, parts["healthz"])
        runs.append(baseline)
        for kind in KINDS[1:]:
            run = summarise(kind, clients, parts[kind])
            if baseline.pages_per_s:
                run.ratio_to_healthz = round(run.pages_per_s / baseline.pages_per_s, 3)
            runs.append(run)
    return runs


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        workdir = Path(tmp)
        database = Database(args.database, args.pg_url, workdir)
        try:
            log(f"Migrating {args.database}, loading the demo council ...")
            reference = prepare_database(database.url)
            with gunicorn(database.url, args.workers, workdir) as server:
                try:
                    runs = measure(server, reference, args.client_counts, args.duration_s)
                except (FlowFailed, OSError) as exc:
                    log(f"Paying through the pages failed: {exc}\n{server.log_output()}")
                    return 1
                if server.process.poll() is not None:
                    log(f"gunicorn exited during the run:\n{server.log_output()}")
                    return 1
        finally:
            database.close()

    now = datetime.now(UTC)
    print(f"Resident checkout benchmark, {os.cpu_count()} CPUs, {now:%Y-%m-%d %H:%M} UTC")
    print(report(runs, args.database, args.duration_s, args.workers))
    print(f"\nTotal wall time: {time.monotonic() - started:.0f} s")
    if args.json:
        blob = json.dumps(
            {
                "settings": {
                    "database": args.database,
                    "duration_s": args.duration_s,
                    "clients": args.client_counts,
                    "gunicorn_workers": args.workers,
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
