"""Signing in through a real OpenID provider (npm oidc-provider, configured like One Login), the
resident's own account, and every attack on the sign-in refused with a page and nothing stored."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from channels.web_checkout.account import SESSION_COOKIE
from channels.web_checkout.channel import WebCheckoutChannel
from ledger.service import LedgerService
from receipting.app import create_app
from receipting.auth.oidc import RelyingPartyKey, generate_ec_key_pem
from receipting.council.service import load_council_config
from receipting.residents.tables import ResidentAccountRow, ResidentSessionRow
from receipting.settings import OidcSettings
from tests.conftest import TEST_SEAL_KEY
from tests.integration.channels.web_checkout.conftest import (
    CTAX_REF,
    DEMO_COUNCIL,
    PUBLIC_URL,
    SUCCESS_CARD,
    Browser,
    Checkout,
    Clock,
    add_item,
    pay_now,
    pay_on_card_page,
    settings_for,
)
from tests.support.oidc_provider import (
    TAMPER_MODES,
    ClientRegistration,
    OidcProvider,
    login_over_http,
    logout_over_http,
    oidc_provider_fixture,
)

CLIENT_ID = "council-pay"
CALLBACK = f"{PUBLIC_URL}/account/callback"
SIGNED_OUT = f"{PUBLIC_URL}/account/signed-out"

# Each of these makes the provider's next ID token an attack the relying party must refuse.
ATTACKS = tuple(mode for mode in TAMPER_MODES if mode != "none")


@pytest.fixture(scope="module")
def client_key_pem() -> bytes:
    return generate_ec_key_pem()


@pytest.fixture(scope="module")
def client_registration(client_key_pem: bytes) -> ClientRegistration:
    return ClientRegistration(
        client_id=CLIENT_ID,
        redirect_uris=(CALLBACK,),
        client_jwks=RelyingPartyKey.from_pem(client_key_pem).public_jwks(),
        post_logout_redirect_uris=(SIGNED_OUT,),
    )


oidc_provider = oidc_provider_fixture("client_registration")


@pytest.fixture
def site(
    engine: Engine,
    db_url: str,
    session_factory: sessionmaker[Session],
    oidc_provider: OidcProvider,
    client_key_pem: bytes,
) -> Iterator[Checkout]:
    load_council_config(session_factory, DEMO_COUNCIL.read_bytes(), "demo_council.toml")
    clock = Clock()
    oidc = OidcSettings(
        issuer=oidc_provider.issuer, client_id=CLIENT_ID, private_key_pem=client_key_pem
    )
    app = create_app(
        settings_for(db_url, oidc=oidc),
        engine=engine,
        clock=clock,
        channels=[WebCheckoutChannel()],
    )
    yield Checkout(
        app, clock, session_factory, LedgerService(session_factory, seal_key=TEST_SEAL_KEY)
    )


@pytest.fixture
def provider_browser() -> Iterator[httpx.Client]:
    """The resident's browser as the provider sees it (its own cookies at the provider)."""
    with httpx.Client(timeout=10.0) as client:
        yield client


def local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def start_sign_in(browser: Browser, return_to: str = "/account") -> str:
    """Our sign-in page: the 303 to the provider's authorize address."""
    started = browser.get(f"/account/sign-in?return_to={return_to}")
    assert started.status_code == 303, started.text[:1000]
    location = started.headers["location"]
    assert location.startswith("http://127.0.0.1:"), location
    return location


def sign_in(browser: Browser, provider_browser: httpx.Client, login: str) -> str:
    """Signs in all the way; the callback address the provider sent the browser back to."""
    callback = login_over_http(provider_browser, start_sign_in(browser), login)
    assert callback.startswith(CALLBACK), callback
    landed = browser.get(local(callback))
    assert landed.status_code == 303, landed.text[:2000]
    return callback


def stored(session_factory: sessionmaker[Session]) -> tuple[int, int]:
    with session_factory() as session:
        accounts = session.scalar(select(func.count()).select_from(ResidentAccountRow))
        sessions = session.scalar(select(func.count()).select_from(ResidentSessionRow))
    return int(accounts or 0), int(sessions or 0)


def test_the_authorize_request_asks_for_what_one_login_needs(
    site: Checkout, oidc_provider: OidcProvider
) -> None:
    browser = site.browser()
    browser.get("/pay?lang=cy")
    query = parse_qs(urlsplit(start_sign_in(browser)).query)
    assert query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"]
    assert query["vtr"] == ['["Cl.Cm"]']
    assert query["ui_locales"] == ["cy"]
    assert query["redirect_uri"] == [CALLBACK]
    assert query["state"][0] and query["nonce"][0]


def test_a_resident_signs_in_and_sees_their_account(
    site: Checkout, provider_browser: httpx.Client
) -> None:
    browser = site.browser()
    sign_in(browser, provider_browser, "ann@example.org")
    assert SESSION_COOKIE in browser.cookies
    account = browser.get("/account")
    assert account.status_code == 200
    assert "Your account" in account.text
    with site.session_factory() as session:
        resident = session.scalars(select(ResidentAccountRow)).one()
    assert resident.email == "ann@example.org"
    assert resident.subject.startswith("urn:fdc:gov.uk:2022:")


def test_a_guest_asking_for_the_account_is_sent_to_sign_in(site: Checkout) -> None:
    answer = site.browser().get("/account")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/account/sign-in?return_to=")


