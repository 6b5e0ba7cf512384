"""Sharing a refund across funds and VAT with integer pence."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from receipting.payments.refunds import Component, apportion


def components(amounts: list[int]) -> list[Component]:
    return [Component(f"A{i}", None, amount) for i, amount in enumerate(amounts)]


def test_a_refund_is_shared_in_proportion_with_the_odd_penny_to_the_first_line() -> None:
    assert apportion(100, components([50, 25, 25])) == [50, 25, 25]
    assert apportion(1, components([3333, 6668])) == [1, 0]


def test_refunding_everything_returns_exactly_what_each_component_holds() -> None:
    assert apportion(10001, components([3333, 5557, 1111])) == [3333, 5557, 1111]


@given(
    amounts=st.lists(st.integers(min_value=0, max_value=100_000), min_size=1, max_size=6).filter(
        lambda xs: sum(xs) > 0
    ),
    cuts=st.lists(st.integers(min_value=1, max_value=100_000), max_size=8),
)
def test_any_sequence_of_refunds_adds_up_and_never_overdraws_a_component(
    amounts: list[int], cuts: list[int]
) -> None:
    remaining = list(amounts)
    for cut in cuts:
        left = sum(remaining)
        if left == 0:
            break
        refund = min(cut, left)
        shares = apportion(refund, components(remaining))
        assert sum(shares) == refund
        assert all(0 <= share <= have for share, have in zip(shares, remaining, strict=True))
        remaining = [have - share for have, share in zip(remaining, shares, strict=True)]
    if sum(remaining):
        final = apportion(sum(remaining), components(remaining))
        assert final == remaining
