"""The configuration file: the demo council's parses, and every problem names its key and line."""

from __future__ import annotations

from importlib.resources import files

import pytest

from ledger.model import AccountKind
from receipting import demo
from receipting.council.config import (
    DEFAULT_COLOUR,
    MAX_TEXT_LEN,
    MIN_HEADER_CONTRAST_RATIO,
    CouncilConfig,
    KeyLines,
    contrast_with_white,
    parse_config,
)
from receipting.council.errors import ConfigProblem, CouncilConfigInvalid
from receipting.council.references import validate

DEMO_TEXT = files("receipting.council").joinpath("demo_council.toml").read_text("utf-8")

MINIMAL = """\
[council]
name = "Test Council"
vat_output_account = "VAT"
suspense_account = "SUSP"
card_fees_account = "FEES"

[chart]
VAT = { name = "VAT output", kind = "liability" }
SUSP = { name = "Suspense", kind = "liability" }
FEES = { name = "Card fees", kind = "expense" }
CARD = { name = "Card clearing", kind = "asset" }
CTAX = { name = "Council tax", kind = "liability" }

[gateways]
sandbox = "CARD"

[vat_codes.OOS]
name = "Outside scope"
rates = [{ effective_from = 1973-04-01, rate_basis_points = 0 }]

[reference_rules.CTAX]
description = "Council tax account numbers are 9 digits and start with 77"
mask = "77######@"

[reference_rules.CTAX.check]
scheme = "weighted"
modulus = 10
weights = [3, 7, 1, 3, 7, 1, 3, 7]
subtract = true
map = { "10" = "0" }

[funds.CTAX]
name = "Council tax"
gl_code = "GL1"
ledger_account = "CTAX"
vat_code = "OOS"
max_amount_pence = 100000
reference_rule = "CTAX"
"""


def problems_of(text: str) -> list[ConfigProblem]:
    with pytest.raises(CouncilConfigInvalid) as refused:
        parse_config(text, "council.toml")
    return list(refused.value.problems)


def only_problem(text: str) -> ConfigProblem:
    found = problems_of(text)
    assert len(found) == 1, found
    return found[0]


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.fixture(scope="module")
def demo_config() -> CouncilConfig:
    return parse_config(DEMO_TEXT, "demo_council.toml")


def test_a_minimal_configuration_parses() -> None:
    config = parse_config(MINIMAL)
    assert config.council_name == "Test Council"
    assert [fund.code for fund in config.funds] == ["CTAX"]
    fund = config.funds[0]
    assert (fund.allow_overpayment, fund.payable_online, fund.retired) == (False, True, False)


def test_the_demo_council_has_the_funds_the_issue_asks_for(demo_config: CouncilConfig) -> None:
    assert demo_config.council_name == demo.DEMO_COUNCIL_NAME
    assert {f.code for f in demo_config.funds} >= {
        "CTAX",
        "NNDR",
        "RENT",
        "PCN",
        "SUNDRY",
        "PLANNING",
        "PEST",
        "SUSPENSE",
    }
    assert {v.code for v in demo_config.vat_codes} == {"STD", "EXEMPT", "OOS"}
    assert dict(demo_config.gateways)["sandbox"] == demo.CARD_SANDBOX
    assert demo_config.vat_output_account == demo.VAT_OUTPUT
    assert demo_config.suspense_account == demo.SUSPENSE
    assert demo_config.card_fees_account == demo.CARD_FEES


def test_the_demo_council_chart_is_the_demo_ledgers_chart(demo_config: CouncilConfig) -> None:
    assert {(a.code, a.name, a.kind) for a in demo_config.chart} == {
        (a.code, a.name, AccountKind(a.kind)) for a in demo.DEMO_CHART
    }


@pytest.mark.parametrize(
    ("fund_code", "reference"),
    [
        ("CTAX", demo.CTAX_REF_1),
        ("CTAX", demo.CTAX_REF_2),
        ("CTAX", demo.CTAX_REF_3),
        ("NNDR", demo.NNDR_REF_1),
        ("NNDR", demo.NNDR_REF_2),
        ("RENT", demo.RENT_REF),
        ("PCN", demo.PCN_REF),
        ("SUNDRY", demo.SUNDRY_REF),
        ("PLANNING", demo.PLANNING_REF_1),
        ("PLANNING", demo.PLANNING_REF_2),
    ],
)
def test_every_demo_reference_is_valid_under_its_funds_rule(
    demo_config: CouncilConfig, fund_code: str, reference: str
) -> None:
    fund = next(f for f in demo_config.funds if f.code == fund_code)
    rule = next(r for r in demo_config.reference_rules if r.code == fund.reference_rule)
    assert validate(rule, reference).valid


