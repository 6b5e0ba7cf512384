"""The retry schedule and the lease, as GOV.UK Pay documents its webhooks."""

from __future__ import annotations

from datetime import timedelta

from receipting.webhooks.delivery import (
    DELIVERY_BATCH_SIZE,
    DELIVERY_TIMEOUT_S,
    LEASE_DURATION,
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    request_headers,
)
from receipting.webhooks.signing import sign


def test_retries_follow_govuk_pays_schedule_then_give_up() -> None:
    assert [int(d.total_seconds()) for d in RETRY_DELAYS] == [60, 300, 3600, 86400, 172800]
    assert MAX_ATTEMPTS == 6


def test_a_lease_outlasts_the_slowest_possible_batch() -> None:
    slowest_batch = timedelta(seconds=DELIVERY_BATCH_SIZE * 3 * DELIVERY_TIMEOUT_S)

    assert slowest_batch < LEASE_DURATION
    assert RETRY_DELAYS[2] > LEASE_DURATION, "a dead worker must not delay a message for long"


def test_each_request_is_json_and_signed() -> None:
    headers = request_headers(b'{"a":1}', "s3cret")

    assert headers["Content-Type"] == "application/json"
    assert headers["Pay-Signature"] == sign(b'{"a":1}', "s3cret")
    assert "s3cret" not in "".join(headers.values())
