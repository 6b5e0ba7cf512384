from datetime import date

import pytest

from receipting.api.resources.ledger import parse_as_at
from receipting.errors import InvalidRequest


def test_a_missing_as_at_means_every_entry_posted_so_far() -> None:
    assert parse_as_at(None) is None


def test_an_iso_date_is_read_as_that_day() -> None:
    assert parse_as_at("2026-03-31") == date(2026, 3, 31)


@pytest.mark.parametrize("value", ["", "31/03/2026", "2026-3-31", "20260331", "2026-03-31T00:00"])
def test_an_as_at_in_another_format_is_refused_naming_the_field_and_the_format(
    value: str,
) -> None:
    with pytest.raises(InvalidRequest, match="YYYY-MM-DD") as refused:
        parse_as_at(value)

    assert refused.value.field == "as_at"


def test_an_as_at_that_is_not_a_calendar_day_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="not a date in the calendar") as refused:
        parse_as_at("2026-02-30")

    assert refused.value.field == "as_at"
