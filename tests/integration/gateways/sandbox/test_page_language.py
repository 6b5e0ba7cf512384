"""The hosted card pages speak the payment's language: Welsh (`cy`) or English.

Councils in Wales must offer Welsh, so a payment created in Welsh is paid on Welsh pages, its form
errors included. The catalogue tests keep every text the pages can show translated.
"""

from __future__ import annotations

from datetime import date

import pytest
from babel.messages.extract import extract
from babel.messages.pofile import read_po

from receipting.gateways.sandbox import cards
from receipting.gateways.sandbox.gateway import BRAND_LABELS, SandboxGateway
from receipting.gateways.sandbox.pages import TEMPLATES_DIR, catalogue_path, make_language
from tests.integration.gateways.sandbox.conftest import Browser, errors_on, payment_request

# The options the pages' Jinja environment is made with, so extraction reads them as it does.
JINJA_OPTIONS = {"trim_blocks": "true", "lstrip_blocks": "true", "extensions": "jinja2.ext.i18n"}

WELSH_LABELS = {
    "card-number": "Rhif y cerdyn",
    "expiry-month": "Mis",
    "expiry-year": "Blwyddyn",
    "cardholder-name": "Enw ar y cerdyn",
    "cvc": "Cod diogelwch y cerdyn",
}


def template_messages() -> set[str]:
    """Every text the templates pass to `_()`."""
    found: set[str] = set()
    for template in sorted(TEMPLATES_DIR.glob("*.html")):
        with template.open("rb") as source:
            for _line, message, _comments, _context in extract(
                "jinja2.ext:babel_extract", source, options=JINJA_OPTIONS
            ):
                assert isinstance(message, str), f"{template.name}: no plural forms are used"
                found.add(message)
    return found


def card_check_messages() -> set[str]:
    """Every error message the card checks can give, found by giving them each kind of mistake."""
    today = date(2026, 11, 24)
    messages = {
        cards.card_number_error(""),
        cards.card_number_error("4444x"),
        cards.card_number_error("4444"),
        cards.card_number_error("4242424242424241"),
        cards.expiry_error("", "30", today),
        cards.expiry_error("13", "30", today),
        cards.expiry_error("10", "26", today),
        cards.expiry_error("01", "99", today),
        cards.cvc_error("", "visa"),
        cards.cvc_error("12", "visa"),
        cards.cvc_error("123", "american-express"),
        cards.cardholder_name_error(""),
        cards.cardholder_name_error("x" * (cards.MAX_CARDHOLDER_NAME_LEN + 1)),
    }
    brands = [*BRAND_LABELS.values(), "These"]
    messages |= {
        f"{brand} cards are not accepted for this payment; use another card" for brand in brands
    }
    assert None not in messages, "each mistake above is one the checks report"
    return {message for message in messages if message is not None}


def welsh_catalogue() -> dict[str, str]:
    with catalogue_path("cy").open("rb") as source:
        catalogue = read_po(source, locale="cy")
    return {str(message.id): str(message.string) for message in catalogue if message.id}


def test_every_text_on_the_pages_has_a_welsh_translation() -> None:
    welsh = welsh_catalogue()
    missing = sorted(message for message in template_messages() if not welsh.get(message))
    assert missing == []


def test_every_card_check_error_has_a_welsh_translation() -> None:
    welsh = welsh_catalogue()
    missing = sorted(message for message in card_check_messages() if not welsh.get(message))
    assert missing == []


def test_the_welsh_catalogue_holds_only_texts_the_pages_can_show() -> None:
    unused = set(welsh_catalogue()) - template_messages() - card_check_messages()
    assert sorted(unused) == []


def test_an_english_catalogue_exists_and_translates_nothing() -> None:
    english = make_language("en")
    assert catalogue_path("en").is_file()
    assert english.errors({"cvc": "Enter the card security code"}) == {
        "cvc": "Enter the card security code"
    }


