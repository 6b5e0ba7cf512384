"""Sending queued receipt emails through a real SMTP server on loopback: what arrives, a server
that is down (retried on the schedule, then sent), giving up, refusals, sending straight after
payment, and leases that keep two senders off one email."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import text, update
from sqlalchemy.orm import Session, sessionmaker

from ledger.db import is_postgresql
from receipting.council.service import council_presentation, get_fund
from receipting.notify.delivery import (
    LEASE_DURATION,
    MAX_ATTEMPTS,
    MAX_RECEIPT_EMAIL_AGE,
    RETRY_DELAYS,
    claim_due,
    deliver_receipt_emails,
    record_attempt,
    send_due_now,
)
from receipting.notify.errors import EmailNotSent
from receipting.notify.smtp import SmtpSender
from receipting.notify.tables import EMAIL_FAILED, EMAIL_QUEUED, EMAIL_SENT, EmailOutboxRow
from receipting.payments.tables import PaymentRow
from tests.integration.notify.conftest import PAYER, FakeSender, outbox, paid_with_email
from tests.integration.payments.conftest import Api
from tests.support.smtp_server import TEST_SENDER, LoopbackSmtpServer

# Far shorter than the real timeout: a refused connection fails at once anyway.
SHORT_TIMEOUT_S = 2.0


def sender_for(server: LoopbackSmtpServer) -> SmtpSender:
    return SmtpSender(server.settings(), timeout_s=SHORT_TIMEOUT_S)


def receipt_number(api: Api, payment_id: str) -> str:
    with api.session_factory() as session:
        payment = session.get(PaymentRow, payment_id)
        assert payment is not None and payment.receipt_number is not None
        return payment.receipt_number


def test_a_queued_receipt_arrives_at_a_real_smtp_server_with_the_right_to_subject_and_body(
    api: Api, ctax_refs: list[str], smtp_server: LoopbackSmtpServer
) -> None:
    payment = paid_with_email(api, ctax_refs[0])
    number = receipt_number(api, payment["payment_id"])
    with api.session_factory() as session:
        council = council_presentation(session).name
        fund = get_fund(session, "CTAX").name

    assert deliver_receipt_emails(api.session_factory, sender_for(smtp_server), api.clock) == 1

    (email,) = smtp_server.wait_for(1)
    assert email.mail_from == TEST_SENDER
    assert email.rcpt_tos == (PAYER,)
    assert email.to == PAYER
    assert email.subject == f"{council}: receipt {number}"
    assert f"Receipt number: {number}" in email.text
    assert f"1. {fund}\n   Reference: {ctax_refs[0]}\n   Amount: £1,234.50" in email.text
    assert "Total paid: £1,234.50" in email.text
    assert f"Payment ID: {payment['payment_id']}" in email.text
    assert "Keep this email" in email.text
    (row,) = outbox(api.session_factory)
    assert (row.status, row.attempts, row.sent_at, row.last_error) == (
        EMAIL_SENT,
        1,
        api.clock.now,
        None,
    )
    assert row.lease_token is None
    # Sent once: later passes find nothing to do.
    assert deliver_receipt_emails(api.session_factory, sender_for(smtp_server), api.clock) == 0
    assert len(smtp_server.received) == 1


def test_a_welsh_payment_gets_its_receipt_in_welsh(
    api: Api, ctax_refs: list[str], smtp_server: LoopbackSmtpServer
) -> None:
    payment = paid_with_email(api, ctax_refs[0], language="cy")
    number = receipt_number(api, payment["payment_id"])
    with api.session_factory() as session:
        presentation = council_presentation(session)
    welsh_name = presentation.name_cy or presentation.name

    deliver_receipt_emails(api.session_factory, sender_for(smtp_server), api.clock)

    (email,) = smtp_server.wait_for(1)
    assert email.subject == f"{welsh_name}: derbynneb {number}"
    assert email.message["Content-Language"] == "cy"
    assert "Diolch am eich taliad." in email.text
    assert "Cyfanswm a dalwyd: £1,234.50" in email.text
    assert "Cadwch yr e-bost hwn" in email.text


def test_a_server_that_is_down_gets_the_email_later_on_the_retry_schedule(
    api: Api, ctax_refs: list[str], smtp_server: LoopbackSmtpServer
) -> None:
    paid_with_email(api, ctax_refs[0])
    sender = sender_for(smtp_server)
    with smtp_server.down():
        assert deliver_receipt_emails(api.session_factory, sender, api.clock) == 1
        (row,) = outbox(api.session_factory)
        assert (row.status, row.attempts) == (EMAIL_QUEUED, 1)
        assert row.next_attempt_at == api.clock.now + RETRY_DELAYS[0]
        assert row.last_error is not None and "could not send" in row.last_error
        assert PAYER not in row.last_error
        # Not due yet: nothing is tried before the back-off is over.
        assert deliver_receipt_emails(api.session_factory, sender, api.clock) == 0

    api.clock.now += RETRY_DELAYS[0]
    assert deliver_receipt_emails(api.session_factory, sender, api.clock) == 1

    assert [email.to for email in smtp_server.wait_for(1)] == [PAYER]
    (row,) = outbox(api.session_factory)
    assert (row.status, row.attempts, row.last_error) == (EMAIL_SENT, 2, None)


def test_it_gives_up_after_the_last_attempt_and_says_so_in_the_log(
    api: Api,
    ctax_refs: list[str],
    smtp_server: LoopbackSmtpServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    payment = paid_with_email(api, ctax_refs[0])
    sender = sender_for(smtp_server)
    with smtp_server.down(), caplog.at_level(logging.WARNING, logger="receipting.notify"):
        for delay in (*RETRY_DELAYS, None):
            assert deliver_receipt_emails(api.session_factory, sender, api.clock) == 1
            if delay is not None:
                assert outbox(api.session_factory)[0].status == EMAIL_QUEUED
                api.clock.now += delay
        (row,) = outbox(api.session_factory)
        assert (row.status, row.attempts, row.next_attempt_at) == (
            EMAIL_FAILED,
            MAX_ATTEMPTS,
            None,
        )
        api.clock.now += timedelta(days=1)
        assert deliver_receipt_emails(api.session_factory, sender, api.clock) == 0
    given_up = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(given_up) == 1
    assert payment["payment_id"] in given_up[0].getMessage()
    assert all(PAYER not in r.getMessage() for r in caplog.records)


def test_a_recipient_the_server_refuses_for_good_is_not_retried(
    api: Api, ctax_refs: list[str], smtp_server: LoopbackSmtpServer
) -> None:
    paid_with_email(api, ctax_refs[0])
    smtp_server.refuse(PAYER)

    assert deliver_receipt_emails(api.session_factory, sender_for(smtp_server), api.clock) == 1

    (row,) = outbox(api.session_factory)
    assert (row.status, row.attempts) == (EMAIL_FAILED, 1)
    assert row.last_error == "the SMTP server refused the recipient (550)"
    assert smtp_server.received == []


def test_send_due_now_sends_the_receipt_at_once_and_only_once(
    api: Api, ctax_refs: list[str], smtp_server: LoopbackSmtpServer
) -> None:
    first = paid_with_email(api, ctax_refs[0])
    second = paid_with_email(api, ctax_refs[1], email="bob@example.org")
    sender = sender_for(smtp_server)

    assert send_due_now(api.session_factory, sender, api.clock, first["payment_id"]) is True
    assert send_due_now(api.session_factory, sender, api.clock, first["payment_id"]) is False

    # Only the payment asked for: the other receipt is left to the worker.
    assert [email.to for email in smtp_server.wait_for(1)] == [PAYER]
    statuses = {row.payment_id: row.status for row in outbox(api.session_factory)}
    assert statuses == {first["payment_id"]: EMAIL_SENT, second["payment_id"]: EMAIL_QUEUED}


def test_send_due_now_without_smtp_settings_or_for_a_payment_without_email_does_nothing(
    api: Api, ctax_refs: list[str]
) -> None:
    with_email = paid_with_email(api, ctax_refs[0])
    without = paid_with_email(api, ctax_refs[1], email=None)
    assert send_due_now(api.session_factory, None, api.clock, with_email["payment_id"]) is False
    fake = FakeSender()
    assert send_due_now(api.session_factory, fake, api.clock, without["payment_id"]) is False
    assert fake.sent == []
    assert outbox(api.session_factory)[0].status == EMAIL_QUEUED


def test_send_due_now_never_raises_and_leaves_the_email_to_the_worker(
    api: Api, ctax_refs: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    payment = paid_with_email(api, ctax_refs[0])
    broken = FakeSender()
    broken.failing = RuntimeError("a bug in the sender")

    assert send_due_now(api.session_factory, broken, api.clock, payment["payment_id"]) is False
    assert "the worker will" in caplog.text

    broken.failing = None
    api.clock.now += LEASE_DURATION
    assert deliver_receipt_emails(api.session_factory, broken, api.clock) == 1
    assert len(broken.sent) == 1


def test_no_lock_is_held_while_the_email_is_being_sent(
    api: Api, ctax_refs: list[str], session_factory: sessionmaker[Session]
) -> None:
    paid_with_email(api, ctax_refs[0])

    class WritingSender(FakeSender):
        """Writes to the email's own row while 'sending', as another process could."""

        def send(self, message: object) -> None:
            with session_factory.begin() as session:
                if is_postgresql(session):
                    # Fail fast instead of hanging if the claim's row lock were still held.
                    session.execute(text("SET LOCAL lock_timeout = '2s'"))
                session.execute(update(EmailOutboxRow).values(last_error="touched while sending"))
            super().send(message)  # type: ignore[arg-type]

    sender = WritingSender()
    assert deliver_receipt_emails(api.session_factory, sender, api.clock) == 1
    assert len(sender.sent) == 1
    assert outbox(api.session_factory)[0].status == EMAIL_SENT


