"""A resident paying the council in a real browser, as a guest: two bills across two funds with the
emailed and printable receipt (under the pages' own Content-Security-Policy), a mistyped
reference, and a declined card tried again. Every page is photographed and checked with axe-core.

The helpers here (`TEXTS`, `add_to_basket`, `pay_basket`, ...) drive the checkout's own pages in
either language; test_sign_in_journeys.py uses them too.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, select

from receipting.payments.tables import PaymentRow
from tests.e2e.browser.support import Checkout
from tests.support.browser import (
    AXE_PATH,
    DECLINED_CARD,
    SUCCESS_CARD,
    new_context,
    pay_on_card_page,
    press_button,
    visit_page,
)
from tests.support.smtp_server import LoopbackSmtpServer

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Error, Page

pytestmark = pytest.mark.e2e

# The demo council's funds and valid references (receipting/council/demo_council.toml).
CTAX_REFERENCE = "771234561"
CTAX_BAD_REFERENCE = "771234562"  # the check digit is wrong
PCN_REFERENCE = "BJ12345673"
RECEIPT_EMAIL = "ann.payer@example.org"

# The council's colour (demo_council.toml), behind the header, as the browser computes it.
COUNCIL_COLOUR_RGB = "rgb(0, 112, 60)"

# What the journeys read and press on the checkout's pages, by language.
TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "service": "Pay the council",
        "start": "What do you want to pay?",
        "ctax": "Council tax",
        "pcn": "Parking fines",
        "reference": "Reference",
        "amount": "Amount to pay",
        "email": "Email address (optional)",
        "continue": "Continue",
        "basket": "Your basket",
        "check": "Check your answers before paying",
        "pay_now": "Pay now",
        "complete": "Payment complete",
        "receipt": "Receipt",
        "sign_in": "Sign in",
        "sign_out": "Sign out",
        "account": "Your account",
        "make_payment": "Make a payment",
        "signed_out": "You have signed out",
    },
    "cy": {
        "service": "Talu'r cyngor",
        "start": "Beth ydych chi eisiau ei dalu?",
        "ctax": "Treth gyngor",
        "pcn": "Dirwyon parcio",
        "reference": "Cyfeirnod",
        "amount": "Swm i'w dalu",
        "email": "Cyfeiriad e-bost (dewisol)",
        "continue": "Parhau",
        "basket": "Eich basged",
        "check": "Gwiriwch eich atebion cyn talu",
        "pay_now": "Talu nawr",
        "complete": "Taliad wedi'i gwblhau",
        "receipt": "Derbynneb",
        "sign_in": "Mewngofnodi",
        "sign_out": "Allgofnodi",
        "account": "Eich cyfrif",
        "make_payment": "Gwneud taliad",
        "signed_out": "Rydych wedi allgofnodi",
    },
}

RECEIPT_NUMBER = re.compile(r"R-\d{4}-\d{6,}")

# How Chromium's console names the policy when it reports a refusal.
POLICY_WORDS = ("Content Security Policy", "Content-Security-Policy")


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def smtp() -> Iterator[LoopbackSmtpServer]:
    """The council's mail server, on loopback, keeping every receipt it is sent."""
    server = LoopbackSmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def checkout_extra_environment(smtp: LoopbackSmtpServer) -> dict[str, str]:
    return smtp.env()


@pytest.fixture
def csp_page(chromium: Browser) -> Iterator[Page]:
    with csp_enforcing_page(chromium) as page:
        yield page


@contextmanager
def csp_enforcing_page(chromium: Browser) -> Iterator[Page]:
    """A page in a browser profile that enforces the pages' Content-Security-Policy (the harness's
    usual profile bypasses it). axe-core is put into every page before the page's own content, as
    the browser's own extension code would be, so the accessibility check still runs without an
    inline script the policy would refuse."""
    context = new_context(chromium, bypass_csp=False)
    context.add_init_script(path=str(AXE_PATH))
    try:
        yield context.new_page()
    finally:
        context.close()