def test_every_demo_on_stop_reference_passes_its_rule_so_the_reason_is_what_payers_see(
    demo_config: CouncilConfig,
) -> None:
    rules = {rule.code: rule for rule in demo_config.reference_rules}
    stopped = [(f, ref) for f in demo_config.funds for ref, _reason in f.on_stop]
    assert len(stopped) >= 2
    for fund, reference in stopped:
        assert fund.reference_rule is not None
        assert validate(rules[fund.reference_rule], reference).valid


def test_a_syntax_error_names_its_line() -> None:
    problem = only_problem('[council]\nname = "Unclosed\n')
    assert problem.line == 2
    assert "not valid TOML" in problem.message


def test_a_fund_naming_an_unknown_rule_names_the_key_and_its_line() -> None:
    text = MINIMAL.replace('reference_rule = "CTAX"', 'reference_rule = "CTX"')
    problem = only_problem(text)
    assert problem.key == "funds.CTAX.reference_rule"
    assert problem.line == line_of(text, 'reference_rule = "CTX"')
    assert "CTAX" in problem.message  # the rules that do exist


def test_the_refusal_names_the_file_line_and_key_and_says_nothing_was_loaded() -> None:
    text = MINIMAL.replace("max_amount_pence = 100000", "max_amount_pence = 0")
    with pytest.raises(CouncilConfigInvalid) as refused:
        parse_config(text, "council.toml")
    line = line_of(text, "max_amount_pence")
    assert f"council.toml line {line}, funds.CTAX.max_amount_pence: is 0" in refused.value.message
    assert "nothing was changed" in refused.value.message
    assert refused.value.field == "funds.CTAX.max_amount_pence"


def test_every_problem_is_reported_at_once() -> None:
    text = MINIMAL.replace('vat_code = "OOS"', 'vat_code = "STD"').replace(
        'gl_code = "GL1"', "gl_code = 1"
    )
    keys = {problem.key for problem in problems_of(text)}
    assert keys == {"funds.CTAX.vat_code", "funds.CTAX.gl_code"}


def test_a_misspelt_setting_suggests_the_right_one() -> None:
    problem = only_problem(MINIMAL.replace("reference_rule =", "refrence_rule ="))
    assert problem.key == "funds.CTAX.refrence_rule"
    assert "Did you mean 'reference_rule'?" in problem.message


def test_an_account_outside_the_chart_is_refused_wherever_it_is_named() -> None:
    problem = only_problem(MINIMAL.replace('sandbox = "CARD"', 'sandbox = "CARD-X"'))
    assert problem.key == "gateways.sandbox"
    assert "[chart.CARD-X]" in problem.message


def test_an_unknown_account_kind_lists_the_kinds() -> None:
    problem = only_problem(MINIMAL.replace('kind = "asset"', 'kind = "assets"'))
    assert problem.key == "chart.CARD.kind"
    assert "asset, liability, income, expense, equity" in problem.message


def test_a_check_value_without_a_character_is_named_with_the_entry_to_add() -> None:
    problem = only_problem(MINIMAL.replace('map = { "10" = "0" }\n', ""))
    assert problem.key == "reference_rules.CTAX.check.map"
    assert '"10" = "?"' in problem.message


def test_a_rule_with_a_check_needs_exactly_one_check_position_in_its_mask() -> None:
    problem = only_problem(MINIMAL.replace('mask = "77######@"', 'mask = "77#######"'))
    assert problem.key == "reference_rules.CTAX.mask"
    assert "exactly one '@'" in problem.message


def test_luhn_takes_no_weights() -> None:
    text = MINIMAL.replace('scheme = "weighted"', 'scheme = "luhn"')
    keys = {problem.key for problem in problems_of(text)}
    assert "reference_rules.CTAX.check.modulus" in keys


def test_a_bad_regular_expression_is_refused() -> None:
    text = MINIMAL.replace('mask = "77######@"', 'pattern = "77[0-9"').replace(
        "[reference_rules.CTAX.check]", "[reference_rules.CTAX.checkx]"
    )
    keys = {problem.key for problem in problems_of(text)}
    assert "reference_rules.CTAX.pattern" in keys


