"""When a payment does not go through: a clear page for each case, and "Try again" makes a new
payment from the same basket without anything typed again."""

from __future__ import annotations

import re

from receipting.gateways.sandbox.gateway import SandboxGateway
from receipting.payments.service import PaymentService
from tests.integration.channels.web_checkout.conftest import (
    CTAX_REF,
    DECLINED_CARD,
    PCN_REF,
    PUBLIC_URL,
    SUCCESS_CARD,
    Browser,
    Checkout,
    add_item,
    cancel_on_card_page,
    pay_now,
    pay_on_card_page,
)

ERROR_CARD = "4000000000000119"


def test_a_declined_card_shows_why_and_try_again_pays_the_same_basket(
    checkout: Checkout, browser: Browser
) -> None:
    add_item(browser, "CTAX", CTAX_REF, "50", "ann@example.com")
    add_item(browser, "PCN", PCN_REF, "25")
    declined = browser.follow(pay_on_card_page(browser, pay_now(browser), DECLINED_CARD))
    assert declined.status_code == 200
    assert 'id="failure-declined"' in declined.text
    assert "Your payment was declined" in declined.text
    assert ">Try again<" in declined.text and "Change your payment" in declined.text
    assert CTAX_REF in declined.text and PCN_REF in declined.text

    retried = browser.post("/pay/retry")
    assert retried.status_code == 303
    assert retried.headers["location"].startswith(f"{PUBLIC_URL}/sandbox-gateway/pay/")
    paid = browser.follow(pay_on_card_page(browser, retried, SUCCESS_CARD))
    assert "Payment complete" in paid.text

    first, second = checkout.payments()
    assert (first.status, first.state_code) == ("failed", "P0010")
    assert second.status == "success"
    assert (second.amount_pence, second.email) == (first.amount_pence, first.email)
    assert second.reference != first.reference
    assert checkout.ledger.balance("CARD-CLR-SANDBOX") == 7_500


def test_a_payment_cancelled_on_the_card_page_says_so_and_keeps_the_basket(
    checkout: Checkout, browser: Browser
) -> None:
    add_item(browser, "CTAX", CTAX_REF, "50")
    cancelled = browser.follow(cancel_on_card_page(browser, pay_now(browser)))
    assert 'id="failure-cancelled"' in cancelled.text
    assert "Your payment was cancelled" in cancelled.text
    assert "no money was taken" in cancelled.text
    assert 'id="basket-total">£50.00<' in browser.get("/pay/basket").text
    (payment,) = checkout.payments()
    assert (payment.status, payment.state_code) == ("failed", "P0030")  # as GOV.UK Pay has it


def test_a_gateway_error_is_a_failure_page_of_its_own(browser: Browser) -> None:
    add_item(browser, "CTAX", CTAX_REF, "50")
    failed = browser.follow(pay_on_card_page(browser, pay_now(browser), ERROR_CARD))
    assert 'id="failure-error"' in failed.text
    assert "Sorry, there was a problem with your payment" in failed.text


def test_an_abandoned_payment_that_expired_says_it_timed_out(
    checkout: Checkout, browser: Browser
) -> None:
    add_item(browser, "CTAX", CTAX_REF, "50")
    pay_now(browser)
    (payment,) = checkout.payments()
    checkout.clock.advance(minutes=91)
    sandbox = SandboxGateway(checkout.session_factory, clock=checkout.clock, public_url=PUBLIC_URL)
    payments = PaymentService(
        checkout.session_factory, {"sandbox": sandbox}, checkout.clock, PUBLIC_URL
    )
    assert payments.expire(payment.id)
    expired = browser.get("/pay/return")
    assert 'id="failure-expired"' in expired.text
    assert "timed out" in expired.text
    retried = browser.post("/pay/retry")
    assert retried.status_code == 303
    assert checkout.payments_count() == 2


def test_coming_back_before_paying_offers_to_continue_to_the_card_page(browser: Browser) -> None:
    add_item(browser, "CTAX", CTAX_REF, "50")
    to_card_page = pay_now(browser)
    unfinished = browser.get("/pay/return")
    assert "Your payment is not finished" in unfinished.text
    assert f'href="{to_card_page.headers["location"]}"' in unfinished.text


def test_try_again_after_a_success_does_not_pay_twice(checkout: Checkout, browser: Browser) -> None:
    add_item(browser, "CTAX", CTAX_REF, "50")
    token = browser.csrf_token()
    to_card_page = pay_now(browser)
    back = pay_on_card_page(browser, to_card_page, SUCCESS_CARD)
    # The resident presses "Try again" on a failure page left open in another tab, before
    # this browser has seen the confirmation.
    again = browser.post("/pay/retry", {"csrf_token": token})
    assert again.headers["location"].endswith("/pay/return")
    assert "Payment complete" in browser.follow(back).text
    assert checkout.payments_count() == 1
    assert re.search(r'id="receipt-number">[^<]+<', browser.get("/pay/receipt").text)