class PolicyWatch:
    """What the browser reports of our pages breaking their policy: the Content-Security-Policy
    refusals it writes to the console, and uncaught script errors. Pages elsewhere (the OpenID
    provider's) are not ours and not watched."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.refusals: list[str] = []
        self.script_errors: list[str] = []
        self._page = page
        self._origin = base_url + "/"
        page.on("console", self._on_console)
        page.on("pageerror", self._on_page_error)

    def _ours(self) -> bool:
        return self._page.url.startswith(self._origin)

    def _on_console(self, message: ConsoleMessage) -> None:
        text = message.text
        if self._ours() and any(words in text for words in POLICY_WORDS):
            self.refusals.append(f"{self._page.url}: {text}")

    def _on_page_error(self, error: Error) -> None:
        if self._ours():
            self.script_errors.append(f"{self._page.url}: {error}")

    def assert_clean(self) -> None:
        assert self.refusals == [], "\n".join(self.refusals)
        assert self.script_errors == [], "\n".join(self.script_errors)

    def assert_an_inline_script_is_refused_and_reported(self) -> None:
        """The watch itself works: the policy refuses an inline script, and the refusal is seen."""
        assert self._ours(), self._page.url
        from playwright.sync_api import Error as PlaywrightError

        before = len(self.refusals)
        with pytest.raises(PlaywrightError):
            self._page.add_script_tag(content="window.inlineScriptRan = true")
        assert self._page.evaluate("() => window.inlineScriptRan === undefined")
        deadline = time.monotonic() + 5  # the console message comes just after the refusal
        while len(self.refusals) == before and time.monotonic() < deadline:
            self._page.wait_for_timeout(50)
        assert len(self.refusals) == before + 1, self.refusals
        assert "inline script" in self.refusals[-1], self.refusals
        del self.refusals[before:]


# --- driving the checkout's pages ------------------------------------------------------------


def follow_link(page: Page, name: str) -> None:
    """Follow the link named `name` and wait for the page it leads to."""
    with page.expect_navigation():
        page.get_by_role("link", name=name, exact=True).click()


def heading(page: Page) -> str:
    return page.get_by_role("heading", level=1).inner_text().strip()


def assert_our_page(page: Page, language: str) -> None:
    """The page is one of the checkout's, in `language`: the <html> element says so and the
    service's name in the navigation is in that language."""
    assert page.locator("html").get_attribute("lang") == language, page.url
    service = page.locator(".govuk-service-navigation__service-name").inner_text().strip()
    assert service == TEXTS[language]["service"], (page.url, service)


def add_to_basket(
    page: Page,
    fund: str,
    reference: str,
    amount: str,
    *,
    email: str = "",
    language: str = "en",
    screenshot: str,
) -> None:
    """From the start page: choose the fund, type the reference, amount (and email), continue to
    the basket."""
    texts = TEXTS[language]
    assert heading(page) == texts["start"]
    follow_link(page, texts[fund])
    assert heading(page) == texts[fund]
    assert_our_page(page, language)
    page.get_by_label(texts["reference"], exact=True).fill(reference)
    page.get_by_label(texts["amount"], exact=True).fill(amount)
    if email:
        page.get_by_label(texts["email"], exact=True).fill(email)
    visit_page(page, screenshot)
    press_button(page, texts["continue"])


def basket_rows(page: Page) -> list[str]:
    """The basket's (or check your answers') summary list, a row a line, whitespace collapsed."""
    rows = page.locator("#basket-items .govuk-summary-list__row").all_inner_texts()
    return [" ".join(row.split()) for row in rows]


def pay_basket(page: Page, *, language: str = "en", screenshot_prefix: str = "") -> None:
    """From the basket: continue to check your answers and press "Pay now", which leads to the
    sandbox's card page."""
    texts = TEXTS[language]
    assert heading(page) == texts["basket"]
    press_button(page, texts["continue"])
    assert heading(page) == texts["check"]
    assert_our_page(page, language)
    visit_page(page, f"{screenshot_prefix}check-your-answers")
    press_button(page, texts["pay_now"])


def confirmation_lines(page: Page) -> list[str]:
    rows = page.locator("#paid-items tbody tr").all_inner_texts()
    return [" ".join(row.split()) for row in rows]


