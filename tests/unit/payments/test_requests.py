"""Reading a create-payment body: pure checks, each naming its field."""

from __future__ import annotations

from typing import Any

import pytest

from receipting.payments.errors import InvalidField, MissingField
from receipting.payments.requests import body_hash, parse_create, parse_refund


def body(**change: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "amount": 1000,
        "reference": "R1",
        "description": "Council tax",
        "return_url": "https://example.test/done",
        "metadata": {"fund_code": "CTAX", "account_reference": "771234561"},
    }
    base.update(change)
    return base


def test_metadata_routes_a_plain_govuk_pay_body_into_one_fund() -> None:
    request = parse_create(body())
    assert request.routed_by_metadata
    assert [(a.fund_code, a.account_reference, a.amount_pence) for a in request.allocations] == [
        ("CTAX", "771234561", 1000)
    ]


def test_allocations_split_the_amount() -> None:
    lines = [
        {"fund_code": "CTAX", "account_reference": "A", "amount": 400},
        {"fund_code": "PEST", "account_reference": "B", "amount": 600, "narrative": "Wasps"},
    ]
    request = parse_create(body(allocations=lines))
    assert not request.routed_by_metadata
    assert [a.amount_pence for a in request.allocations] == [400, 600]


def test_an_unknown_field_in_a_basket_line_is_named_with_its_index() -> None:
    lines = [{"fund_code": "CTAX", "account_reference": "A", "amount": 1000, "vat": 1}]
    with pytest.raises(InvalidField) as refused:
        parse_create(body(allocations=lines))
    assert refused.value.field == "allocations[0].vat"


def test_a_true_is_not_an_amount() -> None:
    with pytest.raises(InvalidField) as refused:
        parse_create(body(amount=True))
    assert refused.value.field == "amount"


def test_a_refund_without_an_amount_is_p0601() -> None:
    with pytest.raises(MissingField) as refused:
        parse_refund({})
    assert (refused.value.code, refused.value.field) == ("P0601", "amount")


def test_the_same_body_in_another_key_order_hashes_the_same() -> None:
    assert body_hash({"a": 1, "b": 2}) == body_hash({"b": 2, "a": 1})
    assert body_hash({"a": 1}) != body_hash({"a": 2})
