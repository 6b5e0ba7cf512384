"""Checking a subscription's callback URL and events before anything is stored."""

from __future__ import annotations

import pytest

from receipting.webhooks.errors import InvalidSubscription
from receipting.webhooks.subscriptions import (
    check_callback_url,
    check_event_types,
    check_service,
    is_loopback_host,
)
from receipting.webhooks.tables import EVENT_TYPES


@pytest.mark.parametrize(
    "url",
    [
        "https://crm.example-council.gov.uk/pay-events",
        "https://crm.example-council.gov.uk:8443/pay?council=demo",
        "http://127.0.0.1:9000/events",
        "http://127.8.9.10/events",
        "http://localhost/events",
        "http://[::1]/events",
    ],
)
def test_https_anywhere_and_http_on_loopback_are_accepted(url: str) -> None:
    assert check_callback_url(url, development=False) == url


@pytest.mark.parametrize(
    ("url", "advice"),
    [
        ("http://crm.example-council.gov.uk/x", "use https://"),
        ("http://10.0.0.1/x", "use https://"),
        ("mailto:crm@example.gov.uk", "https:// address"),
        ("https:///no-host", "https:// address"),
        ("https://crm.example:port/x", "not a valid address"),
        ("https://u:p@crm.example/x", "user name or password"),
        ("https://crm.example/x#part", "fragment"),
        ("   ", "empty"),
    ],
)
def test_an_unusable_url_is_refused_saying_what_to_change(url: str, advice: str) -> None:
    with pytest.raises(InvalidSubscription) as refused:
        check_callback_url(url, development=False)

    assert advice in refused.value.message
    assert refused.value.field == "callback_url"


def test_plain_http_anywhere_is_accepted_in_development() -> None:
    url = "http://crm.test/x"
    assert check_callback_url(url, development=True) == url


def test_a_name_that_merely_starts_like_loopback_is_not_loopback() -> None:
    assert not is_loopback_host("127.0.0.1.attacker.example")
    assert not is_loopback_host("localhost.attacker.example")


def test_event_types_come_back_in_the_documented_order_without_repeats() -> None:
    chosen = ["card_payment_settled", "card_payment_started", "card_payment_settled"]

    assert check_event_types(chosen) == ("card_payment_started", "card_payment_settled")
    assert check_event_types(EVENT_TYPES) == EVENT_TYPES


@pytest.mark.parametrize("service", ["Council Tax", "", "-parking", "x" * 65])
def test_a_service_no_api_key_could_have_is_refused(service: str) -> None:
    with pytest.raises(InvalidSubscription) as refused:
        check_service(service)

    assert refused.value.field == "service"
