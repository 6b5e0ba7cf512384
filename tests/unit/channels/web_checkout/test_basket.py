"""The basket: items added, changed and removed within its limits, and sealed into a cookie that
stays small enough for every browser."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from channels.web_checkout.basket import (
    MAX_ATTEMPTS,
    MAX_BASKET_ITEMS,
    MAX_BASKET_TOTAL_PENCE,
    Basket,
    BasketCookie,
    from_payload,
    new_basket,
    to_payload,
)
from channels.web_checkout.errors import BasketItemNotFound, BasketProblem, BasketRefused
from receipting.council.config import MAX_CODE_LEN
from receipting.council.references import MAX_REFERENCE_LEN
from receipting.payments.ids import new_id
from receipting.web.cookies import MAX_COOKIE_BYTES
from receipting.web.csrf import new_csrf_seed

SECRET = b"unit-test-secret-key-0123456789abcdef"
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
MAX_AGE_S = 4 * 60 * 60


def basket() -> Basket:
    return new_basket(new_csrf_seed())


def test_items_add_up_to_the_total() -> None:
    full = basket().add("CTAX", "771234561", 12_345).add("PCN", "BJ12345673", 7_000)
    assert [item.fund_code for item in full.items] == ["CTAX", "PCN"]
    assert full.total_pence == 19_345


def test_the_same_bill_sent_twice_with_the_same_amount_changes_nothing() -> None:
    once = basket().add("CTAX", "771234561", 12_345)
    assert once.add("CTAX", "771234561", 12_345) is once


def test_the_same_bill_with_another_amount_is_refused_pointing_at_change() -> None:
    once = basket().add("CTAX", "771234561", 12_345)
    with pytest.raises(BasketRefused) as refused:
        once.add("CTAX", "771234561", 100)
    assert refused.value.problem is BasketProblem.DUPLICATE
    assert "Change" in refused.value.message


def test_the_same_reference_in_another_fund_is_another_bill() -> None:
    both = basket().add("CTAX", "771234561", 100).add("NNDR", "771234561", 100)
    assert len(both.items) == 2


def test_no_more_than_the_most_items_fit_in_one_basket() -> None:
    full = basket()
    for n in range(MAX_BASKET_ITEMS):
        full = full.add("CTAX", f"REF{n}", 100)
    with pytest.raises(BasketRefused) as refused:
        full.add("CTAX", "ONE-MORE", 100)
    assert refused.value.problem is BasketProblem.FULL
    assert refused.value.limit == MAX_BASKET_ITEMS


def test_the_total_may_not_exceed_one_card_payment() -> None:
    big = basket().add("NNDR", "560123456", MAX_BASKET_TOTAL_PENCE)
    with pytest.raises(BasketRefused) as refused:
        big.add("CTAX", "771234561", 1)
    assert refused.value.problem is BasketProblem.TOTAL_TOO_LARGE


def test_an_item_is_changed_in_place_and_removed_by_its_id() -> None:
    two = basket().add("CTAX", "771234561", 100).add("PCN", "BJ12345673", 200)
    first, second = two.items
    changed = two.change(first.item_id, "CTAX", "770045120", 300)
    assert [(i.reference, i.amount_pence) for i in changed.items] == [
        ("770045120", 300),
        ("BJ12345673", 200),
    ]
    assert changed.items[0].item_id == first.item_id
    removed = changed.remove(first.item_id)
    assert removed.items == (second,)


def test_changing_an_item_into_another_items_bill_is_refused() -> None:
    two = basket().add("CTAX", "771234561", 100).add("CTAX", "770045120", 200)
    with pytest.raises(BasketRefused) as refused:
        two.change(two.items[1].item_id, "CTAX", "771234561", 200)
    assert refused.value.problem is BasketProblem.DUPLICATE


def test_an_item_that_is_not_there_is_not_found() -> None:
    with pytest.raises(BasketItemNotFound):
        basket().remove("deadbeef")


def test_a_payment_belongs_to_the_contents_it_was_made_for() -> None:
    paying = basket().add("CTAX", "771234561", 100).with_email("a@example.com")
    started = paying.payment_started(new_id())
    assert started.holds_payment_for_contents()
    assert not started.with_email(None).holds_payment_for_contents()
    assert not started.add("PCN", "BJ12345673", 100).holds_payment_for_contents()


def test_after_a_success_the_basket_is_empty_but_the_receipt_is_kept() -> None:
    payment_id = new_id()
    started = basket().add("CTAX", "771234561", 100).payment_started(payment_id)
    paid = started.paid(payment_id)
    assert paid.is_empty and paid.email is None and paid.payment_id is None
    assert paid.receipt_payment_id == payment_id
    assert paid.csrf_seed == started.csrf_seed


def test_a_basket_survives_the_cookie_unchanged() -> None:
    original = (
        basket()
        .add("CTAX", "771234561", 12_345)
        .with_email("ann@example.com")
        .payment_started(new_id())
        .next_attempt()
    )
    cookie = BasketCookie(SECRET, max_age_s=MAX_AGE_S)
    assert cookie.open(cookie.seal(original, NOW), NOW) == original


def test_a_cookie_past_its_lifetime_or_sealed_with_another_key_opens_as_nothing() -> None:
    sealed = BasketCookie(SECRET, max_age_s=MAX_AGE_S).seal(basket(), NOW)
    cookie = BasketCookie(SECRET, max_age_s=MAX_AGE_S)
    assert cookie.open(sealed, NOW + timedelta(seconds=MAX_AGE_S + 1)) is None
    other = BasketCookie(b"another-secret-key-0123456789abcdef", max_age_s=MAX_AGE_S)
    assert other.open(sealed, NOW) is None
    assert cookie.open(None, NOW) is None


@pytest.mark.parametrize(
    "change",
    [
        {"v": 2},
        {"s": ""},
        {"i": "not a list"},
        {"i": [["id", "CTAX", "771234561", 0]]},
        {"i": [["id", "CTAX", "771234561", True]]},
        {"i": [["id", "CTAX", "771234561"]]},
        {"p": "not-a-payment-id"},
        {"n": -1},
        {"e": 5},
    ],
)
def test_a_payload_of_another_shape_reads_as_no_basket(change: dict[str, object]) -> None:
    payload = to_payload(basket().add("CTAX", "771234561", 100))
    assert from_payload(payload) is not None
    assert from_payload({**payload, **change}) is None


def test_the_fullest_possible_basket_still_fits_in_a_cookie() -> None:
    """MAX_BASKET_ITEMS items with the longest fund codes and references, the longest email, a
    payment in progress and a receipt: the sealed cookie stays under what browsers keep."""
    fullest = basket()
    for n in range(MAX_BASKET_ITEMS):
        fund_code = f"{n}".rjust(MAX_CODE_LEN, "F")
        reference = f"{n}".rjust(MAX_REFERENCE_LEN, "9")
        fullest = fullest.add(fund_code, reference, MAX_BASKET_TOTAL_PENCE // MAX_BASKET_ITEMS)
    fullest = fullest.with_email("e" * 242 + "@example.com").payment_started(new_id())
    fullest = replace(fullest, attempt=MAX_ATTEMPTS, receipt_payment_id=new_id())
    sealed = BasketCookie(SECRET, max_age_s=MAX_AGE_S).seal(fullest, NOW)
    assert len(sealed) < MAX_COOKIE_BYTES
    assert len(f"checkout={sealed}; Path=/; Max-Age={MAX_AGE_S}; Secure; HttpOnly") < 4096