def test_two_rates_on_one_day_are_refused() -> None:
    text = MINIMAL.replace(
        "rates = [{ effective_from = 1973-04-01, rate_basis_points = 0 }]",
        "rates = [\n  { effective_from = 1973-04-01, rate_basis_points = 0 },\n"
        "  { effective_from = 1973-04-01, rate_basis_points = 10 },\n]",
    )
    problem = only_problem(text)
    assert problem.key == "vat_codes.OOS.rates"
    assert "1973-04-01" in problem.message


def test_a_rate_with_a_decimal_point_is_refused_with_its_list_position() -> None:
    text = MINIMAL.replace("rate_basis_points = 0 }", "rate_basis_points = 0.0 }")
    problem = only_problem(text)
    assert problem.key == "vat_codes.OOS.rates[0].rate_basis_points"
    assert problem.line == line_of(text, "rates = [")


def test_on_stop_references_are_normalised_like_typed_ones() -> None:
    text = MINIMAL + 'on_stop = { "77 123 4561" = "This account is closed." }\n'
    assert parse_config(text).funds[0].on_stop == (("771234561", "This account is closed."),)


def test_a_missing_council_section_is_reported() -> None:
    keys = {p.key for p in problems_of(MINIMAL.replace("[council]\n", "[counsel]\n"))}
    assert "council" in keys


def test_the_line_finder_follows_tables_dotted_keys_and_quoted_keys() -> None:
    lines = KeyLines(
        '[funds.CTAX]\nname = "x"\non_stop."77 1" = "y"\n[chart]\nA = { kind = "z" }\n'
    )
    assert lines.line_of(("funds", "CTAX", "name")) == 2
    assert lines.line_of(("funds", "CTAX", "on_stop", "77 1")) == 3
    assert lines.line_of(("chart", "A", "kind")) == 5
    assert lines.line_of(("funds", "CTAX", "gl_code")) == 1
    assert lines.line_of(("nowhere",)) is None


# --- how residents' pages present the council: Welsh texts, colour, contact details ------------

WELSH = MINIMAL.replace(
    'name = "Test Council"\n',
    'name = "Test Council"\nname_cy = "Cyngor Prawf"\ncolour = "#00703C"\n'
    'website_url = "https://www.test.example/"\nphone = "+44 300 000 0000"\n',
).replace(
    'mask = "77######@"\n',
    'mask = "77######@"\nhint = "check the top right of your bill"\n'
    'description_cy = "Mae gan rifau cyfrif 9 digid"\n'
    'hint_cy = "edrychwch ar gornel dde uchaf eich bil"\n',
) + (
    'name_cy = "Treth gyngor"\n'
    'guidance = "The number is at the top right of your bill."\n'
    'guidance_cy = "Mae\'r rhif ar gornel dde uchaf eich bil."\n'
)


def council_with(line: str) -> str:
    return MINIMAL.replace('name = "Test Council"\n', f'name = "Test Council"\n{line}\n')


def test_the_welsh_texts_colour_and_contact_details_are_read() -> None:
    config = parse_config(WELSH)

    assert (config.council_name_cy, config.colour, config.website_url, config.phone) == (
        "Cyngor Prawf",
        "#00703c",  # kept in lower case, as the pages write it
        "https://www.test.example/",
        "+44 300 000 0000",
    )
    rule = config.reference_rules[0]
    assert (rule.description_cy, rule.hint_cy) == (
        "Mae gan rifau cyfrif 9 digid",
        "edrychwch ar gornel dde uchaf eich bil",
    )
    fund = config.funds[0]
    assert (fund.name_cy, fund.guidance, fund.guidance_cy) == (
        "Treth gyngor",
        "The number is at the top right of your bill.",
        "Mae'r rhif ar gornel dde uchaf eich bil.",
    )


def test_without_them_there_is_no_welsh_and_the_colour_is_the_default_blue() -> None:
    config = parse_config(MINIMAL)

    assert (config.council_name_cy, config.colour, config.website_url, config.phone) == (
        None,
        DEFAULT_COLOUR,
        None,
        None,
    )
    assert (config.reference_rules[0].description_cy, config.reference_rules[0].hint_cy) == (
        None,
        None,
    )
    assert (config.funds[0].name_cy, config.funds[0].guidance, config.funds[0].guidance_cy) == (
        None,
        None,
        None,
    )


@pytest.mark.parametrize("colour", ["green", "#00703", "#00703cc", "00703c", "#gg703c", "#0f0"])
def test_a_colour_that_is_not_hash_and_six_hex_digits_is_refused_naming_its_line(
    colour: str,
) -> None:
    text = council_with(f'colour = "{colour}"')
    problem = only_problem(text)

    assert problem.key == "council.colour"
    assert problem.line == line_of(text, "colour =")
    assert "'#' and six hexadecimal digits" in problem.message
    assert DEFAULT_COLOUR in problem.message


