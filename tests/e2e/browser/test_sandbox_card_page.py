"""A payer on the sandbox gateway's hosted card page in a real browser: the harness's own proof,
and the card pages' accessibility in English and Welsh."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from tests.e2e.browser.support import Checkout
from tests.support.browser import (
    REPO_ROOT,
    THREE_D_SECURE_CARD,
    fill_card_form,
    pay_on_card_page,
    press_button,
    visit_page,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page, Route

pytestmark = pytest.mark.e2e

GOVUK_FRONTEND_CSS = (
    REPO_ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk" / "govuk-frontend.min.css"
)


def open_card_page(page: Page, payment: dict[str, object]) -> None:
    links = payment["_links"]
    assert isinstance(links, dict)
    page.goto(links["next_url"]["href"])


def test_a_payer_pays_with_the_success_card_and_arrives_back_at_the_service(
    page: Page, checkout: Checkout
) -> None:
    payment = checkout.create_payment(amount_pence=10000)
    open_card_page(page, payment)
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#amount").inner_text() == "£100.00"

    pay_on_card_page(page)

    assert page.url == checkout.service_return_url
    assert page.get_by_role("heading", level=1).inner_text() == "Back at the council's service"
    paid = checkout.payment(payment["payment_id"])
    assert paid["state"] == {"status": "success", "finished": True}
    assert paid["card_details"]["last_digits_card_number"] == "1111"
    assert re.fullmatch(r"R-\d{4}-\d{6,}", paid["receipt_number"])


def test_a_welsh_payer_corrects_a_mistake_on_the_welsh_card_page_and_pays(
    page: Page, checkout: Checkout
) -> None:
    payment = checkout.create_payment(language="cy")
    open_card_page(page, payment)
    assert page.locator("html").get_attribute("lang") == "cy"
    assert page.get_by_role("heading", level=1).inner_text() == "Rhowch fanylion y cerdyn"
    visit_page(page, "welsh-card-page")

    fill_card_form(page, "4444333322221112", language="cy", cvc="")
    press_button(page, "Talu")
    summary = page.locator(".govuk-error-summary")
    assert "Mae problem wedi codi" in summary.inner_text()
    assert "Nid yw hwn yn rhif cerdyn dilys" in summary.inner_text()
    assert "Rhowch god diogelwch y cerdyn" in summary.inner_text()
    assert page.title().startswith("Gwall: ")
    visit_page(page, "welsh-card-page-with-errors")

    pay_on_card_page(page, language="cy", screenshot=None)
    assert page.url == checkout.service_return_url
    assert checkout.payment(payment["payment_id"])["state"]["status"] == "success"


def test_the_3d_secure_challenge_and_the_finished_page_pass_the_checks(
    page: Page, checkout: Checkout
) -> None:
    payment = checkout.create_payment()
    open_card_page(page, payment)
    pay_on_card_page(page, THREE_D_SECURE_CARD)

    page.get_by_role("heading", name="Confirm your payment with your bank").wait_for()
    visit_page(page, "3d-secure-challenge")
    press_button(page, "Authorise")
    assert page.url == checkout.service_return_url

    open_card_page(page, payment)
    assert page.get_by_role("heading", level=1).inner_text() == "This payment is finished"
    visit_page(page, "finished")
    assert checkout.payment(payment["payment_id"])["state"]["status"] == "success"


@pytest.mark.parametrize("styled", [True, False], ids=["govuk-frontend", "unstyled"])
def test_the_card_form_with_errors_passes_the_checks_with_and_without_the_stylesheet(
    page: Page, checkout: Checkout, styled: bool
) -> None:
    """Whatever the engine serves at /assets/ today, the page is checked both ways: with GOV.UK
    Frontend's stylesheet (from the npm package) and with none at all."""

    def stylesheet(route: Route) -> None:
        if styled and route.request.url.endswith("/govuk-frontend.min.css"):
            route.fulfill(path=GOVUK_FRONTEND_CSS, content_type="text/css; charset=utf-8")
        elif styled:
            route.continue_()
        else:
            route.fulfill(status=404, body="")

    page.route("**/assets/stylesheets/*.css", stylesheet)
    open_card_page(page, checkout.create_payment(moto=True))
    press_button(page, "Pay")
    assert page.title().startswith("Error: Enter card details")
    visit_page(page, "card-form-with-errors")
