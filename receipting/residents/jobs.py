"""This subsystem's background jobs, run in passes by `receipting worker`."""

from __future__ import annotations

from receipting.jobs import Job
from receipting.residents.service import ResidentService
from receipting.services import Services

JOB_NAME = "purge-resident-sessions"


def jobs(services: Services) -> list[Job]:
    residents = ResidentService(services.session_factory, services.clock)
    return [Job(JOB_NAME, residents.purge)]
