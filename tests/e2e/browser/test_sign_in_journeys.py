"""A resident signs in through a real OpenID provider (npm oidc-provider, set up like GOV.UK One
Login) in a real browser, pays, finds the payment in "Your account" and signs out through the
provider's logout page; in English and, from `?lang=cy` on the first page, all in Welsh.

The provider's own login, consent and logout pages are photographed but not checked with axe:
they are the provider's, not ours. Every page of ours is both.

The provider must know the checkout's redirect URIs when it starts, and the checkout the
provider's issuer when it starts: so the checkout's port is chosen first (`checkout_port`), then
the provider is started, then the checkout with the provider's settings.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from channels.web_checkout.account import SESSION_COOKIE
from receipting.auth.oidc import RelyingPartyKey, generate_ec_key_pem
from receipting.payments.tables import PaymentRow
from receipting.residents.tables import ResidentAccountRow
from tests.e2e.browser.support import Checkout
from tests.e2e.browser.test_checkout_journeys import (
    CTAX_REFERENCE,
    RECEIPT_NUMBER,
    TEXTS,
    PolicyWatch,
    add_to_basket,
    assert_our_page,
    confirmation_lines,
    csp_enforcing_page,
    follow_link,
    heading,
    pay_basket,
)
from tests.support.browser import SUCCESS_CARD, pay_on_card_page, press_button, snap, visit_page
from tests.support.oidc_provider import DEFAULT_PASSWORD, OidcProvider, start_oidc_provider

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.e2e

CLIENT_ID = "council-pay"
LOGIN = "ann@example.org"
CALLBACK_PATH = "/account/callback"
SIGNED_OUT_PATH = "/account/signed-out"

# The provider's development pages (oidc-provider's devInteractions and logout source).
PROVIDER_CONSENT_BUTTON = "Continue"
PROVIDER_LOGOUT_BUTTON = "Yes, sign me out"


@pytest.fixture(scope="module")
def client_key_pem() -> bytes:
    """The checkout's private key for private_key_jwt; the provider is given its public half."""
    return generate_ec_key_pem()


@pytest.fixture
def oidc_provider(
    tmp_path: Path, checkout_port: int, client_key_pem: bytes
) -> Iterator[OidcProvider]:
    """The provider, knowing the checkout (not yet started) at http://127.0.0.1:<checkout_port>."""
    base_url = f"http://127.0.0.1:{checkout_port}"
    folder = tmp_path / "oidc-provider"
    folder.mkdir()
    with start_oidc_provider(
        folder,
        client_id=CLIENT_ID,
        redirect_uris=[base_url + CALLBACK_PATH],
        post_logout_redirect_uris=[base_url + SIGNED_OUT_PATH],
        client_jwks=RelyingPartyKey.from_pem(client_key_pem).public_jwks(),
    ) as provider:
        yield provider


@pytest.fixture
def checkout_extra_environment(
    tmp_path: Path, oidc_provider: OidcProvider, client_key_pem: bytes
) -> dict[str, str]:
    key_file = tmp_path / "oidc-client-key.pem"
    key_file.write_bytes(client_key_pem)
    key_file.chmod(0o600)
    return {
        "RECEIPTING_OIDC_ISSUER": oidc_provider.issuer,
        "RECEIPTING_OIDC_CLIENT_ID": CLIENT_ID,
        "RECEIPTING_OIDC_PRIVATE_KEY_FILE": str(key_file),
    }


@pytest.fixture
def csp_page(chromium: Browser) -> Iterator[Page]:
    """A browser that enforces our pages' Content-Security-Policy, whose form-action must let the
    sign-out form's answer go on to the provider's logout page."""
    with csp_enforcing_page(chromium) as page:
        yield page


def ours(page: Page, name: str, language: str) -> None:
    """One of our pages: in the journey's language, photographed and checked with axe."""
    assert_our_page(page, language)
    visit_page(page, name)


