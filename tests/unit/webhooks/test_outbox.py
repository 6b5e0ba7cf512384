"""The payload's text: GOV.UK Pay's fields and timestamps, fixed once, ASCII only."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from receipting.webhooks.outbox import new_external_id, pay_timestamp, payload_body

WHEN = datetime(2026, 11, 24, 10, 36, 26, 988_999, tzinfo=UTC)


def _body(resource: dict[str, object]) -> str:
    return payload_body(
        webhook_message_id="m1",
        created_date=WHEN,
        event_type="card_payment_captured",
        resource_type="payment",
        resource_id="p1",
        resource=resource,
    )


def test_timestamps_are_utc_with_milliseconds_and_a_z() -> None:
    assert pay_timestamp(WHEN) == "2026-11-24T10:36:26.988Z"
    bst = timezone(timedelta(hours=1))
    assert pay_timestamp(datetime(2026, 7, 1, 12, 0, tzinfo=bst)) == "2026-07-01T11:00:00.000Z"


def test_the_payload_has_govuk_pays_fields_in_their_order() -> None:
    payload = json.loads(_body({"amount": 100}))

    assert list(payload) == [
        "webhook_message_id",
        "api_version",
        "created_date",
        "resource_id",
        "resource_type",
        "event_type",
        "resource",
    ]
    assert payload["api_version"] == 1
    assert payload["resource"] == {"amount": 100}


def test_the_body_is_ascii_so_its_bytes_survive_any_database_encoding() -> None:
    body = _body({"description": "Café rates £10 ✓"})

    assert body.isascii()
    assert json.loads(body)["resource"]["description"] == "Café rates £10 ✓"


def test_dates_and_zoned_timestamps_in_the_resource_are_written_as_text() -> None:
    resource = json.loads(_body({"on": date(2026, 1, 2), "at": WHEN}))["resource"]

    assert resource == {"on": "2026-01-02", "at": "2026-11-24T10:36:26.988Z"}


@pytest.mark.parametrize("value", [datetime(2026, 1, 1), Decimal("1.50"), object()])
def test_a_value_with_no_single_json_form_is_refused_with_advice(value: object) -> None:
    with pytest.raises(TypeError, match=r"(time zone|convert it)"):
        _body({"x": value})


def test_message_ids_are_26_lowercase_base32_characters() -> None:
    ids = {new_external_id() for _ in range(100)}

    assert len(ids) == 100
    assert all(len(i) == 26 and i.isalnum() and i == i.lower() for i in ids)
