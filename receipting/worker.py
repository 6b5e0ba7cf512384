"""Background work: jobs run in passes by `receipting worker` until it is told to stop.

Jobs are idempotent (a pass that dies half-way is simply redone), so several workers may run at
once: sealing takes a database lock and a second sealer finds nothing to do.
"""

from __future__ import annotations

import dataclasses
import logging
import signal
import threading
from types import FrameType

from sqlalchemy.engine import Engine

from receipting.jobs import Job
from receipting.notify import jobs as notify_jobs
from receipting.payments import jobs as payments_jobs
from receipting.residents import jobs as residents_jobs
from receipting.settings import Settings
from receipting.webhooks import jobs as webhooks_jobs
from receipting.wiring import Dependencies, build_dependencies

log = logging.getLogger(__name__)

# Seconds between passes: entries are sealed (and balances checkpointed) within this of posting.
DEFAULT_WORKER_INTERVAL_S = 5.0


def standard_jobs(deps: Dependencies) -> list[Job]:
    return [
        Job("seal", deps.ledger.seal_all, "seals newly posted ledger entries into the hash chain"),
        *payments_jobs.jobs(deps),
        *webhooks_jobs.jobs(deps),
        *notify_jobs.jobs(deps),
        *residents_jobs.jobs(deps),
    ]


def installed_jobs(settings: Settings, engine: Engine) -> list[Job]:
    """Every job this installation runs, built on `engine` (building connects to nothing)."""
    return standard_jobs(build_dependencies(worker_settings(settings), engine=engine))


def worker_settings(settings: Settings) -> Settings:
    """The worker always knows the sandbox gateway. It only looks after payments already made,
    and the sandbox answers only for payments made through it, so a database that took sandbox
    payments (the demo's) is looked after without RECEIPTING_SANDBOX_GATEWAY, while starting a
    sandbox payment or serving its card page still needs the setting, in the server."""
    return dataclasses.replace(settings, sandbox_gateway=True)


def stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT, so a pass in progress finishes before the worker
    exits (a half-done pass would only be redone, but a clean stop keeps the logs honest)."""
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        log.info("worker: %s received; stopping after this pass", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    return stop


def run_worker(jobs: list[Job], *, interval_s: float, stop: threading.Event) -> None:
    while not stop.is_set():
        for job in jobs:
            try:
                done = job.run()
            except Exception:
                # A database restart or a lost connection must not end the worker; the job is
                # retried on the next pass, and the traceback goes to the log for a person.
                log.exception("worker: job %s failed; retrying in %g s", job.name, interval_s)
                continue
            if done:
                log.info("worker: %s: %d done", job.name, done)
        stop.wait(interval_s)
