from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from receipting.gateways.sandbox.settlement import (
    FEE_FIXED_PENCE,
    fee_pence_for,
    payout_ref_for,
)


@pytest.mark.parametrize(
    ("gross_pence", "fee_pence"),
    [
        (10_000, 170),  # £100: 150p + 20p
        (12_345, 205),  # 185.175p rounds to 185p
        (100, 22),  # 1.5p rounds half up to 2p
        (33, 20),  # 0.495p rounds to 0p
        (34, 21),  # 0.51p rounds to 1p
        (10_000_000, 150_020),  # GOV.UK Pay's largest payment, £100,000
    ],
)
def test_the_fee_is_one_and_a_half_percent_rounded_half_up_plus_twenty_pence(
    gross_pence: int, fee_pence: int
) -> None:
    assert fee_pence_for(gross_pence) == fee_pence


def test_the_fee_never_exceeds_the_payment() -> None:
    assert fee_pence_for(0) == 0
    assert fee_pence_for(5) == 5
    assert fee_pence_for(FEE_FIXED_PENCE) == FEE_FIXED_PENCE


def test_a_negative_amount_has_no_fee_and_is_refused() -> None:
    with pytest.raises(ValueError, match="not refunds"):
        fee_pence_for(-1)


@given(st.integers(min_value=0, max_value=10**12))
def test_the_fee_is_within_half_a_penny_of_the_exact_rate(gross_pence: int) -> None:
    fee = fee_pence_for(gross_pence)
    exact_tenths_of_basis = FEE_FIXED_PENCE * 10_000 + gross_pence * 150
    if fee < gross_pence:
        assert abs(fee * 10_000 - exact_tenths_of_basis) <= 5_000
    assert 0 <= fee <= gross_pence


def test_a_days_payout_reference_is_the_same_every_time_it_is_asked_for() -> None:
    assert payout_ref_for(date(2026, 11, 24)) == "sandbox-payout-2026-11-24"
    assert payout_ref_for(date(2026, 11, 24)) == payout_ref_for(date(2026, 11, 24))
