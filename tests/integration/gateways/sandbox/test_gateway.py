"""The sandbox through the `Gateway` protocol, as the engine's payments code calls it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from receipting.gateways.base import Gateway, GatewayState, RefundState, Settlement
from receipting.gateways.errors import GatewayRefused
from receipting.gateways.sandbox.gateway import (
    SandboxGateway,
    SandboxRefundNotFound,
    SandboxTransactionNotFound,
)
from receipting.gateways.sandbox.settlement import fee_pence_for
from tests.integration.gateways.sandbox.conftest import (
    NOW,
    PUBLIC_URL,
    Browser,
    FakeClock,
    payment_request,
)


def _paid(gateway: SandboxGateway, browser: Browser, amount_pence: int = 10_000) -> str:
    payment = gateway.create(payment_request(amount_pence=amount_pence))
    assert browser.pay(payment).status_code == 303
    return payment.gateway_ref


def test_the_sandbox_gateway_implements_the_gateway_protocol(gateway: SandboxGateway) -> None:
    assert isinstance(gateway, Gateway)
    assert gateway.name == "sandbox"


def test_creating_a_payment_gives_an_unguessable_reference_and_the_card_page_address(
    gateway: SandboxGateway,
) -> None:
    first, second = gateway.create(payment_request()), gateway.create(payment_request())
    assert first.gateway_ref != second.gateway_ref
    assert len(first.gateway_ref) >= 43  # 32 random bytes
    assert first.next_url == f"{PUBLIC_URL}/sandbox-gateway/pay/{first.gateway_ref}"
    status = gateway.status(first.gateway_ref)
    assert status.state == GatewayState.CREATED
    assert status.card is None and status.code is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount_pence": -1}, "amount"),
        ({"return_url": ""}, "return_url"),
        ({"return_url": "javascript:alert(1)"}, "return_url"),
        ({"language": "fr"}, "language"),
        ({"reference": ""}, "reference"),
        ({"description": "x" * 256}, "description"),
    ],
)
def test_a_request_the_gateway_cannot_take_is_refused_naming_the_field(
    gateway: SandboxGateway, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(GatewayRefused) as refused:
        gateway.create(payment_request(**changes))
    assert refused.value.field == field


def test_asking_about_an_unknown_transaction_is_refused_with_how_to_fix_it(
    gateway: SandboxGateway,
) -> None:
    with pytest.raises(SandboxTransactionNotFound, match="Check the gateway reference"):
        gateway.status("no-such-ref")


def test_a_delayed_capture_payment_waits_in_capturable_until_captured(
    gateway: SandboxGateway, browser: Browser
) -> None:
    payment = gateway.create(payment_request(delayed_capture=True))
    assert browser.pay(payment).headers["location"] == payment_request().return_url
    waiting = gateway.status(payment.gateway_ref)
    assert waiting.state == GatewayState.CAPTURABLE
    assert waiting.auth_code is not None
    captured = gateway.capture(payment.gateway_ref)
    assert captured.state == GatewayState.SUCCESS
    assert captured.auth_code == waiting.auth_code
    assert gateway.status(payment.gateway_ref) == captured


def test_capturing_twice_changes_nothing(gateway: SandboxGateway, browser: Browser) -> None:
    payment = gateway.create(payment_request(delayed_capture=True))
    browser.pay(payment)
    assert gateway.capture(payment.gateway_ref) == gateway.capture(payment.gateway_ref)


def test_a_payment_that_is_not_waiting_for_capture_cannot_be_captured(
    gateway: SandboxGateway, browser: Browser
) -> None:
    unpaid = gateway.create(payment_request(delayed_capture=True))
    with pytest.raises(GatewayRefused, match="only a delayed-capture payment"):
        gateway.capture(unpaid.gateway_ref)
    paid_at_once = _paid(gateway, browser)
    with pytest.raises(GatewayRefused, match="cannot be captured"):
        gateway.capture(paid_at_once)


@pytest.mark.parametrize("opened", [False, True])
def test_an_unfinished_payment_can_be_cancelled_by_the_service(
    gateway: SandboxGateway, browser: Browser, opened: bool
) -> None:
    payment = gateway.create(payment_request())
    if opened:
        browser.open(payment)
    status = gateway.cancel(payment.gateway_ref)
    assert (status.state, status.code) == (GatewayState.CANCELLED, "P0040")
    assert gateway.cancel(payment.gateway_ref) == status  # asking again changes nothing


def test_a_payment_waiting_for_capture_can_be_cancelled(
    gateway: SandboxGateway, browser: Browser
) -> None:
    payment = gateway.create(payment_request(delayed_capture=True))
    browser.pay(payment)
    assert gateway.cancel(payment.gateway_ref).state == GatewayState.CANCELLED
    with pytest.raises(GatewayRefused):
        gateway.capture(payment.gateway_ref)


def test_a_finished_payment_cannot_be_cancelled(gateway: SandboxGateway, browser: Browser) -> None:
    with pytest.raises(GatewayRefused, match="refund a successful one instead"):
        gateway.cancel(_paid(gateway, browser))


def test_a_cancelled_payments_card_page_says_it_is_finished(
    gateway: SandboxGateway, browser: Browser
) -> None:
    payment = gateway.create(payment_request())
    browser.open(payment)
    gateway.cancel(payment.gateway_ref)
    assert "This payment is finished" in browser.open(payment).text
    assert browser.pay(payment).headers["location"] == payment_request().return_url
    assert gateway.status(payment.gateway_ref).state == GatewayState.CANCELLED


def test_partial_refunds_succeed_until_the_captured_amount_is_used_up(
    gateway: SandboxGateway, browser: Browser
) -> None:
    ref = _paid(gateway, browser, 10_000)
    first = gateway.refund(ref, 4_000, "refund-1")
    second = gateway.refund(ref, 6_000, "refund-2")
    assert first.state == second.state == RefundState.SUCCESS
    assert first.gateway_refund_ref != second.gateway_refund_ref
    assert gateway.refund_status(first.gateway_refund_ref) == first
    with pytest.raises(GatewayRefused, match="at most 0p") as refused:
        gateway.refund(ref, 1, "refund-3")
    assert refused.value.field == "amount"


def test_a_refund_of_more_than_remains_is_refused_saying_how_much_remains(
    gateway: SandboxGateway, browser: Browser
) -> None:
    ref = _paid(gateway, browser, 10_000)
    gateway.refund(ref, 2_500, "refund-1")
    with pytest.raises(GatewayRefused, match="more than the 7500p"):
        gateway.refund(ref, 7_501, "refund-2")
    assert gateway.refund(ref, 7_500, "refund-2").state == RefundState.SUCCESS


def test_the_same_refund_asked_for_twice_is_made_once(
    gateway: SandboxGateway, browser: Browser
) -> None:
    ref = _paid(gateway, browser, 10_000)
    first = gateway.refund(ref, 10_000, "refund-1")
    assert gateway.refund(ref, 10_000, "refund-1") == first
    with pytest.raises(GatewayRefused, match="Use a new key"):
        gateway.refund(ref, 5_000, "refund-1")


@pytest.mark.parametrize("amount_pence", [0, -100])
def test_a_refund_of_nothing_is_refused(
    gateway: SandboxGateway, browser: Browser, amount_pence: int
) -> None:
    with pytest.raises(GatewayRefused, match="at least 1p"):
        gateway.refund(_paid(gateway, browser), amount_pence, "refund-1")


def test_only_captured_payments_can_be_refunded(gateway: SandboxGateway, browser: Browser) -> None:
    unpaid = gateway.create(payment_request())
    waiting = gateway.create(payment_request(delayed_capture=True))
    browser.pay(waiting)
    declined = gateway.create(payment_request())
    browser.pay(declined, "4000000000000002")
    for payment in (unpaid, waiting, declined):
        with pytest.raises(GatewayRefused, match="only captured, successful payments"):
            gateway.refund(payment.gateway_ref, 100, "refund-1")


def test_an_unknown_refund_is_refused(gateway: SandboxGateway) -> None:
    with pytest.raises(SandboxRefundNotFound):
        gateway.refund_status("no-such-refund")


def test_a_days_settlement_pays_out_captures_net_of_fees_and_takes_back_refunds(
    gateway: SandboxGateway, browser: Browser, clock: FakeClock
) -> None:
    first = _paid(gateway, browser, 10_000)
    second = _paid(gateway, browser, 12_345)
    refund = gateway.refund(first, 1_000, "refund-1")
    assert refund.state == RefundState.SUCCESS
    payout = gateway.settlements(NOW.date())
    assert payout == [
        Settlement(first, 10_000, 170, NOW.date(), "sandbox-payout-2026-11-24"),
        Settlement(second, 12_345, 205, NOW.date(), "sandbox-payout-2026-11-24"),
        Settlement(first, -1_000, 0, NOW.date(), "sandbox-payout-2026-11-24"),
    ]
    assert [s.fee_pence for s in payout[:2]] == [fee_pence_for(10_000), fee_pence_for(12_345)]


def test_asking_for_a_days_settlement_again_gives_the_same_payout(
    gateway: SandboxGateway, browser: Browser, clock: FakeClock
) -> None:
    _paid(gateway, browser)
    first = gateway.settlements(NOW.date())
    clock.advance(timedelta(hours=1))
    _paid(gateway, browser)  # captured the same day, after the payout was reported
    assert gateway.settlements(NOW.date())[: len(first)] == first


def test_payments_captured_after_a_day_are_left_for_a_later_payout(
    gateway: SandboxGateway, browser: Browser, clock: FakeClock
) -> None:
    monday = _paid(gateway, browser)
    clock.advance(timedelta(days=1))
    tuesday = _paid(gateway, browser)
    assert [s.gateway_ref for s in gateway.settlements(NOW.date())] == [monday]
    tuesday_payout = gateway.settlements(NOW.date() + timedelta(days=1))
    assert [s.gateway_ref for s in tuesday_payout] == [tuesday]
    assert tuesday_payout[0].payout_ref == "sandbox-payout-2026-11-25"


def test_uncaptured_and_failed_payments_are_not_settled(
    gateway: SandboxGateway, browser: Browser
) -> None:
    browser.pay(gateway.create(payment_request(delayed_capture=True)))
    browser.pay(gateway.create(payment_request()), "4000000000000002")
    gateway.create(payment_request())
    assert gateway.settlements(NOW.date()) == []


def test_a_delayed_capture_is_settled_by_the_day_it_was_captured(
    gateway: SandboxGateway, browser: Browser, clock: FakeClock
) -> None:
    payment = gateway.create(payment_request(delayed_capture=True))
    browser.pay(payment)
    clock.advance(timedelta(days=2))
    gateway.capture(payment.gateway_ref)
    assert gateway.settlements(NOW.date()) == []
    assert len(gateway.settlements(NOW.date() + timedelta(days=2))) == 1


def test_a_settlement_for_a_day_still_to_come_is_refused(gateway: SandboxGateway) -> None:
    with pytest.raises(GatewayRefused, match="after today"):
        gateway.settlements(NOW.date() + timedelta(days=1))
