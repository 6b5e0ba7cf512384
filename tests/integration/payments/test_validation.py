"""Bad requests are refused with a P-code and the field at fault, and write nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from receipting.payments.tables import PaymentRow
from tests.integration.payments.conftest import Api, ctax_payment


def payments_count(api: Api) -> int:
    with api.session_factory() as session:
        return session.scalar(select(func.count()).select_from(PaymentRow)) or 0


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"amount": None}, 400, "P0101", "amount"),
        ({"amount": 12.5}, 422, "P0102", "amount"),
        ({"amount": -5}, 422, "P0102", "amount"),
        ({"amount": 0}, 422, "P0102", "amount"),
        ({"amount": "1000"}, 422, "P0102", "amount"),
        ({"amount": 10_000_001}, 422, "P0102", "amount"),
        ({"description": None}, 400, "P0101", "description"),
        ({"reference": "x" * 256}, 422, "P0102", "reference"),
        ({"return_url": "javascript:alert(1)"}, 422, "P0102", "return_url"),
        ({"language": "fr"}, 422, "P0102", "language"),
        ({"delayed_capture": "yes"}, 422, "P0102", "delayed_capture"),
        ({"surprise": 1}, 422, "P0102", "surprise"),
    ],
)
def test_a_bad_field_is_refused_naming_it_and_nothing_is_written(
    api: Api, ctax_refs: list[str], change: dict[str, Any], status: int, code: str, field: str
) -> None:
    body = ctax_payment(ctax_refs[0])
    body.update(change)
    body = {k: v for k, v in body.items() if v is not None}
    answer = api.create(body)
    assert (answer.status_code, answer.json["code"], answer.json["field"]) == (status, code, field)
    assert payments_count(api) == 0


def test_malformed_json_is_refused_with_p0197(api: Api) -> None:
    answer = api.client.simulate_post(
        "/v1/payments", body="{not json", headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400
    assert answer.json["code"] == "P0197"


def test_a_payment_without_a_fund_says_how_to_route_it(api: Api, ctax_refs: list[str]) -> None:
    body = ctax_payment(ctax_refs[0])
    del body["metadata"]
    answer = api.create(body)
    assert answer.status_code == 400
    assert answer.json["field"] == "metadata.fund_code"
    assert "allocations" in answer.json["description"]


def test_a_bad_reference_in_metadata_is_refused_in_the_funds_words(api: Api) -> None:
    answer = api.create(ctax_payment("771234567"))
    assert answer.status_code == 422
    assert answer.json["code"] == "P0102"
    assert answer.json["field"] == "metadata.account_reference"
    assert payments_count(api) == 0


def test_every_bad_basket_line_is_reported_at_once(api: Api, ctax_refs: list[str]) -> None:
    body = {
        **ctax_payment(ctax_refs[0], amount=3000),
        "allocations": [
            {"fund_code": "CTAX", "account_reference": ctax_refs[0], "amount": 1000},
            {"fund_code": "CTAX", "account_reference": "1234", "amount": 1000},
            {"fund_code": "NOPE", "account_reference": "X", "amount": 1000},
        ],
    }
    answer = api.create(body)
    assert answer.status_code == 422
    assert answer.json["field"] == "allocations[1].account_reference, allocations[2].fund_code"
    assert "allocations[1].account_reference:" in answer.json["description"]
    assert payments_count(api) == 0


def test_basket_lines_must_add_up_to_the_amount(api: Api, ctax_refs: list[str]) -> None:
    body = {
        **ctax_payment(ctax_refs[0], amount=3000),
        "allocations": [{"fund_code": "CTAX", "account_reference": ctax_refs[0], "amount": 1000}],
    }
    answer = api.create(body)
    assert (answer.status_code, answer.json["field"]) == (422, "allocations")


def test_an_amount_above_the_funds_maximum_is_refused(api: Api, ctax_refs: list[str]) -> None:
    answer = api.create(ctax_payment(ctax_refs[0], amount=1_000_001))
    assert (answer.status_code, answer.json["field"]) == (422, "amount")
    assert "Council tax" in answer.json["description"]


def test_an_on_stop_reference_is_refused_with_its_reason(api: Api) -> None:
    answer = api.create(ctax_payment("779900017"))
    assert answer.status_code == 422
    assert "closed" in answer.json["description"]


def test_a_key_without_the_write_scope_cannot_create(make_api: Any, ctax_refs: list[str]) -> None:
    from receipting.auth.scopes import Scope

    reader = make_api(scopes=(Scope.PAYMENTS_READ,))
    answer = reader.create(ctax_payment(ctax_refs[0]))
    assert answer.status_code == 403


def test_a_phone_payment_to_a_fund_not_payable_by_phone_is_refused(api: Api) -> None:
    body = {
        "amount": 1000,
        "reference": "PLAN",
        "description": "Planning fee",
        "return_url": "https://www.example-council.test/paid",
        "moto": True,
        "metadata": {"fund_code": "PLANNING", "account_reference": "2026/01234/FUL"},
    }
    answer = api.create(body)
    assert (answer.status_code, answer.json["field"]) == (422, "metadata.fund_code")
    assert "phone" in answer.json["description"]
    assert payments_count(api) == 0
