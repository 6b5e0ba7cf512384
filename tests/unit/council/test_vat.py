"""VAT extracted from VAT-inclusive amounts, by integer arithmetic and one named rounding rule."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from receipting.council.vat import (
    BASIS_POINTS_PER_WHOLE,
    MAX_VAT_RATE_BASIS_POINTS,
    ROUND_HALF_UP_TO_PENNY,
    NoRateInForce,
    VatRate,
    extract_vat,
    rate_on,
)

STANDARD = (
    VatRate(date(2008, 12, 1), 1500),
    VatRate(date(2011, 1, 4), 2000),
    VatRate(date(2010, 1, 1), 1750),
)


def test_ninety_pounds_at_twenty_percent_is_seventy_five_net_and_fifteen_vat() -> None:
    extraction = extract_vat(9_000, 2000)
    assert (extraction.net_pence, extraction.vat_pence) == (7_500, 1_500)
    assert extraction.rounding == ROUND_HALF_UP_TO_PENNY


def test_an_exact_half_penny_of_vat_rounds_up() -> None:
    # 3p at 20% holds 0.5p of VAT exactly.
    assert extract_vat(3, 2000).vat_pence == 1
    # 1p at 20% holds 0.1666p: rounds down.
    assert extract_vat(1, 2000).vat_pence == 0


def test_a_refund_extracts_exactly_the_vat_its_payment_did_with_the_sign_turned() -> None:
    assert extract_vat(-3, 2000).vat_pence == -1
    assert extract_vat(-9_000, 2000).net_pence == -7_500


def test_exempt_and_outside_scope_amounts_carry_no_vat() -> None:
    assert extract_vat(12_345, 0).vat_pence == 0


def test_a_rate_outside_zero_to_one_hundred_percent_is_refused() -> None:
    with pytest.raises(ValueError):
        extract_vat(100, MAX_VAT_RATE_BASIS_POINTS + 1)


def test_the_rate_in_force_is_the_latest_to_take_effect_on_or_before_the_day() -> None:
    assert rate_on(STANDARD, date(2011, 1, 3)).rate_basis_points == 1750
    assert rate_on(STANDARD, date(2011, 1, 4)).rate_basis_points == 2000
    assert rate_on(STANDARD, date(2009, 6, 30)).rate_basis_points == 1500


def test_a_day_before_any_rate_took_effect_has_no_rate() -> None:
    with pytest.raises(NoRateInForce):
        rate_on(STANDARD, date(2000, 1, 1))


@given(st.integers(-(10**12), 10**12), st.integers(0, MAX_VAT_RATE_BASIS_POINTS))
def test_net_and_vat_always_add_up_to_the_gross(gross: int, rate: int) -> None:
    extraction = extract_vat(gross, rate)
    assert extraction.net_pence + extraction.vat_pence == gross


@given(st.integers(0, 10**12), st.integers(0, MAX_VAT_RATE_BASIS_POINTS))
def test_the_vat_is_within_half_a_penny_of_the_exact_fraction(gross: int, rate: int) -> None:
    vat = extract_vat(gross, rate).vat_pence
    denominator = BASIS_POINTS_PER_WHOLE + rate
    # |vat - gross*rate/denominator| <= 1/2, in integers.
    assert abs(2 * (vat * denominator - gross * rate)) <= denominator


@given(st.integers(0, 10**12), st.integers(0, MAX_VAT_RATE_BASIS_POINTS))
def test_a_refund_of_the_whole_amount_nets_the_vat_to_zero(gross: int, rate: int) -> None:
    assert extract_vat(gross, rate).vat_pence + extract_vat(-gross, rate).vat_pence == 0
