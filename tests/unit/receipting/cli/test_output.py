"""Money as the commands print it: pounds from integer pence, never through floats."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from receipting.cli.output import format_pounds


@pytest.mark.parametrize(
    ("pence", "shown"),
    [
        (0, "0.00"),
        (5, "0.05"),
        (99, "0.99"),
        (100, "1.00"),
        (123_450, "1,234.50"),
        (-123_450, "-1,234.50"),
        (1_000_000_000_000, "10,000,000,000.00"),
    ],
)
def test_pence_are_shown_as_pounds_with_thousands_separators(pence: int, shown: str) -> None:
    assert format_pounds(pence) == shown


def test_pence_can_be_shown_as_pounds_without_separators_for_spreadsheets() -> None:
    assert format_pounds(123_456_789, grouped=False) == "1234567.89"


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_formatted_pounds_always_read_back_as_the_same_pence(pence: int) -> None:
    shown = format_pounds(pence)
    whole, _, fraction = shown.partition(".")
    assert len(fraction) == 2
    assert int(whole.replace(",", "") + fraction) == pence
