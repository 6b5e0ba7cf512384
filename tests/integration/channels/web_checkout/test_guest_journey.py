"""A guest pays through the checkout pages, on both databases: the basket, check your answers,
the sandbox's card page over HTTP, and the confirmation, receipt and ledger afterwards."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from channels.web_checkout.basket import BasketCookie
from channels.web_checkout.service import SERVICE_NAME
from tests.integration.channels.web_checkout.conftest import (
    CTAX_REF,
    CTAX_REF_2,
    PCN_REF,
    PUBLIC_URL,
    SUCCESS_CARD,
    Browser,
    Checkout,
    add_item,
    pay_now,
    pay_on_card_page,
)


def test_the_root_sends_residents_to_the_start_page(browser: Browser) -> None:
    answer = browser.get("/")
    assert answer.status_code == 303
    assert answer.headers["location"].endswith("/pay")


def test_the_start_page_lists_the_funds_payable_online_with_where_to_find_the_reference(
    browser: Browser,
) -> None:
    page = browser.get("/pay")
    assert page.status_code == 200
    links = re.findall(r'href="/pay/([A-Z]+)"', page.text)
    assert links == ["CTAX", "NNDR", "PCN", "PEST", "PLANNING", "RENT", "SUNDRY"]
    assert "SUSPENSE" not in page.text
    assert "Council tax" in page.text
    assert "at the top right of your bill" in page.text
    assert re.search(
        r"<title>What do you want to pay\? . Pay the council . Demo Borough", page.text
    )


def test_every_page_has_the_security_headers_and_the_cookie_is_http_only_and_lax(
    browser: Browser,
) -> None:
    page = browser.get("/pay")
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert f"form-action 'self' {PUBLIC_URL}" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-store"
    cookie = page.cookies[BasketCookie.NAME]
    assert cookie.http_only and cookie.same_site == "Lax" and cookie.path == "/"
    # Development settings (plain http on a laptop): not Secure, and no HSTS.
    assert not cookie.secure
    assert "strict-transport-security" not in page.headers


def test_an_item_goes_into_the_basket_with_its_reference_normalised(browser: Browser) -> None:
    added = add_item(browser, "CTAX", "77 1234 561", " £1,234.5 ", "ann@example.com")
    assert added.status_code == 303
    basket = browser.follow(added)
    assert "771234561" in basket.text
    assert "£1,234.50" in basket.text
    assert 'id="basket-total">£1,234.50<' in basket.text
    assert "Add another payment" in basket.text and ">Continue<" in basket.text


def test_two_bills_across_two_funds_are_one_payment_with_two_allocations_and_post_to_both(
    checkout: Checkout, browser: Browser
) -> None:
    add_item(browser, "CTAX", CTAX_REF, "123.45", "ann@example.com")
    add_item(browser, "PCN", PCN_REF, "70")
    check = browser.get("/pay/check")
    assert "Check your answers before paying" in check.text
    assert "ann@example.com" in check.text and "£193.45" in check.text

    to_card_page = browser.post("/pay/check")
    assert to_card_page.status_code == 303
    assert to_card_page.headers["location"].startswith(f"{PUBLIC_URL}/sandbox-gateway/pay/")
    (payment,) = checkout.payments()
    assert payment.service == SERVICE_NAME
    assert payment.amount_pence == 19_345
    assert payment.email == "ann@example.com"
    assert payment.language == "en"
    assert payment.description == "Payment to Demo Borough Council"
    assert payment.return_url == f"{PUBLIC_URL}/pay/return"
    assert re.fullmatch(r"WEB-[0-9A-F]{12}", payment.reference)

    back = pay_on_card_page(browser, to_card_page, SUCCESS_CARD)
    assert back.status_code == 303
    assert urlsplit(back.headers["location"]).path == "/pay/return"
    confirmation = browser.follow(back)
    assert confirmation.status_code == 200
    assert "govuk-panel--confirmation" in confirmation.text
    assert "Payment complete" in confirmation.text
    receipt_number = re.search(r'id="receipt-number">([^<]+)<', confirmation.text)
    assert receipt_number is not None
    assert "We have sent a receipt to ann@example.com." in confirmation.text
    assert CTAX_REF in confirmation.text and PCN_REF in confirmation.text
    assert 'id="paid-total">£193.45<' in confirmation.text

    assert checkout.ledger.balance("CARD-CLR-SANDBOX") == 19_345
    assert checkout.ledger.sub_account_balance("FUND-CTAX", CTAX_REF) == -12_345
    assert checkout.ledger.sub_account_balance("FUND-PCN", PCN_REF) == -7_000
    assert checkout.ledger.trial_balance().total_pence == 0

    receipt = browser.get("/pay/receipt")
    assert receipt.status_code == 200
    assert receipt_number.group(1) in receipt.text
    assert "Visa card ending 1111" in receipt.text or "card ending 1111" in receipt.text

    # The basket is empty for the next payment; the confirmation can be shown again.
    assert "Your basket is empty." in browser.get("/pay/basket").text
    again = browser.get("/pay/return")
    assert receipt_number.group(1) in again.text
    assert checkout.payments_count() == 1


def test_a_double_click_on_pay_now_makes_one_payment(checkout: Checkout, browser: Browser) -> None:
    add_item(browser, "CTAX", CTAX_REF, "10")
    browser.get("/pay/check")
    cookies = dict(browser.cookies)
    token = browser.csrf_token()
    first = browser.post("/pay/check", {"csrf_token": token})
    browser.cookies = dict(cookies)  # the second click carries the cookie the first one had
    second = browser.post("/pay/check", {"csrf_token": token})
    third = browser.post("/pay/check", {"csrf_token": token})  # and with the new cookie
    assert first.headers["location"] == second.headers["location"] == third.headers["location"]
    assert checkout.payments_count() == 1


def test_items_can_be_changed_and_removed(checkout: Checkout, browser: Browser) -> None:
    add_item(browser, "CTAX", CTAX_REF, "10")
    add_item(browser, "CTAX", CTAX_REF_2, "20")
    basket = browser.get("/pay/basket")
    item_ids = re.findall(r'href="/pay/basket/([0-9a-f]+)/change"', basket.text)
    assert len(item_ids) == 2

    form = browser.get(f"/pay/basket/{item_ids[0]}/change")
    assert f'value="{CTAX_REF}"' in form.text and 'value="10.00"' in form.text
    changed = browser.post(
        f"/pay/basket/{item_ids[0]}/change", {"reference": CTAX_REF, "amount": "15", "email": ""}
    )
    assert changed.status_code == 303
    assert 'id="basket-total">£35.00<' in browser.get("/pay/basket").text

    confirm = browser.get(f"/pay/basket/{item_ids[1]}/remove")
    assert "Remove this payment?" in confirm.text
    removed = browser.post(f"/pay/basket/{item_ids[1]}/remove")
    assert removed.status_code == 303
    basket = browser.get("/pay/basket")
    assert CTAX_REF_2 not in basket.text
    assert 'id="basket-total">£15.00<' in basket.text
    assert checkout.payments_count() == 0


def test_the_same_bill_with_another_amount_is_refused_on_the_form(browser: Browser) -> None:
    add_item(browser, "CTAX", CTAX_REF, "10")
    again = add_item(browser, "CTAX", CTAX_REF, "20")
    assert again.status_code == 200
    assert "This reference is already in your basket" in again.text
    assert 'href="#reference"' in again.text


def test_the_email_can_be_changed_from_check_your_answers(browser: Browser) -> None:
    add_item(browser, "CTAX", CTAX_REF, "10")
    browser.get("/pay/email")
    refused = browser.post("/pay/email", {"email": "not an address"})
    assert refused.status_code == 200
    assert "Enter an email address in the correct format" in refused.text
    assert 'value="not an address"' in refused.text
    changed = browser.post("/pay/email", {"email": "bob@example.com"})
    assert changed.headers["location"].endswith("/pay/check")
    assert "bob@example.com" in browser.get("/pay/check").text


def test_check_your_answers_with_an_empty_basket_shows_the_empty_basket(
    checkout: Checkout, browser: Browser
) -> None:
    assert "Your basket is empty." in browser.get("/pay/check").text
    browser.get("/pay/CTAX")  # a page with a form, for its anti-forgery token
    assert browser.post("/pay/check").headers["location"].endswith("/pay/basket")
    assert checkout.payments_count() == 0


def test_pay_now_goes_to_the_card_page_that_is_already_open_for_the_same_basket(
    checkout: Checkout, browser: Browser
) -> None:
    add_item(browser, "CTAX", CTAX_REF, "10")
    first = pay_now(browser)
    browser.follow(first)  # the card page, left open
    again = pay_now(browser)
    assert again.headers["location"] == first.headers["location"]
    assert checkout.payments_count() == 1


def test_changing_the_basket_after_starting_to_pay_cancels_the_old_payment(
    checkout: Checkout, browser: Browser
) -> None:
    add_item(browser, "CTAX", CTAX_REF, "10")
    first = pay_now(browser)
    add_item(browser, "PCN", PCN_REF, "70")
    second = pay_now(browser)
    assert second.headers["location"] != first.headers["location"]
    old, new = checkout.payments()
    assert old.status == "cancelled"
    assert new.amount_pence == 8_000
