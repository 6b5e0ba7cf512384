"""Loading a council's configuration: atomic, versioned, and funds are retired, never deleted."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ledger import EntryRequest, LedgerService, PostingLine
from ledger.accounts import get_account, list_accounts
from receipting import demo
from receipting.council import service
from receipting.council.errors import ConcurrentLoad, CouncilConfigInvalid
from receipting.council.service import LoadReport
from receipting.council.tables import ConfigVersionRow, FundRow, ReferenceRuleRow
from tests.integration.council.conftest import load_text


def versions(session_factory: sessionmaker[Session]) -> list[int]:
    with session_factory() as session:
        return list(session.scalars(select(ConfigVersionRow.version).order_by("version")))


def test_loading_the_demo_opens_its_chart_and_records_version_one(
    loaded: LoadReport, session_factory: sessionmaker[Session]
) -> None:
    assert (loaded.version, loaded.changed, loaded.funds) == (1, True, 8)
    with session_factory() as session:
        assert {a.code for a in list_accounts(session)} == {a.code for a in demo.DEMO_CHART}
        assert [f.code for f in service.list_funds(session)] == [
            "CTAX",
            "NNDR",
            "PCN",
            "PEST",
            "PLANNING",
            "RENT",
            "SUNDRY",
            "SUSPENSE",
        ]
        version = service.current_version(session)
    assert version is not None
    assert (version.version, version.council_name, version.source) == (
        1,
        demo.DEMO_COUNCIL_NAME,
        demo.DEMO_COUNCIL_CONFIG,
    )
    assert len(version.sha256) == 64


def test_loading_the_identical_file_again_changes_nothing_and_says_so(
    loaded: LoadReport, session_factory: sessionmaker[Session]
) -> None:
    again = service.load_council_config(session_factory, demo.demo_council_config(), "again.toml")

    assert (again.version, again.changed) == (1, False)
    assert versions(session_factory) == [1]


def test_a_changed_file_becomes_the_next_version(
    loaded: LoadReport, session_factory: sessionmaker[Session], demo_text: str
) -> None:
    changed = load_text(
        session_factory,
        demo_text.replace("max_amount_pence = 50_000 ", "max_amount_pence = 60_000 "),
    )

    assert (changed.version, changed.changed) == (2, True)
    assert versions(session_factory) == [1, 2]
    with session_factory() as session:
        assert service.get_fund(session, "PCN").max_amount_pence == 60_000


def test_a_fund_left_out_of_a_new_file_is_retired_and_kept(
    loaded: LoadReport, session_factory: sessionmaker[Session], demo_text: str
) -> None:
    start = demo_text.index("[funds.PEST]")
    end = demo_text.index("[funds.SUSPENSE]")
    without_pest = demo_text[:start] + demo_text[end:]

    report = load_text(session_factory, without_pest)

    assert report.funds_retired == ("PEST",)
    with session_factory() as session:
        pest = service.get_fund(session, "PEST")
        assert pest.retired
        assert pest.name == "Pest control treatments"
        result = service.check_reference(session, "PEST", "79927398")
    assert not result.valid
    assert result.message is not None and "no longer be paid" in result.message

    # Putting it back brings it back.
    load_text(session_factory, demo_text, "restored.toml")
    with session_factory() as session:
        assert not service.get_fund(session, "PEST").retired


def test_a_fund_with_payments_cannot_move_to_another_ledger_account(
    loaded: LoadReport,
    session_factory: sessionmaker[Session],
    ledger_service: LedgerService,
    demo_text: str,
) -> None:
    ledger_service.post(
        EntryRequest(
            date(2026, 11, 2),
            "card payment",
            (
                PostingLine(demo.CARD_SANDBOX, 3_500),
                PostingLine(demo.PARKING_FINES, -3_500, demo.PCN_REF),
            ),
        )
    )
    moved = demo_text.replace(
        'ledger_account = "FUND-PCN"', 'ledger_account = "FUND-SUNDRY"'
    ).replace('name = "Business rates"', 'name = "Business rates (renamed)"')

    with pytest.raises(CouncilConfigInvalid) as refused:
        load_text(session_factory, moved)

    assert refused.value.problems[0].key == "funds.PCN.ledger_account"
    assert "payments have been posted" in refused.value.message
    assert versions(session_factory) == [1]
    with session_factory() as session:
        assert service.fund_has_payments(session, "PCN")
        assert not service.fund_has_payments(session, "NNDR")
        assert service.get_fund(session, "PCN").ledger_account_code == demo.PARKING_FINES
        assert service.get_fund(session, "NNDR").name == "Business rates"


def test_a_fund_without_payments_may_move_to_another_account(
    loaded: LoadReport, session_factory: sessionmaker[Session], demo_text: str
) -> None:
    moved = demo_text.replace('ledger_account = "FUND-PCN"', 'ledger_account = "FUND-SUNDRY"')

    assert load_text(session_factory, moved).version == 2
    with session_factory() as session:
        assert service.get_fund(session, "PCN").ledger_account_code == demo.SUNDRY_DEBTORS


def test_a_refused_file_changes_nothing(
    loaded: LoadReport, session_factory: sessionmaker[Session], demo_text: str
) -> None:
    broken = demo_text.replace('name = "Council tax"', 'name = "Council tax (new)"').replace(
        'vat_code = "STD"', 'vat_code = "STANDARD"'
    )

    with pytest.raises(CouncilConfigInvalid):
        load_text(session_factory, broken)

    assert versions(session_factory) == [1]
    with session_factory() as session:
        assert service.get_fund(session, "CTAX").name == "Council tax"


def test_a_load_that_fails_part_way_is_rolled_back_whole(
    session_factory: sessionmaker[Session], demo_text: str
) -> None:
    # Chart, VAT codes, rules and funds are written before the gateways, whose table is gone:
    # the load fails there, and nothing written before it may remain.
    with session_factory() as session, session.begin():
        session.execute(text("DROP TABLE council_gateways"))

    with pytest.raises(DBAPIError):
        load_text(session_factory, demo_text)

    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(FundRow)) == 0
        assert list_accounts(session) == []


def test_a_rule_no_fund_uses_any_more_is_removed_but_one_a_retired_fund_uses_is_kept(
    session_factory: sessionmaker[Session], demo_text: str
) -> None:
    spare = '[reference_rules.SPARE]\ndescription = "Spare"\npattern = "[0-9]+"\n\n'
    rules_at = demo_text.index("[reference_rules.CTAX]")
    load_text(session_factory, demo_text[:rules_at] + spare + demo_text[rules_at:])
    start = demo_text.index("[funds.PEST]")
    end = demo_text.index("[funds.SUSPENSE]")
    rule_start = demo_text.index("[reference_rules.BOOKING]")
    rule_end = demo_text.index("# Funds.")
    without = demo_text[:rule_start] + demo_text[rule_end:start] + demo_text[end:]

    load_text(session_factory, without)

    with session_factory() as session:
        pest = service.get_fund(session, "PEST")
        assert pest.retired and pest.reference_rule == "BOOKING"
        rules = set(session.scalars(select(ReferenceRuleRow.code)))
    assert "BOOKING" in rules
    assert "SPARE" not in rules


def test_the_database_refuses_a_fund_with_no_ledger_account_or_no_maximum(
    loaded: LoadReport, session_factory: sessionmaker[Session]
) -> None:
    columns = (
        "code, name, gl_code, ledger_account, vat_code, max_amount_pence, allow_overpayment, "
        "payable_online, payable_by_phone, payable_at_counter, retired"
    )
    for account, maximum in (("NO-SUCH-ACCOUNT", 100), (demo.COUNCIL_TAX, 0)):
        with session_factory() as session, pytest.raises(IntegrityError):
            session.execute(
                text(
                    f"INSERT INTO council_funds ({columns}) VALUES ('X', 'X', 'GL', :account, "
                    "'OOS', :maximum, false, true, true, true, false)"
                ),
                {"account": account, "maximum": maximum},
            )
            session.commit()


def test_accounts_named_in_the_chart_are_renamed_when_the_file_renames_them(
    loaded: LoadReport, session_factory: sessionmaker[Session], demo_text: str
) -> None:
    load_text(
        session_factory, demo_text.replace('"Cash over and short"', '"Cash overs and shorts"')
    )

    with session_factory() as session:
        assert get_account(session, demo.CASH_OVER_SHORT).name == "Cash overs and shorts"


def test_two_files_loaded_at_once_each_load_whole_or_not_at_all(
    session_factory: sessionmaker[Session], demo_text: str
) -> None:
    texts = [
        demo_text.replace('name = "Council tax"', f'name = "Council tax {n}"') for n in range(4)
    ]
    start = threading.Barrier(len(texts))
    outcomes: list[str] = []

    def load(text_: str) -> None:
        start.wait()
        try:
            load_text(session_factory, text_)
            outcomes.append("loaded")
        except ConcurrentLoad:
            outcomes.append("refused")

    threads = [threading.Thread(target=load, args=(t,)) for t in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    loaded_count = outcomes.count("loaded")
    assert loaded_count >= 1 and len(outcomes) == len(texts)
    assert versions(session_factory) == list(range(1, loaded_count + 1))
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(FundRow)) == 8


# --- Welsh texts, colour and contact details ---------------------------------------------------


def test_loading_stores_the_welsh_texts_colour_and_contact_details(
    loaded: LoadReport, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as session:
        version = session.scalars(select(ConfigVersionRow)).one()
        rule = session.scalars(select(ReferenceRuleRow).where(ReferenceRuleRow.code == "PCN")).one()
        fund = session.scalars(select(FundRow).where(FundRow.code == "RENT")).one()

    assert (version.council_name_cy, version.colour, version.phone) == (
        "Cyngor Bwrdeistref Demo",
        "#00703c",
        "0300 000 0000",
    )
    assert version.website_url is not None and version.website_url.startswith("https://")
    assert rule.description_cy is not None and rule.description_cy.startswith("Mae rhifau")
    assert rule.hint_cy == "mae wedi'i argraffu ar frig yr hysbysiad"
    assert (fund.name_cy, fund.guidance is not None, fund.guidance_cy is not None) == (
        "Rhenti tai",
        True,
        True,
    )


def test_a_new_version_of_the_file_changes_the_welsh_texts_colour_and_contact_details(
    loaded: LoadReport, session_factory: sessionmaker[Session], demo_text: str
) -> None:
    changed = (
        demo_text.replace('colour = "#00703c"', 'colour = "#4C2C92"')
        .replace('name_cy = "Cyngor Bwrdeistref Demo"', 'name_cy = "Cyngor Demo"')
        .replace('phone = "0300 000 0000"\n', "")
        .replace('name_cy = "Rhenti tai"', 'name_cy = "Rhent tai"')
        .replace('hint_cy = "mae wedi\'i argraffu ar frig yr hysbysiad"\n', "")
    )

    assert load_text(session_factory, changed).version == 2

    with session_factory() as session:
        presentation = service.council_presentation(session)
        rent = service.get_fund(session, "RENT")
        pcn = service.get_fund(session, "PCN")
    assert (presentation.name_cy, presentation.colour, presentation.phone) == (
        "Cyngor Demo",
        "#4c2c92",
        None,
    )
    assert rent.name_cy == "Rhent tai"
    assert pcn.reference_hint_cy is None
    assert pcn.guidance_cy is not None  # the fund's own guidance does not need the hint


def test_a_file_refused_for_its_colour_changes_nothing(
    loaded: LoadReport, session_factory: sessionmaker[Session], demo_text: str
) -> None:
    broken = demo_text.replace('colour = "#00703c"', 'colour = "#fd0"').replace(
        'name_cy = "Treth gyngor"', 'name_cy = "Treth y cyngor"'
    )

    with pytest.raises(CouncilConfigInvalid) as refused:
        load_text(session_factory, broken, "council.toml")

    line = next(n for n, row in enumerate(broken.splitlines(), 1) if row.startswith("colour ="))
    assert f"council.toml line {line}, council.colour: is '#fd0'" in refused.value.message
    assert versions(session_factory) == [1]
    with session_factory() as session:
        assert service.council_presentation(session).colour == "#00703c"
        assert service.get_fund(session, "CTAX").name_cy == "Treth gyngor"