def test_the_refusal_of_a_bad_colour_reads_file_line_and_key() -> None:
    text = council_with('colour = "blue"')
    with pytest.raises(CouncilConfigInvalid) as refused:
        parse_config(text, "council.toml")

    assert f"council.toml line {line_of(text, 'colour =')}, council.colour: is 'blue'" in (
        refused.value.message
    )


def test_a_colour_too_light_for_white_header_text_is_refused_with_its_contrast() -> None:
    problem = only_problem(council_with('colour = "#ffdd00"'))

    assert problem.key == "council.colour"
    assert "contrast 1.35 to 1" in problem.message
    assert "darker" in problem.message


def test_a_colour_that_is_not_text_is_refused() -> None:
    problem = only_problem(council_with("colour = 0x00703c"))
    assert (problem.key, problem.message) == (
        "council.colour",
        "should be text that is not empty, not a whole number.",
    )


@pytest.mark.parametrize(
    ("colour", "ratio"),
    [("#ffffff", 1.0), ("#000000", 21.0), ("#1d70b8", 5.17), ("#00703c", 6.21)],
)
def test_contrast_with_white_follows_the_wcag_formula(colour: str, ratio: float) -> None:
    assert contrast_with_white(colour) == pytest.approx(ratio, abs=0.01)


def test_the_default_colour_is_dark_enough_for_white_text() -> None:
    assert contrast_with_white(DEFAULT_COLOUR) >= MIN_HEADER_CONTRAST_RATIO


@pytest.mark.parametrize(
    "url",
    [
        "http://www.test.example",
        "www.test.example",
        "https://",
        "https://user:pass@www.test.example",
        "https://www.test .example",
        "https://[::1",
    ],
)
def test_a_website_that_is_not_an_https_address_is_refused(url: str) -> None:
    text = council_with(f'website_url = "{url}"')
    problem = only_problem(text)
    assert (problem.key, problem.line) == ("council.website_url", line_of(text, "website_url"))
    assert "https://" in problem.message


@pytest.mark.parametrize("phone", ["call us", "12", "0300 000 0000 ext 5", "+" + "1" * 16, "-1"])
def test_a_phone_number_that_cannot_be_dialled_is_refused(phone: str) -> None:
    problem = only_problem(council_with(f'phone = "{phone}"'))
    assert problem.key == "council.phone"
    assert "0300 000 0000" in problem.message


@pytest.mark.parametrize("phone", ["101", "0300 000 0000", "+44 (0)300 000-0000"])
def test_phone_numbers_as_residents_dial_them_are_accepted(phone: str) -> None:
    assert parse_config(council_with(f'phone = "{phone}"')).phone == phone


def test_an_overlong_welsh_text_is_refused_naming_its_key() -> None:
    problem = only_problem(MINIMAL + f'guidance_cy = "{"a" * (MAX_TEXT_LEN + 1)}"\n')
    assert problem.key == "funds.CTAX.guidance_cy"
    assert f"at most {MAX_TEXT_LEN}" in problem.message


def test_a_misspelt_welsh_key_suggests_the_right_one() -> None:
    problem = only_problem(MINIMAL + 'name_cyy = "Treth gyngor"\n')
    assert problem.key == "funds.CTAX.name_cyy"
    assert "Did you mean 'name_cy'?" in problem.message


def test_the_demo_council_is_in_welsh_too(demo_config: CouncilConfig) -> None:
    assert demo_config.council_name_cy == "Cyngor Bwrdeistref Demo"
    assert contrast_with_white(demo_config.colour) >= MIN_HEADER_CONTRAST_RATIO
    assert demo_config.website_url is not None and demo_config.phone is not None
    online = [fund for fund in demo_config.funds if fund.payable_online and not fund.retired]
    assert {fund.code: fund.name_cy for fund in online} == {
        "CTAX": "Treth gyngor",
        "NNDR": "Ardrethi busnes",
        "RENT": "Rhenti tai",
        "PCN": "Dirwyon parcio",
        "SUNDRY": "Dyledwyr amrywiol (anfonebau)",
        "PLANNING": "Ffioedd ceisiadau cynllunio",
        "PEST": "Triniaethau rheoli plâu",
    }
    assert all(fund.guidance and fund.guidance_cy for fund in online)
    assert all(rule.description_cy and rule.hint_cy for rule in demo_config.reference_rules)
