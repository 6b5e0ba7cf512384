from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from receipting.gateways.sandbox import cards
from receipting.gateways.sandbox.cards import Outcome

TODAY = date(2026, 11, 24)

SUCCESS_CARDS = [
    "4444333322221111",
    "4242424242424242",
    "4000056655665556",
    "5105105105105100",
    "5200828282828210",
    "371449635398431",
    "3566002020360505",
    "6011000990139424",
    "4000160000000004",
    "4988080000000000",
    "4111111111111111",
]


def _with_check_digit(payload: str) -> str:
    for digit in "0123456789":
        if cards.luhn_valid(payload + digit):
            return payload + digit
    raise AssertionError("some check digit always makes a number Luhn-valid")


@pytest.mark.parametrize("number", SUCCESS_CARDS)
def test_every_success_test_card_succeeds(number: str) -> None:
    assert cards.card_for(number).outcome == Outcome.SUCCESS


@pytest.mark.parametrize(
    ("number", "outcome"),
    [
        ("4000000000000002", Outcome.DECLINED),
        ("4000000000000069", Outcome.EXPIRED_CARD),
        ("4000000000000127", Outcome.WRONG_CVC),
        ("4000000000000119", Outcome.GATEWAY_ERROR),
        ("4000002500003155", Outcome.THREE_D_SECURE),
        ("6759649826438453", Outcome.CARD_TYPE_NOT_ACCEPTED),
    ],
)
def test_each_special_test_card_has_its_documented_outcome(number: str, outcome: Outcome) -> None:
    assert cards.card_for(number).outcome == outcome


def test_the_corporate_test_cards_are_marked_corporate() -> None:
    corporate = {number for number, card in cards.TEST_CARDS.items() if card.corporate}
    assert corporate == {"4988080000000000", "4111111111111111"}


def test_every_test_card_number_is_luhn_valid() -> None:
    assert all(cards.luhn_valid(number) for number in cards.TEST_CARDS)


def test_an_unknown_luhn_valid_card_succeeds_with_an_unknown_card_type() -> None:
    card = cards.card_for("4929000000000000")
    assert card.outcome == Outcome.SUCCESS
    assert card.card_type is None


@pytest.mark.parametrize("number", ["4242424242424241", "1234567812345678", "", "42a2"])
def test_numbers_failing_the_luhn_check_are_refused(number: str) -> None:
    assert not cards.luhn_valid(number)


@given(st.text(alphabet="0123456789", min_size=11, max_size=18))
def test_a_number_given_its_check_digit_passes_the_luhn_check(payload: str) -> None:
    assert cards.luhn_valid(_with_check_digit(payload))


@given(
    st.text(alphabet="0123456789", min_size=11, max_size=18),
    st.integers(min_value=0, max_value=18),
    st.integers(min_value=1, max_value=9),
)
def test_changing_any_one_digit_of_a_valid_number_fails_the_luhn_check(
    payload: str, position: int, change: int
) -> None:
    number = _with_check_digit(payload)
    position %= len(number)
    changed = str((int(number[position]) + change) % 10)
    assert not cards.luhn_valid(number[:position] + changed + number[position + 1 :])


@pytest.mark.parametrize(
    ("number", "brand"),
    [
        ("4444333322221111", "visa"),
        ("5105105105105100", "master-card"),
        ("2221000000000009", "master-card"),
        ("2720990000000007", "master-card"),
        ("371449635398431", "american-express"),
        ("340000000000009", "american-express"),
        ("6011000990139424", "discover"),
        ("6500000000000002", "discover"),
        ("3566002020360505", "jcb"),
        ("6759649826438453", "maestro"),
        ("5018000000000009", "maestro"),
        ("36000000000008", "diners-club"),
        ("6200000000000005", "unionpay"),
        ("9999999999999995", "unknown"),
    ],
)
def test_the_brand_is_read_from_the_leading_digits(number: str, brand: str) -> None:
    assert cards.brand_of(number) == brand


def test_a_mastercard_range_boundary_is_not_stretched() -> None:
    assert cards.brand_of("2721000000000004") == "unknown"
    assert cards.brand_of("2220000000000008") == "unknown"


def test_spaces_and_hyphens_typed_in_a_card_number_are_ignored() -> None:
    assert cards.clean_card_number("4444 3333-2222 1111") == "4444333322221111"
    assert cards.card_number_error("4444 3333 2222 1111") is None


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("", "Enter your card number"),
        ("4444x33322221111", "only digits"),
        ("42424242424", "12 to 19 digits"),
        ("4242424242424241", "not a valid card number"),
    ],
)
def test_a_wrong_card_number_is_explained(typed: str, says: str) -> None:
    problem = cards.card_number_error(typed)
    assert problem is not None
    assert says in problem


@pytest.mark.parametrize(
    ("month", "year"), [("11", "26"), ("11", "2026"), ("1", "27"), ("12", "2046")]
)
def test_an_expiry_this_month_or_later_is_accepted(month: str, year: str) -> None:
    assert cards.expiry_error(month, year, TODAY) is None


@pytest.mark.parametrize(
    ("month", "year", "says"),
    [
        ("10", "26", "in the future"),
        ("12", "2025", "in the future"),
        ("13", "27", "01 to 12"),
        ("00", "27", "01 to 12"),
        ("ab", "27", "01 to 12"),
        ("1", "202", "01 to 12"),
        ("", "27", "Enter the expiry date"),
        ("12", "2047", "too far in the future"),
    ],
)
def test_an_unusable_expiry_is_explained(month: str, year: str, says: str) -> None:
    problem = cards.expiry_error(month, year, TODAY)
    assert problem is not None
    assert says in problem


def test_the_expiry_is_kept_as_month_and_two_digit_year() -> None:
    assert cards.format_expiry("4", "2030") == "04/30"
    assert cards.format_expiry("12", "31") == "12/31"


def test_a_card_security_code_is_three_digits_or_four_on_american_express() -> None:
    assert cards.cvc_error("123", "visa") is None
    assert cards.cvc_error("1234", "american-express") is None
    assert cards.cvc_error("1234", "visa") is not None
    assert cards.cvc_error("123", "american-express") is not None
    assert cards.cvc_error("12a", "visa") is not None
    assert cards.cvc_error("", "visa") == "Enter the card security code"


def test_a_cardholder_name_is_required_and_limited_in_length() -> None:
    assert cards.cardholder_name_error("Jo Bloggs") is None
    assert cards.cardholder_name_error("   ") is not None
    assert cards.cardholder_name_error("x" * (cards.MAX_CARDHOLDER_NAME_LEN + 1)) is not None


def test_only_the_first_six_and_last_four_digits_are_kept() -> None:
    assert cards.first_digits("4444333322221111") == "444433"
    assert cards.last_digits("4444333322221111") == "1111"
