"""The hosted card page, driven over HTTP as a payer's browser would."""

from __future__ import annotations

import pytest
from falcon.testing import TestClient
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from receipting.app import create_app
from receipting.gateways.base import GatewayState
from receipting.gateways.sandbox.gateway import SandboxGateway
from receipting.settings import Settings
from tests.integration.gateways.sandbox.conftest import (
    FORM,
    GOOD_EXPIRY_YEAR,
    RETURN_URL,
    Browser,
    errors_on,
    payment_request,
)

SUCCESS_CARDS = {
    "4444333322221111": ("visa", "credit"),
    "4242424242424242": ("visa", "credit"),
    "4000056655665556": ("visa", "debit"),
    "5105105105105100": ("master-card", "credit"),
    "5200828282828210": ("master-card", "debit"),
    "371449635398431": ("american-express", "credit"),
    "3566002020360505": ("jcb", "credit"),
    "6011000990139424": ("discover", "credit"),
    "4000160000000004": ("visa", "debit"),
    "4988080000000000": ("visa", "credit"),
    "4111111111111111": ("visa", "credit"),
}


def _cvc_for(number: str) -> str:
    return "1234" if number.startswith(("34", "37")) else "123"


def test_opening_the_card_page_shows_the_payment_and_an_accessible_form(
    gateway: SandboxGateway, browser: Browser
) -> None:
    payment = gateway.create(payment_request())
    page = browser.open(payment)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "£123.45" in page.text
    assert "Council tax for 1 High Street" in page.text
    for field_id, label in [
        ("card-number", "Card number"),
        ("expiry-month", "Month"),
        ("expiry-year", "Year"),
        ("cvc", "Card security code"),
        ("cardholder-name", "Name on card"),
    ]:
        assert f'<label class="govuk-label" for="{field_id}">{label}</label>' in page.text
        assert f'id="{field_id}"' in page.text
    assert 'name="form_token"' in page.text
    assert "Cancel payment" in page.text
    assert "<script" not in page.text


def test_opening_the_card_page_moves_the_payment_from_created_to_started(
    gateway: SandboxGateway, browser: Browser
) -> None:
    payment = gateway.create(payment_request())
    assert gateway.status(payment.gateway_ref).state == GatewayState.CREATED
    browser.open(payment)
    assert gateway.status(payment.gateway_ref).state == GatewayState.STARTED


