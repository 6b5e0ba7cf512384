"""This subsystem's background jobs, run in passes by `receipting worker`."""

from __future__ import annotations

from receipting.jobs import Job
from receipting.services import Services


def jobs(services: Services) -> list[Job]:
    return []