def sign_in_at_the_provider(page: Page, provider: OidcProvider) -> None:
    """On the provider's login page: any login and password, then its consent page if shown."""
    page.locator("input[name=login]").wait_for()
    assert page.url.startswith(provider.issuer + "/"), page.url
    page.locator("input[name=login]").fill(LOGIN)
    page.locator("input[name=password]").fill(DEFAULT_PASSWORD)
    snap(page, "provider-login")
    with page.expect_navigation():
        page.locator("button[type=submit]").click()
    if page.url.startswith(provider.issuer + "/"):
        consent = page.get_by_role("button", name=PROVIDER_CONSENT_BUTTON, exact=True)
        consent.wait_for()
        snap(page, "provider-consent")
        with page.expect_navigation():
            consent.click()


@pytest.mark.parametrize("language", ["en", "cy"])
def test_a_resident_signs_in_pays_finds_it_in_their_account_and_signs_out(
    csp_page: Page, checkout: Checkout, oidc_provider: OidcProvider, language: str
) -> None:
    page = csp_page
    watch = PolicyWatch(page, checkout.base_url)
    texts = TEXTS[language]
    page.goto(checkout.url("/pay" + ("?lang=cy" if language == "cy" else "")))
    assert heading(page) == texts["start"]
    ours(page, "start", language)

    follow_link(page, texts["sign_in"])
    sign_in_at_the_provider(page, oidc_provider)

    page.wait_for_url(checkout.url("/account"))
    # The provider was asked to speak the resident's language.
    assert oidc_provider.last_authorization()["ui_locales"] == language
    assert heading(page) == texts["account"]
    assert page.locator("main table").count() == 0  # no payments yet
    nav = page.locator(".govuk-service-navigation__list")
    assert nav.get_by_role("link", name=texts["account"], exact=True).is_visible()
    ours(page, "account-before-paying", language)

    follow_link(page, texts["make_payment"])
    add_to_basket(
        page, "ctax", CTAX_REFERENCE, "£99.99", language=language, screenshot="council-tax"
    )
    ours(page, "basket", language)
    pay_basket(page, language=language)

    # The payment is in the resident's language, so the card page is too.
    assert page.locator("html").get_attribute("lang") == language
    pay_on_card_page(page, SUCCESS_CARD, language=language)

    assert page.url == checkout.url("/pay/return")
    assert heading(page) == texts["complete"]
    receipt_number = page.locator("#receipt-number").inner_text().strip()
    assert RECEIPT_NUMBER.fullmatch(receipt_number), receipt_number
    assert confirmation_lines(page)[0] == f"{texts['ctax']} {CTAX_REFERENCE} £99.99"
    ours(page, "confirmation", language)

    with page.expect_navigation():
        nav.get_by_role("link", name=texts["account"], exact=True).click()
    assert page.url == checkout.url("/account")
    payments = page.locator("main table tbody tr")
    assert payments.count() == 1
    assert CTAX_REFERENCE in payments.inner_text()
    assert "£99.99" in payments.inner_text()
    ours(page, "account-with-payment", language)

    follow_link(page, receipt_number)
    with checkout.session_factory() as session:
        [payment] = session.scalars(select(PaymentRow)).all()
        [resident] = session.scalars(select(ResidentAccountRow)).all()
    assert page.url == checkout.url(f"/account/payments/{payment.id}")
    assert heading(page) == texts["receipt"]
    assert page.locator("#receipt-number").inner_text().strip() == receipt_number
    assert (payment.status, payment.language, payment.amount_pence) == ("success", language, 9999)
    assert resident.email == LOGIN
    ours(page, "account-receipt", language)

    press_button(page, texts["sign_out"])
    assert page.url.startswith(oidc_provider.issuer + "/"), page.url
    snap(page, "provider-logout")
    with page.expect_navigation():
        page.get_by_role("button", name=PROVIDER_LOGOUT_BUTTON, exact=True).click()

    page.wait_for_url(checkout.url(SIGNED_OUT_PATH) + "**")
    assert heading(page) == texts["signed_out"]
    assert nav.get_by_role("link", name=texts["sign_in"], exact=True).is_visible()
    assert nav.get_by_role("link", name=texts["account"], exact=True).count() == 0
    assert SESSION_COOKIE not in {cookie["name"] for cookie in page.context.cookies()}
    ours(page, "signed-out", language)

    # Signed out here and at the provider: the account asks to sign in from the start again.
    page.goto(checkout.url("/account"))
    page.locator("input[name=login]").wait_for()
    assert page.url.startswith(oidc_provider.issuer + "/"), page.url
    snap(page, "provider-login-again")
    watch.assert_clean()
