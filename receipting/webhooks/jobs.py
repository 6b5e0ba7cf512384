"""This subsystem's background jobs, run in passes by `receipting worker`."""

from __future__ import annotations

from receipting.jobs import Job
from receipting.services import Services
from receipting.webhooks.delivery import WebhookDeliverer


def jobs(services: Services) -> list[Job]:
    deliverer = WebhookDeliverer(services.session_factory, clock=services.clock)
    return [Job("deliver-webhooks", deliverer.deliver_due)]