def payments_made(checkout: Checkout) -> list[PaymentRow]:
    with checkout.session_factory() as session:
        return list(session.scalars(select(PaymentRow)))


def payments_count(checkout: Checkout) -> int:
    with checkout.session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(PaymentRow)) or 0)


# --- the journeys ------------------------------------------------------------------------------


def test_a_guest_pays_two_bills_across_two_funds_under_the_pages_own_security_policy(
    csp_page: Page, checkout: Checkout, smtp: LoopbackSmtpServer
) -> None:
    page = csp_page
    watch = PolicyWatch(page, checkout.base_url)

    page.goto(checkout.url("/pay"))
    assert_our_page(page, "en")
    assert page.evaluate("() => typeof window.axe") == "object"  # the check can run
    header = page.locator(".govuk-generic-header")
    assert header.evaluate("e => getComputedStyle(e).backgroundColor") == COUNCIL_COLOUR_RGB
    # GOV.UK Frontend's stylesheet, not the browser's default serif.
    heading_font = page.locator("h1").evaluate("e => getComputedStyle(e).fontFamily")
    assert "GDS Transport" in heading_font, heading_font
    # GOV.UK Frontend's script ran (from its file: the policy allows no inline script).
    assert page.evaluate("() => document.body.classList.contains('govuk-frontend-supported')")
    visit_page(page, "start")

    add_to_basket(
        page, "ctax", CTAX_REFERENCE, "£1,234.50", email=RECEIPT_EMAIL, screenshot="council-tax"
    )
    assert heading(page) == "Your basket"
    assert basket_rows(page) == [
        f"Council tax Reference: {CTAX_REFERENCE} £1,234.50 "
        f"Change Council tax {CTAX_REFERENCE} Remove Council tax {CTAX_REFERENCE}",
        "Total £1,234.50",
    ]
    visit_page(page, "basket-one-item")

    press_button(page, "Add another payment")
    assert heading(page) == "What do you want to pay?"
    assert "Payments in your basket: 1." in page.locator(".govuk-inset-text").inner_text()
    visit_page(page, "start-with-basket")
    add_to_basket(page, "pcn", PCN_REFERENCE, "12.5", screenshot="parking-fine")
    assert page.locator("#basket-total").inner_text() == "£1,247.00"
    assert [row.split(" Change ")[0] for row in basket_rows(page)] == [
        f"Council tax Reference: {CTAX_REFERENCE} £1,234.50",
        f"Parking fines Reference: {PCN_REFERENCE} £12.50",
        "Total £1,247.00",
    ]
    visit_page(page, "basket-two-items")

    pay_basket(page)
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#amount").inner_text() == "£1,247.00"
    pay_on_card_page(page, SUCCESS_CARD)

    assert page.url == checkout.url("/pay/return")
    assert heading(page) == "Payment complete"
    receipt_number = page.locator("#receipt-number").inner_text().strip()
    assert RECEIPT_NUMBER.fullmatch(receipt_number), receipt_number
    assert f"We have sent a receipt to {RECEIPT_EMAIL}." in page.locator("main").inner_text()
    assert confirmation_lines(page) == [
        f"Council tax {CTAX_REFERENCE} £1,234.50",
        f"Parking fines {PCN_REFERENCE} £12.50",
        "Total £1,247.00",
    ]
    visit_page(page, "confirmation")

    follow_link(page, "View and print your receipt")
    assert heading(page) == "Receipt"
    assert page.locator("#receipt-number").inner_text().strip() == receipt_number
    assert confirmation_lines(page) == [
        f"Council tax {CTAX_REFERENCE} £1,234.50",
        f"Parking fines {PCN_REFERENCE} £12.50",
        "Total £1,247.00",
    ]
    assert RECEIPT_EMAIL in page.locator("main").inner_text()
    visit_page(page, "printable-receipt")

    # The confirmation page sent the receipt at once.
    [email] = smtp.wait_for(1, to=RECEIPT_EMAIL)
    assert receipt_number in email.subject
    assert CTAX_REFERENCE in email.text and PCN_REFERENCE in email.text
    assert "1,247.00" in email.text

    [payment] = payments_made(checkout)
    assert (payment.status, payment.amount_pence, payment.email) == (
        "success",
        124700,
        RECEIPT_EMAIL,
    )

    watch.assert_clean()
    watch.assert_an_inline_script_is_refused_and_reported()