def test_a_claimed_email_is_left_alone_by_other_senders_until_its_lease_runs_out(
    api: Api, ctax_refs: list[str]
) -> None:
    paid_with_email(api, ctax_refs[0])
    with api.session_factory.begin() as session:
        (first,) = claim_due(session, now=api.clock.now, from_address=TEST_SENDER)
    with api.session_factory.begin() as session:
        assert claim_due(session, now=api.clock.now, from_address=TEST_SENDER) == []

    api.clock.now += LEASE_DURATION
    with api.session_factory.begin() as session:
        (second,) = claim_due(session, now=api.clock.now, from_address=TEST_SENDER)
    assert second.lease_token != first.lease_token
    # The first sender's record comes too late: the second's claim decides.
    with api.session_factory.begin() as session:
        record_attempt(session, first, None, permanent=False, now=api.clock.now)
    assert outbox(api.session_factory)[0].status == EMAIL_QUEUED
    with api.session_factory.begin() as session:
        record_attempt(session, second, None, permanent=False, now=api.clock.now)
    assert outbox(api.session_factory)[0].status == EMAIL_SENT


# SQLite serialises claims with its write lock, so there is nothing to pass over there.
@pytest.mark.parametrize("db_kind", ["postgresql"], indirect=True)
def test_concurrent_senders_on_postgresql_take_different_emails(
    api: Api, ctax_refs: list[str]
) -> None:
    paid_with_email(api, ctax_refs[0])
    paid_with_email(api, ctax_refs[1], email="bob@example.org")
    with api.session_factory.begin() as holding:
        (mine,) = claim_due(holding, now=api.clock.now, from_address=TEST_SENDER, limit=1)
        # Not yet committed: the other sender passes over the locked row instead of waiting.
        with api.session_factory.begin() as other:
            (theirs,) = claim_due(other, now=api.clock.now, from_address=TEST_SENDER)
    assert mine.payment_id != theirs.payment_id


