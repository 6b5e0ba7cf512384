"""Refunds: partial and full, never more than remains, and the ledger reversed in proportion."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.integration.payments.conftest import Api, MakeApi, ctax_payment


def refund(api: Api, payment_id: str, amount: int, available: int) -> Any:
    return api.post(
        f"/v1/payments/{payment_id}/refunds",
        {"amount": amount, "refund_amount_available": available},
    )


def basket(ctax_ref: str, pest_ref: str) -> dict[str, Any]:
    return {
        **ctax_payment(ctax_ref, amount=10001),
        "allocations": [
            {"fund_code": "CTAX", "account_reference": ctax_ref, "amount": 3333},
            {"fund_code": "PEST", "account_reference": pest_ref, "amount": 6668},
        ],
    }


def test_a_partial_refund_succeeds_and_reduces_what_is_available(
    api: Api, ctax_refs: list[str]
) -> None:
    payment = api.paid(ctax_payment(ctax_refs[0], amount=10000))
    answer = refund(api, payment["payment_id"], 2500, 10000)
    assert answer.status_code == 202, answer.json
    assert answer.json["status"] == "success"
    assert answer.json["amount"] == 2500
    after = api.get(f"/v1/payments/{payment['payment_id']}").json
    assert after["refund_summary"] == {
        "status": "available",
        "amount_available": 7500,
        "amount_submitted": 2500,
    }
    assert api.ledger.balance("FUND-CTAX") == -7500
    assert api.ledger.balance("CARD-CLR-SANDBOX") == 7500
    listed = api.get(f"/v1/payments/{payment['payment_id']}/refunds").json
    assert [r["refund_id"] for r in listed["_embedded"]["refunds"]] == [answer.json["refund_id"]]
    one = api.get(f"/v1/payments/{payment['payment_id']}/refunds/{answer.json['refund_id']}")
    assert one.json["amount"] == 2500


def test_partial_refunds_of_a_basket_add_up_to_every_penny_of_each_fund_and_vat(
    api: Api, ctax_refs: list[str], pest_ref: str
) -> None:
    payment = api.paid(basket(ctax_refs[0], pest_ref))
    payment_id = payment["payment_id"]
    available = 10001
    for amount in (1, 333, 4000, 2, 5665):
        assert refund(api, payment_id, amount, available).json["status"] == "success"
        available -= amount
        assert api.ledger.trial_balance().total_pence == 0
    assert available == 0
    for account in ("FUND-CTAX", "FUND-PEST-CONTROL", "CARD-CLR-SANDBOX"):
        assert api.ledger.balance(account) == 0, account
    after = api.get(f"/v1/payments/{payment_id}").json
    assert after["refund_summary"]["status"] == "full"


def test_refund_amount_available_must_match_or_412_p0604(api: Api, ctax_refs: list[str]) -> None:
    payment = api.paid(ctax_payment(ctax_refs[0], amount=10000))
    answer = refund(api, payment["payment_id"], 100, 9999)
    assert (answer.status_code, answer.json["code"]) == (412, "P0604")


def test_more_than_remains_cannot_be_refunded(api: Api, ctax_refs: list[str]) -> None:
    payment = api.paid(ctax_payment(ctax_refs[0], amount=10000))
    answer = refund(api, payment["payment_id"], 10001, 10000)
    assert (answer.status_code, answer.json["code"], answer.json["field"]) == (
        412,
        "P0603",
        "amount",
    )


def test_an_unfinished_payment_is_not_refundable(api: Api, ctax_refs: list[str]) -> None:
    created = api.create(ctax_payment(ctax_refs[0])).json
    answer = refund(api, created["payment_id"], 1, 0)
    assert (answer.status_code, answer.json["code"]) == (412, "P0603")


def test_a_refund_of_nothing_is_refused(api: Api, ctax_refs: list[str]) -> None:
    payment = api.paid(ctax_payment(ctax_refs[0], amount=10000))
    answer = refund(api, payment["payment_id"], 0, 10000)
    assert (answer.status_code, answer.json["code"]) == (422, "P0602")


def test_refunds_are_searchable_by_the_owning_service(api: Api, ctax_refs: list[str]) -> None:
    payment = api.paid(ctax_payment(ctax_refs[0], amount=10000))
    refund(api, payment["payment_id"], 100, 10000)
    found = api.get("/v1/refunds").json
    assert (found["total"], found["results"][0]["amount"]) == (1, 100)


@pytest.mark.postgres_only
@pytest.mark.parametrize("db_kind", ["postgresql"], indirect=True)
def test_two_refunds_racing_never_refund_more_than_the_payment(
    make_api: MakeApi, ctax_refs: list[str], db_kind: str
) -> None:
    """Concurrency is tested on PostgreSQL (SQLite serialises writers)."""
    api = make_api()
    payment = api.paid(ctax_payment(ctax_refs[0], amount=10000))
    start = threading.Barrier(4)
    statuses: list[int] = []

    def take() -> None:
        start.wait()
        answer = api.post(f"/v1/payments/{payment['payment_id']}/refunds", {"amount": 6000})
        statuses.append(answer.status_code)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [202, 412, 412, 412]
    assert api.ledger.balance("FUND-CTAX") == -4000
