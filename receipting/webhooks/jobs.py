"""This subsystem's background jobs, run in passes by `receipting worker`."""

from __future__ import annotations

from receipting.jobs import Job
from receipting.webhooks.delivery import WebhookDeliverer
from receipting.wiring import Dependencies


def jobs(deps: Dependencies) -> list[Job]:
    deliverer = WebhookDeliverer(deps.session_factory, clock=deps.clock)
    return [
        Job(
            "deliver-webhooks",
            deliverer.deliver_due,
            "delivers signed webhook messages, retrying those that failed on a schedule",
        )
    ]
