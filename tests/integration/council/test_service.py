"""What payments ask of the council's configuration, against the demo council."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy.orm import Session, sessionmaker

from receipting import demo
from receipting.council import service
from receipting.council.errors import (
    CouncilNotConfigured,
    FundNotFound,
    NoVatRateOnDate,
    VatCodeNotFound,
)
from receipting.council.service import LoadReport
from receipting.council.vat import ROUND_HALF_UP_TO_PENNY


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
