"""`receipting worker` emails receipts: the job is in the standard set, sends through the SMTP
server the settings name, and without SMTP settings does nothing and says so once."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.engine import Engine

from receipting.jobs import Job
from receipting.notify.jobs import JOB_NAME
from receipting.notify.tables import EMAIL_QUEUED, EMAIL_SENT
from receipting.settings import Settings, SmtpSettings
from receipting.wiring import build_dependencies
from receipting.worker import standard_jobs
from tests.conftest import TEST_SEAL_KEY
from tests.integration.notify.conftest import PAYER, outbox, paid_with_email
from tests.integration.payments.conftest import Api
from tests.support.smtp_server import LoopbackSmtpServer


def email_job_of(engine: Engine, db_url: str, api: Api, smtp: SmtpSettings | None) -> Job:
    settings = Settings(database_url=db_url, seal_key=TEST_SEAL_KEY, smtp=smtp)
    deps = build_dependencies(settings, engine=engine, clock=api.clock, gateways={})
    (job,) = [job for job in standard_jobs(deps) if job.name == JOB_NAME]
    return job


def test_the_worker_emails_receipts_through_the_configured_smtp_server(
    engine: Engine,
    db_url: str,
    api: Api,
    ctax_refs: list[str],
    smtp_server: LoopbackSmtpServer,
) -> None:
    paid_with_email(api, ctax_refs[0])
    job = email_job_of(engine, db_url, api, smtp_server.settings())

    assert job.run() == 1

    assert [email.to for email in smtp_server.wait_for(1)] == [PAYER]
    assert outbox(api.session_factory)[0].status == EMAIL_SENT


def test_without_smtp_settings_the_job_sends_nothing_and_says_so_once(
    engine: Engine,
    db_url: str,
    api: Api,
    ctax_refs: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    paid_with_email(api, ctax_refs[0])
    with caplog.at_level(logging.WARNING, logger="receipting.notify"):
        job = email_job_of(engine, db_url, api, None)
        assert [job.run() for _ in range(3)] == [0, 0, 0]
    warnings = [r.getMessage() for r in caplog.records if r.name.startswith("receipting.notify")]
    assert len(warnings) == 1
    assert "RECEIPTING_SMTP_HOST is not set" in warnings[0]
    assert outbox(api.session_factory)[0].status == EMAIL_QUEUED