def test_an_invalid_reference_shows_the_error_summary_and_adds_nothing(
    page: Page, checkout: Checkout
) -> None:
    page.goto(checkout.url("/pay"))
    visit_page(page, "start")
    follow_link(page, "Council tax")
    page.get_by_label("Reference", exact=True).fill(CTAX_BAD_REFERENCE)
    page.get_by_label("Amount to pay", exact=True).fill("100")
    press_button(page, "Continue")

    assert page.title().startswith("Error: "), page.title()
    assert heading(page) == "Council tax"
    summary = page.locator(".govuk-error-summary")
    assert summary.get_by_role("heading", name="There is a problem").is_visible()
    alert = page.get_by_role("alert")
    assert alert.count() == 1 and alert.locator(".govuk-error-summary__title").count() == 1
    links = summary.locator(".govuk-error-summary__list a")
    assert links.count() == 1
    assert links.get_attribute("href") == "#reference"
    message = links.inner_text().strip()
    assert message
    inline = page.locator("#reference-error")
    assert " ".join((inline.text_content() or "").split()) == f"Error: {message}"
    assert page.locator(".govuk-form-group--error #reference").count() == 1
    assert "reference-error" in (page.locator("#reference").get_attribute("aria-describedby") or "")
    # What was typed is kept, to be corrected.
    assert page.get_by_label("Reference", exact=True).input_value() == CTAX_BAD_REFERENCE
    assert page.get_by_label("Amount to pay", exact=True).input_value() == "100"
    visit_page(page, "reference-error")

    # The summary's link takes the resident to the field at fault.
    links.click()
    assert page.evaluate("() => document.activeElement && document.activeElement.id") == (
        "reference"
    )

    page.goto(checkout.url("/pay/basket"))
    assert heading(page) == "Your basket"
    assert "Your basket is empty." in page.locator("main").inner_text()
    visit_page(page, "empty-basket")
    assert payments_count(checkout) == 0


def test_a_declined_card_is_tried_again_without_retyping_and_then_paid(
    page: Page, checkout: Checkout
) -> None:
    page.goto(checkout.url("/pay"))
    visit_page(page, "start")
    add_to_basket(page, "ctax", CTAX_REFERENCE, "250", screenshot="council-tax")
    visit_page(page, "basket")
    pay_basket(page)
    pay_on_card_page(page, DECLINED_CARD)

    assert page.url == checkout.url("/pay/return")
    assert heading(page) == "Your payment was declined"
    assert page.locator("#failure-declined").count() == 1
    assert basket_rows(page) == [
        f"Council tax Reference: {CTAX_REFERENCE} £250.00",
        "Total £250.00",
    ]
    visit_page(page, "declined")
    [declined] = payments_made(checkout)
    assert declined.status == "failed"

    # "Try again" goes straight to a new card page: nothing is typed again.
    press_button(page, "Try again")
    assert page.get_by_role("heading", level=1).inner_text() == "Enter card details"
    assert page.locator("#amount").inner_text() == "£250.00"
    pay_on_card_page(page, SUCCESS_CARD, screenshot="card-page-again")

    assert page.url == checkout.url("/pay/return")
    assert heading(page) == "Payment complete"
    assert RECEIPT_NUMBER.fullmatch(page.locator("#receipt-number").inner_text().strip())
    assert confirmation_lines(page) == [
        f"Council tax {CTAX_REFERENCE} £250.00",
        "Total £250.00",
    ]
    visit_page(page, "confirmation")
    # A new payment for the same basket; the declined one stays as it was.
    statuses = {
        payment.id: (payment.status, payment.amount_pence) for payment in payments_made(checkout)
    }
    assert statuses.pop(declined.id) == ("failed", 25000)
    assert list(statuses.values()) == [("success", 25000)]
