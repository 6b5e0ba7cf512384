"""Payment ids and receipt numbers."""

from __future__ import annotations

from datetime import UTC, datetime

from receipting.payments.ids import ID_LEN, looks_like_id, new_id
from receipting.payments.receipts import receipt_number


def test_ids_are_26_lowercase_base32_characters_and_do_not_repeat() -> None:
    ids = {new_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(len(i) == ID_LEN and looks_like_id(i) for i in ids)


def test_a_wrongly_shaped_id_is_recognised_before_any_lookup() -> None:
    assert not looks_like_id("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    assert not looks_like_id("short")
    assert not looks_like_id("a" * 25 + "1")


def test_a_receipt_number_shows_the_year_and_a_padded_serial() -> None:
    assert receipt_number(123, datetime(2026, 4, 1, tzinfo=UTC)) == "R-2026-000123"
    assert receipt_number(1_234_567, datetime(2027, 1, 1, tzinfo=UTC)) == "R-2027-1234567"
