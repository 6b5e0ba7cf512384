"""What payments ask of the council's configuration, against the demo council."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy.orm import Session, sessionmaker

from receipting import demo
from receipting.council import service
from receipting.council.config import DEFAULT_COLOUR
from receipting.council.errors import (
    CouncilNotConfigured,
    FundNotFound,
    NoVatRateOnDate,
    VatCodeNotFound,
)
from receipting.council.references import ReferenceProblem
from receipting.council.service import LoadReport
from receipting.council.vat import ROUND_HALF_UP_TO_PENNY
from tests.integration.council.conftest import load_text


@pytest.fixture
def session(loaded: LoadReport, session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as session:
        yield session


def test_a_fund_carries_everything_a_payment_needs(session: Session) -> None:
    fund = service.get_fund(session, "PEST")

    assert fund.ledger_account_code == demo.PEST_CONTROL
    assert (fund.vat_code, fund.max_amount_pence, fund.allow_overpayment) == ("STD", 100_000, False)
    assert (fund.payable_online, fund.payable_by_phone, fund.payable_at_counter) == (
        True,
        True,
        True,
    )
    assert (fund.reference_rule, fund.back_office, fund.retired) == (
        "BOOKING",
        "environmental-health",
        False,
    )
    assert fund.reference_description == "Pest control booking numbers are 8 digits"


def test_an_unknown_fund_is_named_in_the_refusal(session: Session) -> None:
    with pytest.raises(FundNotFound) as refused:
        service.get_fund(session, "NOPE")
    assert "'NOPE'" in refused.value.message
    assert refused.value.field == "fund_code"
    with pytest.raises(FundNotFound):
        service.check_reference(session, "NOPE", "1")


def test_a_valid_reference_comes_back_normalised(session: Session) -> None:
    result = service.check_reference(session, "PCN", " bj 1234 5673 ")
    assert (result.valid, result.normalised, result.message) == (True, "BJ12345673", None)


def test_an_invalid_reference_is_explained_in_the_funds_words(session: Session) -> None:
    result = service.check_reference(session, "CTAX", "7712345")

    assert not result.valid
    assert result.message == (
        "That reference has 7 characters, but it should have 9. Council tax account numbers are "
        "9 digits and start with 77. Check the top right of your bill."
    )


def test_an_on_stop_reference_is_refused_with_its_reason_even_though_it_is_well_formed(
    session: Session,
) -> None:
    result = service.check_reference(session, "CTAX", "779 900 017")

    assert not result.valid
    assert result.normalised == "779900017"
    assert result.message is not None and result.message.startswith(
        "This council tax account is closed."
    )


def test_a_fund_without_a_rule_takes_any_reference_that_fits_the_ledger(session: Session) -> None:
    assert service.check_reference(session, "SUSPENSE", "bgc j smith").normalised == "BGCJSMITH"
    assert not service.check_reference(session, "SUSPENSE", "").valid
    assert not service.check_reference(session, "SUSPENSE", "9" * 65).valid


def test_vat_is_split_at_the_rate_in_force_on_the_day(session: Session) -> None:
    now = service.vat_split(session, "STD", 9_000, date(2026, 11, 3))
    then = service.vat_split(session, "STD", 9_000, date(2009, 6, 1))

    assert now == service.VatSplit("STD", 2000, 7_500, 1_500, ROUND_HALF_UP_TO_PENNY)
    assert (then.rate_basis_points, then.net_pence, then.vat_pence) == (1500, 7_826, 1_174)
    assert service.vat_split(session, "OOS", 12_850, date(2026, 11, 3)).vat_pence == 0


def test_vat_for_an_unknown_code_or_a_day_before_its_first_rate_is_refused(
    session: Session,
) -> None:
    with pytest.raises(VatCodeNotFound):
        service.vat_split(session, "ZERO", 100, date(2026, 1, 1))
    with pytest.raises(NoVatRateOnDate):
        service.vat_split(session, "STD", 100, date(1990, 1, 1))


def test_the_accounts_payments_post_to(session: Session) -> None:
    assert service.gateway_clearing_account(session, "sandbox") == demo.CARD_SANDBOX
    assert service.gateway_clearing_account(session, "stripe") == demo.CARD_STRIPE
    assert service.vat_output_account(session) == demo.VAT_OUTPUT
    assert service.suspense_account(session) == demo.SUSPENSE
    assert service.card_fees_account(session) == demo.CARD_FEES
    assert service.get_payment_method(session, "CASH").clearing_account_code == demo.CASH_IN_TILL
    assert not service.get_payment_method(session, "CASH").refundable


def test_a_gateway_without_a_clearing_account_is_a_configuration_problem(
    session: Session,
) -> None:
    with pytest.raises(CouncilNotConfigured) as refused:
        service.gateway_clearing_account(session, "paypal")
    assert "[gateways]" in refused.value.message


def test_before_any_configuration_is_loaded_the_engine_says_how_to_load_one(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as session:
        assert service.current_version(session) is None
        assert service.list_funds(session) == []
        with pytest.raises(CouncilNotConfigured) as refused:
            service.vat_output_account(session)
    assert "receipting council load" in refused.value.message


def test_vat_codes_list_their_rates_in_date_order(session: Session) -> None:
    codes = {code.code: code for code in service.list_vat_codes(session)}
    assert [r.rate_basis_points for r in codes["STD"].rates] == [1750, 1500, 1750, 2000]


# --- what residents' pages ask: Welsh texts and how to present the council ----------------------


def test_a_fund_carries_its_welsh_texts_and_where_to_find_its_reference(session: Session) -> None:
    fund = service.get_fund(session, "CTAX")

    assert fund.name_cy == "Treth gyngor"
    assert fund.guidance == (
        "Your council tax account number is at the top right of your bill. It has 9 digits and "
        "starts with 77."
    )
    assert fund.guidance_cy is not None and fund.guidance_cy.startswith("Mae rhif eich cyfrif")
    assert fund.reference_description_cy == (
        "Mae gan rifau cyfrif treth gyngor 9 digid ac maen nhw'n dechrau gyda 77"
    )
    assert fund.reference_hint_cy == "edrychwch ar gornel dde uchaf eich bil"


def test_without_its_own_guidance_a_fund_shows_its_rules_hint_as_a_sentence(
    session_factory: sessionmaker[Session], demo_text: str
) -> None:
    without = "\n".join(
        line
        for line in demo_text.splitlines()
        if not line.startswith(("guidance =", "guidance_cy"))
    )
    load_text(session_factory, without)

    with session_factory() as session:
        fund = service.get_fund(session, "CTAX")
        suspense = service.get_fund(session, "SUSPENSE")
    assert fund.guidance == "Check the top right of your bill."
    assert fund.guidance_cy == "Edrychwch ar gornel dde uchaf eich bil."
    assert (suspense.guidance, suspense.guidance_cy, suspense.name_cy) == (None, None, None)


def test_a_fund_with_no_welsh_anywhere_has_none_so_pages_show_the_english(
    session_factory: sessionmaker[Session], demo_text: str
) -> None:
    english = "\n".join(line for line in demo_text.splitlines() if "_cy =" not in line)
    load_text(session_factory, english)

    with session_factory() as session:
        fund = service.get_fund(session, "PCN")
        presentation = service.council_presentation(session)
    assert fund.guidance is not None
    assert (fund.name_cy, fund.guidance_cy, fund.reference_description_cy) == (None, None, None)
    assert fund.reference_hint_cy is None
    assert presentation.name_cy is None


@pytest.mark.parametrize(
    ("fund_code", "reference", "problem"),
    [
        ("CTAX", "", "empty"),
        ("CTAX", "7712345", "wrong_length"),
        ("CTAX", "77123456X", "wrong_character"),
        ("CTAX", "771234562", "check_character"),
        ("CTAX", "9" * 65, "too_long"),
        ("PLANNING", "PP-1234567", "pattern"),
        ("CTAX", "779 900 017", "on_stop"),
    ],
)
def test_a_refused_reference_says_why_as_a_code_pages_can_translate(
    session: Session, fund_code: str, reference: str, problem: str
) -> None:
    result = service.check_reference(session, fund_code, reference)

    assert (result.valid, result.problem) == (False, problem)
    assert problem in {p.value for p in ReferenceProblem}


def test_a_valid_reference_has_no_problem(session: Session) -> None:
    assert service.check_reference(session, "CTAX", demo.CTAX_REF_1).problem is None


def test_a_reference_for_a_retired_fund_is_refused_as_such(
    session_factory: sessionmaker[Session], demo_text: str
) -> None:
    load_text(
        session_factory, demo_text.replace("[funds.PEST]\n", "[funds.PEST]\nretired = true\n")
    )

    with session_factory() as session:
        result = service.check_reference(session, "PEST", "12345674")
    assert (result.valid, result.problem) == (False, "fund_retired")


def test_the_council_is_presented_with_its_names_colour_and_contact_details(
    loaded: LoadReport, session_factory: sessionmaker[Session]
) -> None:
    expected = service.CouncilPresentation(
        name="Demo Borough Council",
        name_cy="Cyngor Bwrdeistref Demo",
        colour="#00703c",
        website_url="https://www.demo-borough.example",
        phone="0300 000 0000",
    )
    with session_factory() as session:
        assert service.council_presentation(session) == expected
    assert service.CouncilService(session_factory).council_presentation() == expected


def test_before_any_configuration_the_council_is_presented_plainly_in_the_default_colour(
    session_factory: sessionmaker[Session],
) -> None:
    presentation = service.CouncilService(session_factory).council_presentation()

    assert presentation == service.CouncilPresentation("Council", None, "#1d70b8", None, None)
    assert presentation.colour == DEFAULT_COLOUR