def test_the_card_page_is_never_cached_or_framed(gateway: SandboxGateway, browser: Browser) -> None:
    page = browser.open(gateway.create(payment_request()))
    assert "no-store" in page.headers["cache-control"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize("number", sorted(SUCCESS_CARDS))
def test_each_success_test_card_succeeds_and_sends_the_payer_back_to_the_service(
    gateway: SandboxGateway, browser: Browser, number: str
) -> None:
    payment = gateway.create(payment_request())
    answer = browser.pay(payment, number, cvc=_cvc_for(number))
    assert answer.status_code == 303
    assert answer.headers["location"] == RETURN_URL
    status = gateway.status(payment.gateway_ref)
    assert status.state == GatewayState.SUCCESS
    assert status.code is None
    assert status.auth_code is not None and len(status.auth_code) == 6
    assert status.three_d_secure_required is False
    assert status.card is not None
    brand, card_type = SUCCESS_CARDS[number]
    assert status.card.brand == brand
    assert status.card.card_type == card_type
    assert status.card.first_digits == number[:6]
    assert status.card.last_digits == number[-4:]
    assert status.card.expiry_date == f"12/{GOOD_EXPIRY_YEAR}"
    assert status.card.cardholder_name == "Jo Bloggs"


def test_an_unknown_but_luhn_valid_card_succeeds(gateway: SandboxGateway, browser: Browser) -> None:
    payment = gateway.create(payment_request())
    assert browser.pay(payment, "4929 0000 0000 0000").status_code == 303
    status = gateway.status(payment.gateway_ref)
    assert status.state == GatewayState.SUCCESS
    assert status.card is not None and status.card.card_type is None


@pytest.mark.parametrize(
    ("number", "state", "code"),
    [
        ("4000000000000002", GatewayState.FAILED, "P0010"),
        ("4000000000000069", GatewayState.FAILED, "P0010"),
        ("4000000000000127", GatewayState.FAILED, "P0010"),
        ("4000000000000119", GatewayState.ERROR, "P0050"),
    ],
)
def test_each_failing_test_card_finishes_with_its_code_and_sends_the_payer_back(
    gateway: SandboxGateway, browser: Browser, number: str, state: GatewayState, code: str
) -> None:
    payment = gateway.create(payment_request())
    answer = browser.pay(payment, number)
    assert answer.status_code == 303
    assert answer.headers["location"] == RETURN_URL
    status = gateway.status(payment.gateway_ref)
    assert (status.state, status.code) == (state, code)
    assert status.message
    assert status.auth_code is None
    assert status.card is not None and status.card.last_digits == number[-4:]


def test_a_card_type_that_is_not_accepted_shows_the_form_again_with_an_error(
    gateway: SandboxGateway, browser: Browser
) -> None:
    payment = gateway.create(payment_request())
    page = browser.pay(payment, "6759649826438453")
    assert page.status_code == 200
    assert "Maestro cards are not accepted" in errors_on(page)["card_number"]
    assert gateway.status(payment.gateway_ref).state == GatewayState.STARTED
    assert gateway.status(payment.gateway_ref).card is None


def test_the_3d_secure_card_asks_for_a_challenge_and_authorising_it_succeeds(
    gateway: SandboxGateway, browser: Browser
) -> None:
    payment = gateway.create(payment_request())
    answer = browser.pay(payment, "4000002500003155")
    assert answer.status_code == 303
    assert answer.headers["location"] == payment.next_url
    assert gateway.status(payment.gateway_ref).state == GatewayState.SUBMITTED
    challenge = browser.open(payment)
    assert "Confirm your payment with your bank" in challenge.text
    assert "Authorise" in challenge.text and "Fail authentication" in challenge.text
    assert 'name="card_number"' not in challenge.text
    done = browser.answer_challenge(payment, "authorise")
    assert done.status_code == 303
    assert done.headers["location"] == RETURN_URL
    status = gateway.status(payment.gateway_ref)
    assert status.state == GatewayState.SUCCESS
    assert status.three_d_secure_required is True
    assert status.auth_code is not None


def test_failing_the_3d_secure_challenge_declines_the_payment(
    gateway: SandboxGateway, browser: Browser
) -> None:
    payment = gateway.create(payment_request())
    browser.pay(payment, "4000002500003155")
    done = browser.answer_challenge(payment, "fail")
    assert done.headers["location"] == RETURN_URL
    status = gateway.status(payment.gateway_ref)
    assert (status.state, status.code) == (GatewayState.FAILED, "P0010")


def test_an_authorised_3d_secure_payment_with_delayed_capture_waits_to_be_captured(
    gateway: SandboxGateway, browser: Browser
) -> None:
    payment = gateway.create(payment_request(delayed_capture=True))
    browser.pay(payment, "4000002500003155")
    browser.answer_challenge(payment, "authorise")
    assert gateway.status(payment.gateway_ref).state == GatewayState.CAPTURABLE


def test_answering_the_challenge_twice_changes_nothing(
    gateway: SandboxGateway, browser: Browser
) -> None:
    payment = gateway.create(payment_request())
    browser.pay(payment, "4000002500003155")
    browser.answer_challenge(payment, "authorise")
    first = gateway.status(payment.gateway_ref)
    again = browser.answer_challenge(payment, "fail")
    assert again.headers["location"] == RETURN_URL
    assert gateway.status(payment.gateway_ref) == first


def test_an_unknown_challenge_answer_is_refused(gateway: SandboxGateway, browser: Browser) -> None:
    payment = gateway.create(payment_request())
    browser.pay(payment, "4000002500003155")
    refused = browser.answer_challenge(payment, "maybe")
    assert refused.status_code == 400
    assert refused.json["field"] == "action"
    assert gateway.status(payment.gateway_ref).state == GatewayState.SUBMITTED


def test_moto_pages_mask_the_card_number_and_security_code(
    gateway: SandboxGateway, browser: Browser
) -> None:
    page = browser.open(gateway.create(payment_request(moto=True)))
    for field_id in ("card-number", "cvc"):
        tag = page.text[page.text.index(f'id="{field_id}"') :].split(">", 1)[0]
        assert 'type="password"' in tag
        assert 'autocomplete="off"' in tag
    assert "Telephone payment" in page.text


def test_ordinary_pages_do_not_mask_the_card_number(
    gateway: SandboxGateway, browser: Browser
) -> None:
    page = browser.open(gateway.create(payment_request()))
    tag = page.text[page.text.index('id="card-number"') :].split(">", 1)[0]
    assert 'type="text"' in tag
    assert 'autocomplete="cc-number"' in tag


def test_moto_payments_skip_3d_secure(gateway: SandboxGateway, browser: Browser) -> None:
    payment = gateway.create(payment_request(moto=True))
    answer = browser.pay(payment, "4000002500003155")
    assert answer.headers["location"] == RETURN_URL
    status = gateway.status(payment.gateway_ref)
    assert status.state == GatewayState.SUCCESS
    assert status.three_d_secure_required is False


def test_the_payer_cancelling_fails_the_payment_with_p0030(
    gateway: SandboxGateway, browser: Browser
) -> None:
    payment = gateway.create(payment_request())
    answer = browser.cancel(payment)
    assert answer.status_code == 303
    assert answer.headers["location"] == RETURN_URL
    status = gateway.status(payment.gateway_ref)
    assert (status.state, status.code) == (GatewayState.FAILED, "P0030")


def test_the_payer_can_cancel_at_the_3d_secure_step_too(
    gateway: SandboxGateway, browser: Browser
) -> None:
    payment = gateway.create(payment_request())
    browser.pay(payment, "4000002500003155")
    browser.cancel(payment)
    assert gateway.status(payment.gateway_ref).code == "P0030"


def test_a_wrong_form_is_shown_again_with_each_error_and_without_the_card_number(
    gateway: SandboxGateway, browser: Browser
) -> None:
    payment = gateway.create(payment_request())
    page = browser.pay(
        payment,
        "4242424242424241",
        expiry_month="13",
        expiry_year="2031",
        cvc="12",
        cardholder_name="",
    )
    assert page.status_code == 200
    errors = errors_on(page)
    assert set(errors) == {"card_number", "expiry", "cvc", "cardholder_name"}
    assert "not a valid card number" in errors["card_number"]
    assert "There is a problem" in page.text
    assert "4242424242424241" not in page.text
    assert 'value="2031"' in page.text  # the expiry is kept for correcting
    assert 'aria-describedby="card-number-hint card_number-error"' in page.text
    assert gateway.status(payment.gateway_ref).state == GatewayState.STARTED


def test_an_expired_date_is_refused_inline(gateway: SandboxGateway, browser: Browser) -> None:
    payment = gateway.create(payment_request())
    page = browser.pay(payment, expiry_month="10", expiry_year="26")
    assert "must be in the future" in errors_on(page)["expiry"]


def test_a_valid_card_is_never_echoed_back_when_another_field_is_wrong(
    gateway: SandboxGateway, browser: Browser
) -> None:
    payment = gateway.create(payment_request())
    page = browser.pay(payment, "4444333322221111", cvc="9x9", cardholder_name="Jo Bloggs")
    assert set(errors_on(page)) == {"cvc"}
    assert "4444333322221111" not in page.text
    assert "9x9" not in page.text
    assert 'value="Jo Bloggs"' in page.text


def test_a_prefilled_cardholder_name_is_shown_in_the_form(
    gateway: SandboxGateway, browser: Browser
) -> None:
    page = browser.open(gateway.create(payment_request(cardholder_name="A N Other")))
    assert 'value="A N Other"' in page.text


def test_submitting_twice_charges_once(gateway: SandboxGateway, browser: Browser) -> None:
    payment = gateway.create(payment_request())
    first = browser.pay(payment, "4444333322221111")
    after_first = gateway.status(payment.gateway_ref)
    second = browser.pay(payment, "4000000000000002", cardholder_name="Someone Else")
    assert first.headers["location"] == second.headers["location"] == RETURN_URL
    assert gateway.status(payment.gateway_ref) == after_first


def test_a_finished_payment_shows_that_it_is_finished_instead_of_the_form(
    gateway: SandboxGateway, browser: Browser
) -> None:
    payment = gateway.create(payment_request())
    browser.pay(payment)
    page = browser.open(payment)
    assert page.status_code == 200
    assert "This payment is finished" in page.text
    assert 'name="card_number"' not in page.text
    assert RETURN_URL.replace("&", "&amp;") in page.text or RETURN_URL in page.text


def test_a_form_without_this_payments_token_is_refused_and_changes_nothing(
    gateway: SandboxGateway, browser: Browser
) -> None:
    payment = gateway.create(payment_request())
    other = gateway.create(payment_request())
    browser.open(payment)
    browser.open(other)
    for token in ("", browser.tokens[other.gateway_ref]):
        refused = browser.pay(payment, token=token)
        assert refused.status_code == 400
        assert refused.json["code"] == "SANDBOX_FORM_REFUSED"
        assert "reload" in refused.json["description"]
    assert gateway.status(payment.gateway_ref).state == GatewayState.STARTED


def test_each_transaction_has_its_own_form_token(gateway: SandboxGateway, browser: Browser) -> None:
    first, second = gateway.create(payment_request()), gateway.create(payment_request())
    browser.open(first)
    browser.open(second)
    assert browser.tokens[first.gateway_ref] != browser.tokens[second.gateway_ref]


def test_a_card_page_that_does_not_exist_is_not_found(client: TestClient) -> None:
    answer = client.simulate_get("/sandbox-gateway/pay/no-such-payment")
    assert answer.status_code == 404
    assert answer.json["code"] == "SANDBOX_PAGE_NOT_FOUND"


def test_a_card_form_posted_as_json_is_refused(gateway: SandboxGateway, browser: Browser) -> None:
    payment = gateway.create(payment_request())
    answer = browser.client.simulate_post(Browser.path(payment), json={"card_number": "4444"})
    assert answer.status_code == 415
    assert "application/x-www-form-urlencoded" in answer.json["description"]


def test_an_oversized_card_form_is_refused(gateway: SandboxGateway, browser: Browser) -> None:
    payment = gateway.create(payment_request())
    browser.open(payment)
    answer = browser.post(Browser.path(payment), {"cardholder_name": "x" * 10_000})
    assert answer.status_code == 413


def test_json_api_routes_still_refuse_form_bodies(client: TestClient) -> None:
    answer = client.simulate_post("/v1/payments", body="amount=1", headers=FORM)
    assert answer.status_code == 415


def test_the_full_card_number_is_stored_in_no_table(
    gateway: SandboxGateway, browser: Browser, engine: Engine
) -> None:
    numbers = ["4444333322221111", "4000000000000002", "4000002500003155", "4000000000000119"]
    for number in numbers:
        browser.pay(gateway.create(payment_request()), number)
    with engine.connect() as conn:
        dump = " ".join(
            repr(row)
            for table in inspect(conn).get_table_names()
            for row in conn.execute(text(f'SELECT * FROM "{table}"'))
        )
    assert "444433" in dump  # the first six are kept, so the tables were read
    for number in numbers:
        assert number not in dump


def test_the_card_pages_are_in_the_openapi_document(client: TestClient) -> None:
    paths = client.simulate_get("/openapi.json").json["paths"]
    assert set(paths["/sandbox-gateway/pay/{gateway_ref}"]) == {"get", "post"}
    assert set(paths["/sandbox-gateway/pay/{gateway_ref}/3ds"]) == {"post"}


def test_without_the_sandbox_setting_there_are_no_card_pages(db_url: str, engine: Engine) -> None:
    settings = Settings(database_url=db_url, sandbox_gateway=False)
    client = TestClient(create_app(settings, engine=engine, channels=[]))
    assert client.simulate_get("/sandbox-gateway/pay/anything").status_code == 404
    assert (
        "/sandbox-gateway/pay/{gateway_ref}"
        not in client.simulate_get("/openapi.json").json["paths"]
    )
