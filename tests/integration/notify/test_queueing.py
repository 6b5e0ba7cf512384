"""A payment that succeeds with an email address queues exactly one receipt email, in the same
transaction; nothing else queues one."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.exc import IntegrityError

from receipting.notify.outbox import queue_receipt_email
from receipting.notify.tables import EMAIL_QUEUED, KIND_RECEIPT, EmailOutboxRow
from receipting.payments.tables import PaymentRow
from tests.integration.notify.conftest import PAYER, outbox, paid_with_email
from tests.integration.payments.conftest import SERVICE, Api, ctax_payment


@dataclass(frozen=True)
class PaymentFields:
    """A payment's fields without its row: what a caller holding only those passes."""

    id: str
    email: str | None
    language: str


def test_a_successful_payment_with_an_email_queues_one_receipt_email_due_now(
    api: Api, ctax_refs: list[str]
) -> None:
    payment = paid_with_email(api, ctax_refs[0])
    assert payment["state"]["status"] == "success"
    (row,) = outbox(api.session_factory)
    assert row.kind == KIND_RECEIPT
    assert row.payment_id == payment["payment_id"]
    assert row.recipient == PAYER
    assert row.language == "en"
    assert row.status == EMAIL_QUEUED
    assert row.attempts == 0
    assert row.next_attempt_at == api.clock.now
    assert row.created_at == api.clock.now
    assert row.sent_at is None and row.last_error is None


def test_a_welsh_payment_queues_its_receipt_in_welsh(api: Api, ctax_refs: list[str]) -> None:
    paid_with_email(api, ctax_refs[0], language="cy")
    (row,) = outbox(api.session_factory)
    assert row.language == "cy"


def test_syncing_and_reading_a_successful_payment_again_queues_nothing_more(
    api: Api, ctax_refs: list[str]
) -> None:
    payment = paid_with_email(api, ctax_refs[0])
    for _ in range(2):
        api.payments.sync(SERVICE, payment["payment_id"])
        assert api.get(f"/v1/payments/{payment['payment_id']}").status_code == 200
    assert len(outbox(api.session_factory)) == 1


def test_a_delayed_capture_queues_the_receipt_at_capture_and_only_once(
    api: Api, ctax_refs: list[str]
) -> None:
    payment = paid_with_email(api, ctax_refs[0], delayed_capture=True)
    assert payment["state"]["status"] == "capturable"
    assert outbox(api.session_factory) == []
    path = f"/v1/payments/{payment['payment_id']}/capture"
    assert api.post(path).status_code == 204
    assert api.post(path).status_code == 400  # already captured: refused, nothing queued
    (row,) = outbox(api.session_factory)
    assert row.payment_id == payment["payment_id"]


def test_a_payment_without_an_email_queues_no_email(api: Api, ctax_refs: list[str]) -> None:
    payment = paid_with_email(api, ctax_refs[0], email=None)
    assert payment["state"]["status"] == "success"
    assert outbox(api.session_factory) == []


def test_a_declined_payment_queues_no_email(api: Api, ctax_refs: list[str]) -> None:
    from tests.integration.payments.conftest import DECLINED_CARD

    created = api.create({**ctax_payment(ctax_refs[0]), "email": PAYER})
    api.pay(created.json, DECLINED_CARD)
    assert api.get(f"/v1/payments/{created.json['payment_id']}").json["state"]["status"] == (
        "failed"
    )
    assert outbox(api.session_factory) == []


def test_queueing_the_same_receipt_again_adds_nothing(api: Api, ctax_refs: list[str]) -> None:
    payment = paid_with_email(api, ctax_refs[0])
    with api.session_factory.begin() as session:
        row = session.get(PaymentRow, payment["payment_id"])
        assert row is not None
        assert queue_receipt_email(session, row, api.clock.now) is False
    assert len(outbox(api.session_factory)) == 1


def test_the_database_refuses_a_second_receipt_email_for_one_payment(
    api: Api, ctax_refs: list[str]
) -> None:
    payment = paid_with_email(api, ctax_refs[0])
    with pytest.raises(IntegrityError), api.session_factory.begin() as session:
        session.add(
            EmailOutboxRow(
                kind=KIND_RECEIPT,
                payment_id=payment["payment_id"],
                recipient="someone.else@example.org",
                language="en",
                status=EMAIL_QUEUED,
                attempts=0,
                next_attempt_at=api.clock.now,
                created_at=api.clock.now,
            )
        )


def test_an_email_queued_in_a_transaction_that_rolls_back_is_gone_with_it(
    api: Api, ctax_refs: list[str]
) -> None:
    payment = paid_with_email(api, ctax_refs[0], email=None)
    fields = PaymentFields(id=payment["payment_id"], email=PAYER, language="cy")
    with api.session_factory() as session, session.begin():
        assert queue_receipt_email(session, fields, api.clock.now) is True
        session.rollback()
    assert outbox(api.session_factory) == []
