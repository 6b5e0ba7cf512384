"""Amounts as people type them, read into integer pence without ever touching a float."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from channels.web_checkout.errors import AmountProblem, AmountRefused
from channels.web_checkout.money import (
    MAX_AMOUNT_TEXT_LEN,
    format_for_input,
    parse_payable,
    parse_pounds,
)
from receipting.web.i18n import format_pounds

# Far beyond any fund's maximum, to show the parsing itself has no ceiling of its own.
LARGEST_TRIED_PENCE = 10**15


@pytest.mark.parametrize(
    ("typed", "pence"),
    [
        ("£1,234.50", 123450),
        ("1234.5", 123450),
        ("12", 1200),
        ("12.50", 1250),
        (" £ 12 ", 1200),
        ("£12.5", 1250),
        ("0.01", 1),
        (".5", 50),
        ("12.", 1200),
        ("1,000,000", 100_000_000),
        ("\t£3\n", 300),
    ],
)
def test_amounts_as_people_type_them_are_read_as_pence(typed: str, pence: int) -> None:
    assert parse_pounds(typed) == pence


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("", AmountProblem.EMPTY),
        ("   ", AmountProblem.EMPTY),
        ("£", AmountProblem.EMPTY),
        ("-5", AmountProblem.NEGATIVE),
        ("-£5.00", AmountProblem.NEGATIVE),
        ("£-5", AmountProblem.NEGATIVE),
        ("12.345", AmountProblem.TOO_MANY_DECIMALS),
        ("0.001", AmountProblem.TOO_MANY_DECIMALS),
        ("twelve", AmountProblem.NOT_A_NUMBER),
        ("12a", AmountProblem.NOT_A_NUMBER),
        ("12,50", AmountProblem.NOT_A_NUMBER),
        ("1,23,456", AmountProblem.NOT_A_NUMBER),
        ("1 234", AmountProblem.NOT_A_NUMBER),
        ("1e3", AmountProblem.NOT_A_NUMBER),
        ("12.5.0", AmountProblem.NOT_A_NUMBER),
        (".", AmountProblem.NOT_A_NUMBER),
        ("$12", AmountProblem.NOT_A_NUMBER),
        ("١٢", AmountProblem.NOT_A_NUMBER),
        ("NaN", AmountProblem.NOT_A_NUMBER),
        ("1" * (MAX_AMOUNT_TEXT_LEN + 1), AmountProblem.NOT_A_NUMBER),
        ("0", AmountProblem.ZERO),
        ("£0.00", AmountProblem.ZERO),
    ],
)
def test_what_is_not_a_payable_amount_is_refused_with_its_kind_of_problem(
    typed: str, problem: AmountProblem
) -> None:
    with pytest.raises(AmountRefused) as refused:
        parse_pounds(typed)
    assert refused.value.problem is problem
    assert refused.value.field == "amount"


def test_more_than_the_funds_maximum_is_refused_naming_the_maximum_in_pounds() -> None:
    with pytest.raises(AmountRefused) as refused:
        parse_payable("£500.01", 50_000)
    assert refused.value.problem is AmountProblem.TOO_LARGE
    assert refused.value.maximum_pence == 50_000
    assert "£500.00" in refused.value.message
    assert parse_payable("£500.00", 50_000) == 50_000


@given(st.integers(min_value=1, max_value=LARGEST_TRIED_PENCE))
def test_every_amount_shown_in_pounds_reads_back_as_the_same_pence(pence: int) -> None:
    assert parse_pounds(format_pounds(pence)) == pence
    assert parse_pounds(format_for_input(pence)) == pence


@given(
    st.integers(min_value=0, max_value=10**9),
    st.integers(min_value=0, max_value=99),
    st.booleans(),
    st.booleans(),
)
def test_pounds_and_pence_however_written_are_read_exactly(
    pounds: int, pence: int, pound_sign: bool, commas: bool
) -> None:
    whole = f"{pounds:,}" if commas else str(pounds)
    typed = f"{'£' if pound_sign else ''}{whole}.{pence:02d}"
    expected = pounds * 100 + pence
    if expected == 0:
        with pytest.raises(AmountRefused):
            parse_pounds(typed)
    else:
        assert parse_pounds(typed) == expected


@given(st.text(max_size=40))
def test_any_text_at_all_is_either_a_positive_amount_or_a_refusal(typed: str) -> None:
    try:
        pence = parse_pounds(typed)
    except AmountRefused as refused:
        assert refused.problem in AmountProblem
    else:
        assert isinstance(pence, int) and pence > 0
