"""This subsystem's background jobs, run in passes by `receipting worker`."""

from __future__ import annotations

import logging
from functools import partial

from receipting.jobs import Job
from receipting.notify.delivery import MAX_RECEIPT_EMAIL_AGE, deliver_receipt_emails
from receipting.notify.smtp import smtp_sender
from receipting.wiring import Dependencies

log = logging.getLogger(__name__)

JOB_NAME = "email-receipts"


def jobs(deps: Dependencies) -> list[Job]:
    sender = smtp_sender(deps.settings)
    if sender is None:
        # Said once, when the worker starts, rather than on every pass.
        log.warning(
            "RECEIPTING_SMTP_HOST is not set, so receipts are not emailed: receipt emails stay "
            "queued (and are dropped after %d days). Set RECEIPTING_SMTP_HOST and "
            "RECEIPTING_SMTP_FROM to send them.",
            MAX_RECEIPT_EMAIL_AGE.days,
        )
    run = partial(deliver_receipt_emails, deps.session_factory, sender, deps.clock)
    return [Job(JOB_NAME, run, "sends the receipt emails that are due, retrying those that failed")]