def test_a_payment_made_signed_in_is_listed_with_its_receipt_for_its_owner_only(
    site: Checkout, provider_browser: httpx.Client
) -> None:
    ann = site.browser()
    sign_in(ann, provider_browser, "ann@example.org")
    add_item(ann, "CTAX", CTAX_REF, "12.34")
    back = pay_on_card_page(ann, pay_now(ann), SUCCESS_CARD)
    confirmation = ann.follow(back)
    assert confirmation.status_code == 200
    account = ann.get("/account")
    payment = site.payments()[0]
    assert payment.receipt_number is not None
    assert payment.receipt_number in account.text
    receipt = ann.get(f"/account/payments/{payment.id}")
    assert receipt.status_code == 200 and CTAX_REF in receipt.text

    with httpx.Client(timeout=10.0) as other_provider_browser:
        bob = site.browser()
        sign_in(bob, other_provider_browser, "bob@example.org")
    assert payment.receipt_number not in bob.get("/account").text
    assert bob.get(f"/account/payments/{payment.id}").status_code == 404


def test_a_resident_saves_a_checked_reference_and_removes_it(
    site: Checkout, provider_browser: httpx.Client
) -> None:
    browser = site.browser()
    sign_in(browser, provider_browser, "ann@example.org")
    browser.get("/account")
    refused = browser.post("/account/references", {"fund_code": "CTAX", "reference": "771234562"})
    assert refused.status_code == 200
    assert "govuk-error-summary" in refused.text
    saved = browser.post("/account/references", {"fund_code": "CTAX", "reference": "77 1234 561"})
    assert saved.status_code == 303
    account = browser.get("/account")
    assert "771234561" in account.text
    prefilled = browser.get("/pay/CTAX?reference=771234561")
    assert 'value="771234561"' in prefilled.text
    remove_path = account.text.split('action="/account/references/', 1)[1].split('"', 1)[0]
    removed = browser.post(f"/account/references/{remove_path}")
    assert removed.status_code == 303
    assert "771234561" not in browser.get("/account").text


def test_signing_out_ends_the_session_here_and_at_the_provider(
    site: Checkout, provider_browser: httpx.Client
) -> None:
    browser = site.browser()
    sign_in(browser, provider_browser, "ann@example.org")
    token = browser.cookies[SESSION_COOKIE]
    browser.get("/account")
    signed_out = browser.post("/account/sign-out")
    assert signed_out.status_code == 303
    logout = signed_out.headers["location"]
    assert "id_token_hint=" in logout and logout.startswith("http://127.0.0.1:")
    assert SESSION_COOKIE not in browser.cookies
    back = logout_over_http(provider_browser, logout)
    assert back.startswith(SIGNED_OUT)
    assert browser.get(local(back)).status_code == 200
    browser.cookies[SESSION_COOKIE] = token  # a copy of the old cookie lets no one back in
    assert browser.get("/account").status_code == 303


@pytest.mark.parametrize("attack", ATTACKS)
def test_an_attack_on_the_id_token_is_refused_with_a_page_and_nothing_stored(
    site: Checkout, provider_browser: httpx.Client, oidc_provider: OidcProvider, attack: str
) -> None:
    browser = site.browser()
    callback = login_over_http(provider_browser, start_sign_in(browser), "mallory@example.org")
    oidc_provider.tamper(attack)
    refused = browser.get(local(callback))
    assert refused.status_code == 400, (attack, refused.text[:1500])
    assert "We could not sign you in" in refused.text
    assert SESSION_COOKIE not in browser.cookies
    assert stored(site.session_factory) == (0, 0)


def test_a_replayed_callback_is_refused(site: Checkout, provider_browser: httpx.Client) -> None:
    browser = site.browser()
    callback = sign_in(browser, provider_browser, "ann@example.org")
    before = stored(site.session_factory)
    replayed = browser.get(local(callback))
    assert replayed.status_code == 400
    assert "already been used" in replayed.text
    assert stored(site.session_factory) == before


def test_a_replayed_code_is_refused_even_with_a_fresh_state(
    site: Checkout, provider_browser: httpx.Client
) -> None:
    browser = site.browser()
    first = sign_in(browser, provider_browser, "ann@example.org")
    code = parse_qs(urlsplit(first).query)["code"][0]
    fresh = parse_qs(urlsplit(start_sign_in(browser)).query)["state"][0]
    before = stored(site.session_factory)
    replayed = browser.get(f"/account/callback?code={code}&state={fresh}")
    assert replayed.status_code == 400
    assert stored(site.session_factory) == before


def test_a_callback_in_another_browser_is_refused(
    site: Checkout, provider_browser: httpx.Client
) -> None:
    callback = login_over_http(provider_browser, start_sign_in(site.browser()), "ann@example.org")
    elsewhere = site.browser()
    refused = elsewhere.get(local(callback))
    assert refused.status_code == 400
    assert stored(site.session_factory) == (0, 0)


def test_the_providers_refusal_is_shown_in_welsh(site: Checkout) -> None:
    browser = site.browser()
    browser.get("/pay?lang=cy")
    state = parse_qs(urlsplit(start_sign_in(browser)).query)["state"][0]
    refused = browser.get(f"/account/callback?error=access_denied&state={state}")
    assert refused.status_code == 400
    assert 'lang="cy"' in refused.text
    assert "access_denied" in refused.text
    assert stored(site.session_factory) == (0, 0)


def test_the_engine_publishes_only_its_public_key(site: Checkout) -> None:
    answer = site.browser().get("/.well-known/jwks.json")
    assert answer.status_code == 200
    (key,) = answer.json["keys"]
    assert key["kty"] == "EC" and "d" not in key
