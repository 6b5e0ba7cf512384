"""What a resident types is checked with the GOV.UK error pattern; every post needs this browser's
anti-forgery token; the cookie is the only link to a payment; every page speaks Welsh too."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from falcon.testing import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from channels.web_checkout.basket import BasketCookie
from channels.web_checkout.channel import WebCheckoutChannel
from receipting.app import create_app
from receipting.council.service import load_council_config
from receipting.payments.tables import PaymentRow
from tests.integration.channels.web_checkout.conftest import (
    CTAX_REF,
    DEMO_COUNCIL,
    PCN_REF,
    SUCCESS_CARD,
    Browser,
    Checkout,
    Clock,
    add_item,
    pay_now,
    pay_on_card_page,
    settings_for,
)


def test_an_invalid_reference_shows_the_error_summary_and_nothing_is_created(
    checkout: Checkout, browser: Browser
) -> None:
    page = add_item(browser, "CTAX", "12345", "£12.50", "ann@example.com")
    assert page.status_code == 200
    assert re.search(r"<title>Error: Council tax", page.text)
    assert "govuk-error-summary" in page.text
    assert '<a href="#reference">' in page.text
    assert 'id="reference-error"' in page.text and "govuk-input--error" in page.text
    assert "Council tax account numbers are 9 digits and start with 77" in page.text
    # What was typed is shown again.
    assert 'value="12345"' in page.text and 'value="£12.50"' in page.text
    assert 'value="ann@example.com"' in page.text
    assert checkout.payments_count() == 0
    assert "Your basket is empty." in browser.get("/pay/basket").text


def test_every_problem_is_reported_at_once_each_beside_its_field(browser: Browser) -> None:
    page = add_item(browser, "PCN", "", "12.345", "ann@")
    summary = re.findall(r'<a href="#(reference|amount|email)">', page.text)
    assert summary == ["reference", "amount", "email"]
    assert "Enter your reference" in page.text
    assert "no more than 2 numbers after the decimal point" in page.text
    assert "Enter an email address in the correct format" in page.text


def test_an_amount_over_the_funds_maximum_names_the_maximum_in_pounds(browser: Browser) -> None:
    page = add_item(browser, "PCN", PCN_REF, "500.01")
    assert "The amount must be £500.00 or less" in page.text


def test_a_reference_the_council_has_stopped_says_why(browser: Browser) -> None:
    page = add_item(browser, "PCN", "BJ76543214", "10")
    assert "being reviewed after an appeal" in page.text


@pytest.mark.parametrize("path", ["/pay/SUSPENSE", "/pay/NOSUCHFUND"])
def test_a_fund_that_cannot_be_paid_online_is_a_page_not_found(browser: Browser, path: str) -> None:
    page = browser.get(path)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Page not found" in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_a_post_without_the_anti_forgery_token_is_refused_with_a_page(
    checkout: Checkout, browser: Browser
) -> None:
    browser.get("/pay/CTAX")
    form = {"reference": CTAX_REF, "amount": "10", "email": ""}
    refused = browser.post("/pay/CTAX", form, csrf=False)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("text/html")
    assert "Your session has expired" in refused.text
    assert "Your basket is empty." in browser.get("/pay/basket").text


def test_another_browsers_token_or_no_cookie_at_all_is_refused(
    checkout: Checkout, browser: Browser
) -> None:
    add_item(browser, "CTAX", CTAX_REF, "10")
    token = browser.csrf_token()
    stranger = checkout.browser()
    stranger.get("/pay/check")
    assert stranger.post("/pay/check", {"csrf_token": token}).status_code == 403
    cookieless = checkout.browser()
    assert cookieless.post("/pay/check", {"csrf_token": token}).status_code == 403
    assert checkout.payments_count() == 0


def test_the_cookie_is_the_only_link_to_a_payment(checkout: Checkout, browser: Browser) -> None:
    add_item(browser, "CTAX", CTAX_REF, "10")
    browser.follow(pay_on_card_page(browser, pay_now(browser), SUCCESS_CARD))
    assert browser.get("/pay/receipt").status_code == 200

    stranger = checkout.browser()
    for path in ("/pay/receipt", "/pay/return"):
        page = stranger.get(path)
        assert page.status_code == 404
        assert "There is no payment to show" in page.text
        (payment,) = checkout.payments()
        assert payment.id not in page.text and (payment.receipt_number or "-") not in page.text
    # A cookie that has been tampered with opens as no cookie at all.
    forged = checkout.browser()
    sealed = browser.cookies[BasketCookie.NAME]
    forged.cookies[BasketCookie.NAME] = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + "A"
    assert forged.get("/pay/receipt").status_code == 404


def test_every_page_is_in_welsh_when_asked_and_stays_so(
    checkout: Checkout, browser: Browser
) -> None:
    start = browser.get("/pay?lang=cy")
    assert '<html lang="cy"' in start.text
    assert "Beth ydych chi eisiau ei dalu?" in start.text
    assert "Treth gyngor" in start.text
    assert "Cyngor Bwrdeistref Demo" in start.text
    assert start.cookies["lang"].value == "cy"

    form = browser.get("/pay/CTAX")
    assert "Swm i'w dalu" in form.text or "Swm i&#39;w dalu" in form.text
    refused = browser.post("/pay/CTAX", {"reference": "12", "amount": "abc", "email": ""})
    assert re.search(r"<title>Gwall: Treth gyngor", refused.text)
    assert "Mae gan y cyfeirnod y nifer anghywir o nodau" in refused.text
    assert "Mae gan rifau cyfrif treth gyngor 9 digid" in refused.text
    assert "Rhowch y swm mewn punnoedd a cheiniogau" in refused.text

    add_item(browser, "CTAX", CTAX_REF, "10")
    assert "Eich basged" in browser.get("/pay/basket").text
    check = browser.get("/pay/check")
    assert "Gwiriwch eich atebion cyn talu" in check.text and ">Talu nawr<" in check.text
    paid = browser.follow(pay_on_card_page(browser, browser.post("/pay/check"), SUCCESS_CARD))
    assert "Taliad wedi" in paid.text and "gwblhau" in paid.text
    (payment,) = checkout.payments()
    assert payment.language == "cy"
    assert payment.description == "Taliad i Cyngor Bwrdeistref Demo"
    assert "Derbynneb" in browser.get("/pay/receipt").text


def test_error_pages_are_in_welsh_too(browser: Browser) -> None:
    page = browser.get("/pay/NOSUCHFUND?lang=cy")
    assert page.status_code == 404
    assert '<html lang="cy"' in page.text


@pytest.fixture
def production_browser(
    engine: Engine, db_url: str, session_factory: sessionmaker[Session]
) -> Iterator[Browser]:
    load_council_config(session_factory, DEMO_COUNCIL.read_bytes(), "demo_council.toml")
    app = create_app(
        settings_for(db_url, development=False),
        engine=engine,
        clock=Clock(),
        channels=[WebCheckoutChannel()],
    )
    yield Browser(TestClient(app))


def test_outside_development_cookies_are_secure_and_pages_send_hsts(
    production_browser: Browser,
) -> None:
    page = production_browser.get("/pay?lang=en")
    assert page.cookies[BasketCookie.NAME].secure
    assert page.cookies["lang"].secure
    assert "max-age=31536000" in page.headers["strict-transport-security"]


def test_a_signed_in_residents_payment_is_handed_to_their_account(
    engine: Engine, db_url: str, session_factory: sessionmaker[Session]
) -> None:
    load_council_config(session_factory, DEMO_COUNCIL.read_bytes(), "demo_council.toml")
    recorded: list[tuple[str, str]] = []
    channel = WebCheckoutChannel(
        current_resident=lambda req: "resident-7" if req.cookies.get("signed_in") else None,
        on_payment_created=lambda resident, payment: recorded.append((resident, payment)),
        sign_in_enabled=True,
    )
    app = create_app(settings_for(db_url), engine=engine, clock=Clock(), channels=[channel])
    guest = Browser(TestClient(app))
    assert 'href="/account/sign-in"' in guest.get("/pay").text
    add_item(guest, "CTAX", CTAX_REF, "10")
    pay_now(guest)
    assert recorded == []

    resident = Browser(TestClient(app), cookies={"signed_in": "1"})
    add_item(resident, "CTAX", CTAX_REF, "20")
    pay_now(resident)
    pay_now(resident)  # again: the same payment, handed over once
    with session_factory() as session:
        resident_payment = session.scalars(
            select(PaymentRow.id).where(PaymentRow.amount_pence == 2_000)
        ).one()
    assert recorded == [("resident-7", resident_payment)]


def test_a_nul_character_in_a_pages_address_is_refused_with_a_page(browser: Browser) -> None:
    # Found by fuzzing: this refusal used to be answered as JSON on a page's address.
    refused = browser.get("/pay/CTAX?reference=77%00123")
    assert refused.status_code == 400
    assert refused.headers["content-type"].startswith("text/html")
    assert "NUL" in refused.text
