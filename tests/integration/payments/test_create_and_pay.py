"""Creating a payment, paying it on the sandbox card page, and what that records."""

from __future__ import annotations

from sqlalchemy import select

from receipting.payments.tables import PaymentEventRow
from tests.integration.payments.conftest import (
    DECLINED_CARD,
    ERROR_CARD,
    PUBLIC_URL,
    RETURN_URL,
    Api,
    ctax_payment,
)


def test_a_new_payment_is_created_with_a_card_page_to_send_the_payer_to(
    api: Api, ctax_refs: list[str]
) -> None:
    answer = api.create(ctax_payment(ctax_refs[0]))
    assert answer.status_code == 201, answer.json
    body = answer.json
    assert len(body["payment_id"]) == 26
    assert body["state"] == {"status": "created", "finished": False}
    assert body["amount"] == 12345
    assert body["return_url"] == RETURN_URL
    assert body["payment_provider"] == "sandbox"
    assert body["_links"]["self"]["href"] == f"{PUBLIC_URL}/v1/payments/{body['payment_id']}"
    assert body["_links"]["next_url"]["href"].startswith(f"{PUBLIC_URL}/sandbox-gateway/pay/")
    assert body["refund_summary"] == {
        "status": "pending",
        "amount_available": 0,
        "amount_submitted": 0,
    }
    assert body["allocations"][0]["fund_code"] == "CTAX"
    assert answer.headers["location"] == body["_links"]["self"]["href"]


def test_a_paid_payment_succeeds_posts_one_ledger_entry_and_gets_a_receipt(
    api: Api, ctax_refs: list[str]
) -> None:
    payment = api.paid(ctax_payment(ctax_refs[0]))
    assert payment["state"] == {"status": "success", "finished": True}
    assert payment["receipt_number"].startswith("R-2026-")
    assert payment["card_details"]["last_digits_card_number"] == "1111"
    assert payment["refund_summary"]["status"] == "available"
    assert api.ledger.balance("CARD-CLR-SANDBOX") == 12345
    assert api.ledger.balance("FUND-CTAX") == -12345
    assert api.ledger.sub_account_balance("FUND-CTAX", ctax_refs[0]) == -12345
    assert api.ledger.trial_balance().total_pence == 0
    events = api.get(f"/v1/payments/{payment['payment_id']}/events").json["events"]
    assert [e["state"]["status"] for e in events] == ["created", "started", "submitted", "success"]
    assert events[-1]["receipt_number"] == payment["receipt_number"]


def test_getting_a_paid_payment_again_posts_nothing_more(api: Api, ctax_refs: list[str]) -> None:
    payment = api.paid(ctax_payment(ctax_refs[0]))
    again = api.get(f"/v1/payments/{payment['payment_id']}").json
    assert again["receipt_number"] == payment["receipt_number"]
    assert api.ledger.balance("CARD-CLR-SANDBOX") == 12345


def test_a_declined_card_fails_the_payment_with_p0010_and_posts_nothing(
    api: Api, ctax_refs: list[str]
) -> None:
    payment = api.paid(ctax_payment(ctax_refs[0]), card=DECLINED_CARD)
    assert payment["state"]["status"] == "failed"
    assert payment["state"]["code"] == "P0010"
    assert "receipt_number" not in payment
    assert payment["refund_summary"]["status"] == "unavailable"
    assert api.ledger.balance("CARD-CLR-SANDBOX") == 0


def test_a_gateway_error_ends_the_payment_in_error_with_p0050(
    api: Api, ctax_refs: list[str]
) -> None:
    payment = api.paid(ctax_payment(ctax_refs[0]), card=ERROR_CARD)
    assert payment["state"]["status"] == "error"
    assert payment["state"]["code"] == "P0050"


def test_a_basket_splits_one_payment_across_funds_net_of_vat(
    api: Api, ctax_refs: list[str], pest_ref: str
) -> None:
    body = {
        **ctax_payment(ctax_refs[0], amount=15000),
        "allocations": [
            {"fund_code": "CTAX", "account_reference": ctax_refs[0], "amount": 9000},
            {
                "fund_code": "PEST",
                "account_reference": pest_ref,
                "amount": 6000,
                "narrative": "Wasp nest",
            },
        ],
    }
    payment = api.paid(body)
    assert payment["state"]["status"] == "success"
    assert api.ledger.balance("CARD-CLR-SANDBOX") == 15000
    assert api.ledger.balance("FUND-CTAX") == -9000
    assert api.ledger.balance("FUND-PEST-CONTROL") == -5000
    vat = payment["allocations"][1]["vat_amount"]
    assert vat == 1000
    assert api.ledger.trial_balance().total_pence == 0


def test_every_transition_is_recorded_as_an_event(api: Api, ctax_refs: list[str]) -> None:
    payment = api.paid(ctax_payment(ctax_refs[0]))
    with api.session_factory() as session:
        statuses = session.scalars(
            select(PaymentEventRow.status)
            .where(PaymentEventRow.payment_id == payment["payment_id"])
            .order_by(PaymentEventRow.id)
        ).all()
    assert statuses == ["created", "started", "submitted", "success"]
