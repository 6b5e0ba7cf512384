"""`SmtpSender` against a real SMTP server on loopback: what it sends, and every failure turned
into EmailNotSent with a short description that holds no address and no password."""

from __future__ import annotations

from dataclasses import replace
from email.message import EmailMessage

import pytest

from receipting.notify.errors import EmailNotSent
from receipting.notify.smtp import SmtpSender, smtp_sender
from receipting.settings import Settings
from tests.support.smtp_server import TEST_SENDER, LoopbackSmtpServer, free_port

PASSWORD = "correct-horse-battery-staple"


def message(to: str = "ann.payer@example.org") -> EmailMessage:
    email = EmailMessage()
    email["From"] = TEST_SENDER
    email["To"] = to
    email["Subject"] = "Cyngor Sir Ynys Môn: derbynneb R-2026-000001"
    email.set_content("Swm: £12.50\n")
    return email


def test_a_message_is_handed_over_intact(smtp_server: LoopbackSmtpServer) -> None:
    SmtpSender(smtp_server.settings()).send(message())
    (received,) = smtp_server.wait_for(1)
    assert received.subject == "Cyngor Sir Ynys Môn: derbynneb R-2026-000001"
    assert received.text == "Swm: £12.50\n"


def test_a_server_that_is_not_listening_is_a_temporary_failure() -> None:
    port = free_port()
    settings = replace(LoopbackSmtpServer(port).settings(), password=PASSWORD)
    with pytest.raises(EmailNotSent) as caught:
        SmtpSender(settings, timeout_s=2.0).send(message())
    assert not caught.value.permanent
    assert f"127.0.0.1:{port}" in caught.value.description
    assert "ConnectionRefusedError" in caught.value.description
    assert PASSWORD not in caught.value.description


def test_asking_for_starttls_from_a_server_without_it_fails_rather_than_sending_in_clear(
    smtp_server: LoopbackSmtpServer,
) -> None:
    settings = replace(smtp_server.settings(), starttls=True)
    with pytest.raises(EmailNotSent, match="STARTTLS") as caught:
        SmtpSender(settings, timeout_s=2.0).send(message())
    assert not caught.value.permanent
    assert smtp_server.received == []


def test_a_refused_recipient_is_permanent_and_its_address_is_not_kept(
    smtp_server: LoopbackSmtpServer,
) -> None:
    smtp_server.refuse("gone@example.org")
    with pytest.raises(EmailNotSent) as caught:
        SmtpSender(smtp_server.settings()).send(message(to="gone@example.org"))
    assert caught.value.permanent
    assert "gone@example.org" not in caught.value.description


def test_without_smtp_settings_there_is_no_sender() -> None:
    assert smtp_sender(Settings()) is None