def test_a_welsh_payment_gets_the_card_form_in_welsh(
    gateway: SandboxGateway, browser: Browser
) -> None:
    page = browser.open(gateway.create(payment_request(language="cy")))
    assert page.status_code == 200
    assert '<html lang="cy"' in page.text
    assert page.headers["content-language"] == "cy"
    assert "<title>Rhowch fanylion y cerdyn \N{EN DASH} Taliadau cerdyn prawf</title>" in page.text
    for field_id, label in WELSH_LABELS.items():
        assert f'<label class="govuk-label" for="{field_id}">{label}</label>' in page.text
    assert "Dyddiad dod i ben" in page.text
    assert ">Talu</button>" in page.text
    assert ">Canslo&#39;r taliad</button>" in page.text or ">Canslo'r taliad</button>" in page.text
    assert "£123.45" in page.text
    for english in ("Card number", "Name on card", "Cancel payment", "Enter card details"):
        assert english not in page.text


def test_an_english_payment_gets_the_card_form_in_english(
    gateway: SandboxGateway, browser: Browser
) -> None:
    page = browser.open(gateway.create(payment_request(language="en")))
    assert '<html lang="en"' in page.text
    assert page.headers["content-language"] == "en"
    assert ">Pay</button>" in page.text
    assert "Rhif y cerdyn" not in page.text


def test_a_welsh_payments_form_errors_are_in_welsh(
    gateway: SandboxGateway, browser: Browser
) -> None:
    payment = gateway.create(payment_request(language="cy"))
    page = browser.pay(payment, "4242424242424241", expiry_month="13", cvc="12", cardholder_name="")
    assert page.status_code == 200
    assert errors_on(page) == {
        "card_number": "Nid yw hwn yn rhif cerdyn dilys; gwiriwch eich bod wedi&#39;i deipio&#39;n "
        "gywir",
        "expiry": "Rhowch y dyddiad dod i ben fel mis o 01 i 12 a blwyddyn, er enghraifft 04 a 30",
        "cvc": "Rhowch y cod diogelwch 3 digid sydd wedi&#39;i argraffu ar gefn eich cerdyn",
        "cardholder_name": "Rhowch yr enw fel y mae&#39;n ymddangos ar y cerdyn",
    }
    assert "<title>Gwall: Rhowch fanylion y cerdyn" in page.text
    assert "Mae problem wedi codi" in page.text
    assert '<span class="govuk-visually-hidden">Gwall:</span>' in page.text


def test_a_card_type_not_accepted_is_explained_in_welsh(
    gateway: SandboxGateway, browser: Browser
) -> None:
    page = browser.pay(gateway.create(payment_request(language="cy")), "6759649826438453")
    assert errors_on(page)["card_number"].startswith("Nid yw cardiau Maestro yn cael eu derbyn")


@pytest.mark.parametrize(
    ("language", "heading"),
    [("cy", "Cadarnhewch eich taliad gyda&#39;ch banc"), ("en", "Confirm your payment with")],
)
def test_the_3d_secure_challenge_is_in_the_payments_language(
    gateway: SandboxGateway, browser: Browser, language: str, heading: str
) -> None:
    payment = gateway.create(payment_request(language=language))
    browser.pay(payment, "4000002500003155")
    challenge = browser.open(payment)
    assert f'<html lang="{language}"' in challenge.text
    assert heading in challenge.text or heading.replace("&#39;", "'") in challenge.text
    assert "3155" in challenge.text


def test_a_finished_welsh_payment_says_so_in_welsh(
    gateway: SandboxGateway, browser: Browser
) -> None:
    payment = gateway.create(payment_request(language="cy"))
    browser.pay(payment)
    page = browser.open(payment)
    assert "wedi dod i ben" in page.text
    assert "awdurdodi" in page.text
    assert "Mynd yn ôl i&#39;r gwasanaeth" in page.text or "Mynd yn ôl i'r gwasanaeth" in page.text


def test_the_pages_use_the_govuk_frontend_stylesheet_and_no_script(
    gateway: SandboxGateway, browser: Browser
) -> None:
    page = browser.open(gateway.create(payment_request()))
    assert '<link rel="stylesheet" href="/assets/stylesheets/govuk-frontend.min.css">' in page.text
    assert '<link rel="stylesheet" href="/assets/stylesheets/council.css">' in page.text
    assert "<script" not in page.text
