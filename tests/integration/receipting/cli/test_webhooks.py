"""`receipting webhooks`, run in-process against real databases."""

from __future__ import annotations

import re

from click.testing import CliRunner, Result
from sqlalchemy.orm import Session, sessionmaker

from receipting.cli import cli
from receipting.webhooks.delivery import WebhookDeliverer
from receipting.webhooks.outbox import enqueue
from tests.conftest import TEST_SEAL_KEY
from tests.integration.webhooks.conftest import FakeClock, Receiver, clock, receiver

__all__ = ["clock", "receiver"]  # the fixtures, shared with the webhooks' own tests

CREATED = re.compile(r"webhook_id: (\S+)\nsigning_secret: (webhook_secret_[0-9a-f]{64})\n")


def run(db_url: str, *args: str) -> Result:
    env = {
        "RECEIPTING_DATABASE_URL": db_url,
        "RECEIPTING_SEAL_KEY": TEST_SEAL_KEY.decode(),
        "RECEIPTING_LOG_LEVEL": "WARNING",
    }
    return CliRunner().invoke(cli, ["webhooks", *args], env=env)


def create(db_url: str, url: str = "https://crm.example-council.gov.uk/events") -> Result:
    return run(
        db_url,
        "create",
        "--service",
        "parking",
        "--url",
        url,
        "--event",
        "card_payment_succeeded",
        "--event",
        "card_payment_failed",
        "--description",
        "Parking CRM",
    )


def test_create_prints_the_id_and_the_secret_once_and_list_shows_no_secret(db_url: str) -> None:
    created = create(db_url)

    assert created.exit_code == 0, created.output
    match = CREATED.fullmatch(created.stdout)
    assert match is not None, created.stdout
    assert "only time" in created.stderr
    listed = run(db_url, "list")
    assert listed.exit_code == 0, listed.output
    assert match.group(1) in listed.stdout
    assert "active" in listed.stdout
    assert "card_payment_succeeded,card_payment_failed" in listed.stdout
    assert match.group(2) not in listed.stdout
    assert run(db_url, "list", "--service", "council-tax").stdout.startswith("No webhooks.")


def test_disable_and_rotate_secret(db_url: str) -> None:
    webhook_id, secret = CREATED.findall(create(db_url).stdout)[0]

    rotated = run(db_url, "rotate-secret", webhook_id)
    disabled = run(db_url, "disable", webhook_id)

    assert rotated.exit_code == 0, rotated.output
    assert CREATED.fullmatch(rotated.stdout) is not None
    assert secret not in rotated.stdout
    assert disabled.exit_code == 0, disabled.output
    assert disabled.stdout == f"Webhook {webhook_id} is disabled.\n"
    assert "disabled" in run(db_url, "list").stdout


def test_a_bad_url_or_unknown_webhook_is_a_plain_error(db_url: str) -> None:
    refused = create(db_url, url="http://crm.example-council.gov.uk/events")
    missing = run(db_url, "disable", "nosuchwebhook")

    assert refused.exit_code == 2
    assert "https://" in refused.output and "Traceback" not in refused.output
    assert missing.exit_code == 2
    assert "webhooks list" in missing.output


def test_deliveries_shows_each_attempt(
    db_url: str, session_factory: sessionmaker[Session], clock: FakeClock, receiver: Receiver
) -> None:
    webhook_id, receiver.secret = CREATED.findall(create(db_url, url=receiver.url).stdout)[0]
    assert run(db_url, "deliveries", webhook_id).stdout == "No messages yet.\n"
    with session_factory() as session, session.begin():
        enqueue(
            session,
            service="parking",
            event_type="card_payment_succeeded",
            resource_type="payment",
            resource_id="pay1",
            resource={"payment_id": "pay1"},
            now=clock(),
        )
    receiver.status = 503
    WebhookDeliverer(session_factory, clock=clock).deliver_due()

    log = run(db_url, "deliveries", webhook_id)

    assert log.exit_code == 0, log.output
    message_line, attempt_line = log.stdout.splitlines()
    assert "pending" in message_line and "payment pay1" in message_line
    assert "next attempt 2026-11-24 09:01:00Z" in message_line
    assert attempt_line.strip().startswith("#1  2026-11-24 09:00:00Z  http_error 503")
