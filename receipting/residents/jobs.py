"""This subsystem's background jobs, run in passes by `receipting worker`."""

from __future__ import annotations

from receipting.jobs import Job
from receipting.residents.service import ResidentService
from receipting.wiring import Dependencies

JOB_NAME = "purge-resident-sessions"


def jobs(deps: Dependencies) -> list[Job]:
    residents = ResidentService(deps.session_factory, deps.clock)
    return [
        Job(
            JOB_NAME,
            residents.purge,
            "removes residents' sign-in attempts and sessions a week after they stopped mattering",
        )
    ]