def test_a_receipt_still_queued_after_a_week_is_given_up_without_sending(
    api: Api, ctax_refs: list[str]
) -> None:
    paid_with_email(api, ctax_refs[0])
    api.clock.now += MAX_RECEIPT_EMAIL_AGE + timedelta(minutes=1)
    fake = FakeSender()

    assert deliver_receipt_emails(api.session_factory, fake, api.clock) == 1

    assert fake.sent == []
    (row,) = outbox(api.session_factory)
    assert row.status == EMAIL_FAILED
    assert row.last_error is not None and "too late" in row.last_error


def test_a_temporary_refusal_is_retried(api: Api, ctax_refs: list[str]) -> None:
    paid_with_email(api, ctax_refs[0])
    fake = FakeSender()
    fake.failing = EmailNotSent("the SMTP server answered 451 try again later")

    deliver_receipt_emails(api.session_factory, fake, api.clock)

    (row,) = outbox(api.session_factory)
    assert (row.status, row.last_error) == (
        EMAIL_QUEUED,
        "the SMTP server answered 451 try again later",
    )


def test_one_pass_sends_at_most_its_limit(api: Api, ctax_refs: list[str]) -> None:
    for reference in ctax_refs:
        paid_with_email(api, reference)
    fake = FakeSender()
    assert deliver_receipt_emails(api.session_factory, fake, api.clock, limit=2) == 2
    assert deliver_receipt_emails(api.session_factory, fake, api.clock, limit=2) == 1
    assert len(fake.sent) == 3
