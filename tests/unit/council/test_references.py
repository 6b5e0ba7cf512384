"""The reference engine: every vector in the reference notes on check digits, the wording shown to
residents, and property tests of what each scheme guarantees."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from receipting.council.references import (
    MAX_REFERENCE_LEN,
    CheckScheme,
    ReferenceProblem,
    ReferenceRule,
    SchemeKind,
    as_sentence,
    catches_any_single_change,
    compute_check,
    make_valid,
    normalise,
    ordinal,
    split_check,
    validate,
)

# --- the configurations in the reference notes ------------------------------------------------

PCN = CheckScheme(
    SchemeKind.WEIGHTED, 11, (9, 8, 7, 6, 5, 4, 3, 2, 1), False, {"BJ": "05"}, {10: "A"}
)
COUNCIL_TAX = CheckScheme(SchemeKind.WEIGHTED, 10, (3, 7, 1, 3, 7, 1, 3, 7), True, {}, {10: "0"})
HOUSING_RENTS = CheckScheme(
    SchemeKind.WEIGHTED, 10, (0, 0, 9, 7, 1, 4, 6, 3, 2, 8), True, {}, {10: "0"}
)
FIXED_PENALTY = CheckScheme(
    SchemeKind.WEIGHTED, 11, (9, 8, 7, 6, 5, 4, 3, 2, 1), False, {"FP": "12"}, {10: "A"}
)
LETTERS = dict(enumerate("ACEFHJKLMP"))
A_TO_K = {value: chr(ord("A") + value - 1) for value in range(1, 12)}
SECOND_COUNCIL_TAX = CheckScheme(SchemeKind.WEIGHTED, 10, (1, 2, 3, 4, 5, 6), False, {}, LETTERS)
SECOND_SUNDRY = CheckScheme(SchemeKind.WEIGHTED, 11, (8, 7, 6, 5, 4, 3, 2), True, {}, A_TO_K)
SECOND_RENTS = CheckScheme(SchemeKind.WEIGHTED, 11, (9, 8, 7, 6, 5, 4, 3, 2), True, {}, A_TO_K)
LUHN = CheckScheme(SchemeKind.LUHN)

CONFIGURED = (
    PCN,
    COUNCIL_TAX,
    HOUSING_RENTS,
    FIXED_PENALTY,
    SECOND_COUNCIL_TAX,
    SECOND_SUNDRY,
    SECOND_RENTS,
    LUHN,
)

CTAX_RULE = ReferenceRule(
    code="CTAX",
    description="Council tax account numbers are 9 digits and start with 77",
    hint="check the top right of your bill",
    mask="77######@",
    check=COUNCIL_TAX,
)
PCN_RULE = ReferenceRule(
    code="PCN",
    description="Penalty charge notice numbers are BJ followed by 8 characters",
    mask="BJ#######@",
    check=PCN,
)


@pytest.mark.parametrize(
    ("scheme", "body", "check"),
    [
        (PCN, "BJ1234567", "3"),
        (COUNCIL_TAX, "77123456", "1"),
        (SECOND_COUNCIL_TAX, "520396", "E"),
        (SECOND_COUNCIL_TAX, "521636", "L"),
        (SECOND_COUNCIL_TAX, "103012", "L"),
        (SECOND_COUNCIL_TAX, "361774", "J"),
        (SECOND_COUNCIL_TAX, "442258", "P"),
        (SECOND_SUNDRY, "0303591", "C"),
        (SECOND_SUNDRY, "0303616", "B"),
        (SECOND_SUNDRY, "0635157", "C"),
        (SECOND_SUNDRY, "0635105", "K"),
    ],
)
def test_each_vector_in_the_reference_notes_gets_its_published_check_character(
    scheme: CheckScheme, body: str, check: str
) -> None:
    assert compute_check(scheme, body) == check


@pytest.mark.parametrize(
    ("scheme", "reference"),
    [
        (PCN, "BJ12345673"),
        (COUNCIL_TAX, "771234561"),
        (SECOND_COUNCIL_TAX, "520396E"),
        (SECOND_SUNDRY, "0635105K"),
    ],
)
def test_each_vector_validates_as_a_whole_reference_and_fails_with_another_check_character(
    scheme: CheckScheme, reference: str
) -> None:
    rule = ReferenceRule("R", "References are as on your bill", check=scheme)
    assert validate(rule, reference).valid
    wrong = next(c for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c != reference[-1])
    assert not validate(rule, reference[:-1] + wrong).valid


def test_the_luhn_scheme_gives_the_textbook_check_digit() -> None:
    assert compute_check(LUHN, "7992739871") == "3"


def test_a_substituted_prefix_is_weighted_as_its_digits() -> None:
    assert compute_check(PCN, "BJ1234567") == compute_check(
        CheckScheme(SchemeKind.WEIGHTED, 11, PCN.weights, False, {}, {10: "A"}), "051234567"
    )
    assert compute_check(FIXED_PENALTY, "FP1234567") == "A"


def test_a_remainder_of_zero_under_subtraction_becomes_the_character_mapped_for_the_modulus() -> (
    None
):
    # 10 - 0 = 10, which council tax maps to 0.
    body = next(b for b in (f"77{n:06d}" for n in range(1000)) if _weighted(COUNCIL_TAX, b) == 0)
    assert compute_check(COUNCIL_TAX, body) == "0"


def _weighted(scheme: CheckScheme, body: str) -> int:
    return sum(int(d) * w for d, w in zip(body, scheme.weights, strict=False)) % scheme.modulus


# --- normalising and explaining -----------------------------------------------------------------


def test_references_are_checked_without_spaces_and_in_capitals() -> None:
    assert normalise(" bj 123 4567 3\t") == "BJ12345673"
    verdict = validate(PCN_RULE, "bj 1234 5673")
    assert verdict.valid
    assert verdict.normalised == "BJ12345673"


def test_a_wrong_length_says_how_long_the_reference_should_be_and_what_it_looks_like() -> None:
    verdict = validate(CTAX_RULE, "77123456")

    assert verdict.problem is ReferenceProblem.WRONG_LENGTH
    assert verdict.message == (
        "That reference has 8 characters, but it should have 9. Council tax account numbers are "
        "9 digits and start with 77. Check the top right of your bill."
    )


def test_a_letter_where_the_mask_wants_a_digit_names_the_position_in_words() -> None:
    verdict = validate(CTAX_RULE, "77O234561")

    assert verdict.problem is ReferenceProblem.WRONG_CHARACTER
    assert verdict.message is not None
    assert verdict.message.startswith("The 3rd character should be a number, not 'O'.")


def test_a_literal_in_the_mask_must_be_typed_as_it_is() -> None:
    verdict = validate(CTAX_RULE, "781234561")

    assert verdict.problem is ReferenceProblem.WRONG_CHARACTER
    assert verdict.message is not None
    assert "The 2nd character should be '7'" in verdict.message


def test_a_check_character_the_scheme_never_produces_is_refused_by_the_mask() -> None:
    verdict = validate(PCN_RULE, "BJ1234567B")

    assert verdict.problem is ReferenceProblem.WRONG_CHARACTER
    assert verdict.message is not None
    assert "should be a number or a letter" in verdict.message


def test_a_mistyped_digit_is_explained_without_jargon() -> None:
    verdict = validate(CTAX_RULE, "771234571")

    assert verdict.problem is ReferenceProblem.CHECK_CHARACTER
    assert verdict.message is not None
    assert "mistyped" in verdict.message
    assert "check digit" not in verdict.message and "modulus" not in verdict.message


def test_an_empty_reference_asks_for_one() -> None:
    verdict = validate(CTAX_RULE, "   ")

    assert verdict.problem is ReferenceProblem.EMPTY
    assert verdict.message is not None
    assert verdict.message.startswith("Enter your reference.")


def test_a_reference_longer_than_any_column_holds_is_refused() -> None:
    rule = ReferenceRule("ANY", "Enter the reference from your letter")
    assert validate(rule, "1" * MAX_REFERENCE_LEN).valid
    assert validate(rule, "1" * (MAX_REFERENCE_LEN + 1)).problem is ReferenceProblem.TOO_LONG


def test_a_pattern_rule_accepts_either_shape_it_allows() -> None:
    rule = ReferenceRule(
        "PLANNING",
        "Planning references are PP- followed by 8 digits",
        pattern="PP-[0-9]{8}|[0-9]{4}/[0-9]{5}/[A-Z]{2,3}",
    )
    assert validate(rule, "pp-12345678").valid
    assert validate(rule, "2026/01234/ful").valid
    assert validate(rule, "PP-1234567").problem is ReferenceProblem.PATTERN


@pytest.mark.parametrize(
    ("minimum", "maximum", "typed", "wanted"),
    [
        (6, 8, "12345", "between 6 and 8"),
        (6, None, "1", "at least 6"),
        (None, 3, "1234", "at most 3"),
    ],
)
def test_length_limits_without_a_mask_are_stated_as_a_range(
    minimum: int | None, maximum: int | None, typed: str, wanted: str
) -> None:
    rule = ReferenceRule("R", "Reference", min_length=minimum, max_length=maximum)
    verdict = validate(rule, typed)
    assert verdict.message is not None
    assert f"it should have {wanted}." in verdict.message


def test_the_mask_letter_and_anything_positions() -> None:
    rule = ReferenceRule("R", "Two letters then anything", mask="??*")
    assert validate(rule, "AB-").valid
    assert validate(rule, "A1-").problem is ReferenceProblem.WRONG_CHARACTER


@pytest.mark.parametrize(
    ("n", "word"),
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (21, "21st"),
        (22, "22nd"),
        (23, "23rd"),
        (111, "111th"),
    ],
)
def test_positions_are_written_as_ordinals(n: int, word: str) -> None:
    assert ordinal(n) == word


def test_the_check_character_sits_where_the_mask_puts_it() -> None:
    rule = ReferenceRule("R", "Check first", mask="@####", check=LUHN)
    reference = make_valid(rule, "7992")
    assert reference[1:] == "7992"
    assert split_check(rule, reference) == ("7992", reference[0], 0)
    assert validate(rule, reference).valid


# --- what each scheme guarantees ----------------------------------------------------------------


def test_which_schemes_guarantee_catching_a_single_changed_digit() -> None:
    # mod 11 with weights 1..9: every position.
    assert all(catches_any_single_change(PCN, "BJ1234567", p) for p in range(2, 9))
    # The substituted letters are the mask's to guard, not the check's.
    assert not catches_any_single_change(PCN, "BJ1234567", 0)
    # mod 10: weights 3, 7 and 1 are coprime with 10, so council tax is guarded everywhere.
    assert all(catches_any_single_change(COUNCIL_TAX, "77123456", p) for p in range(8))
    # Housing rents weigh the first two digits 0 and others by even numbers: not guaranteed.
    assert not catches_any_single_change(HOUSING_RENTS, "6001234567", 0)
    assert not catches_any_single_change(HOUSING_RENTS, "6001234567", 5)  # weight 4
    assert catches_any_single_change(HOUSING_RENTS, "6001234567", 3)  # weight 7
    # Luhn: every digit.
    assert all(catches_any_single_change(LUHN, "7992739871", p) for p in range(10))


def test_an_even_modulus_10_weight_lets_some_single_changes_through() -> None:
    # Weight 4 at position 5: changing that digit by 5 adds 20, which is 0 modulo 10.
    body = "6001204567"
    changed = body[:5] + "5" + body[6:]
    assert compute_check(HOUSING_RENTS, body) == compute_check(HOUSING_RENTS, changed)


def _map_for(modulus: int, subtract: bool) -> dict[int, str]:
    values = range(1, modulus + 1) if subtract else range(modulus)
    return {value: "0123456789AB"[value] for value in values}


@st.composite
def schemes(draw: st.DrawFn) -> CheckScheme:
    """A configured scheme, or any weighted scheme with a one-to-one result map."""
    if draw(st.booleans()):
        return draw(st.sampled_from(CONFIGURED))
    modulus = draw(st.sampled_from((10, 11)))
    subtract = draw(st.booleans())
    weights = tuple(draw(st.lists(st.integers(0, 12), min_size=1, max_size=12)))
    return CheckScheme(
        SchemeKind.WEIGHTED, modulus, weights, subtract, {}, _map_for(modulus, subtract)
    )


@st.composite
def bodies(draw: st.DrawFn, scheme: CheckScheme) -> str:
    prefix = draw(st.sampled_from(sorted(scheme.prefix_substitutions) or [""]))
    length = len(scheme.weights) - len(scheme.prefix_substitutions.get(prefix, ""))
    length = draw(st.integers(1, 12)) if scheme.kind is SchemeKind.LUHN else max(length, 1)
    return prefix + draw(st.text("0123456789", min_size=length, max_size=length))


@st.composite
def references(draw: st.DrawFn) -> tuple[ReferenceRule, str]:
    scheme = draw(schemes())
    body = draw(bodies(scheme))
    rule = ReferenceRule("R", "Reference", check=scheme)
    return rule, make_valid(rule, body)


@given(references())
def test_a_reference_made_valid_by_computing_its_check_character_validates(
    case: tuple[ReferenceRule, str],
) -> None:
    rule, reference = case
    assert validate(rule, reference).valid


@given(references(), st.data())
def test_any_other_check_character_fails(
    case: tuple[ReferenceRule, str], data: st.DataObject
) -> None:
    rule, reference = case
    other = data.draw(st.sampled_from("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    assume(other != reference[-1])
    assert not validate(rule, reference[:-1] + other).valid


@given(references(), st.data())
def test_any_single_digit_change_fails_wherever_the_scheme_guarantees_it(
    case: tuple[ReferenceRule, str], data: st.DataObject
) -> None:
    rule, reference = case
    assert rule.check is not None
    body = reference[:-1]
    guarded = [p for p in range(len(body)) if catches_any_single_change(rule.check, body, p)]
    assume(guarded)
    position = data.draw(st.sampled_from(guarded))
    digit = data.draw(st.sampled_from([d for d in "0123456789" if d != body[position]]))
    changed = body[:position] + digit + body[position + 1 :] + reference[-1]
    assert not validate(rule, changed).valid


@given(st.text("0123456789", min_size=9, max_size=9), st.integers(0, 8), st.data())
def test_modulus_11_with_weights_1_to_9_catches_every_single_digit_error(
    body: str, position: int, data: st.DataObject
) -> None:
    scheme = CheckScheme(SchemeKind.WEIGHTED, 11, tuple(range(1, 10)), False, {}, {10: "X"})
    digit = data.draw(st.sampled_from([d for d in "0123456789" if d != body[position]]))
    changed = body[:position] + digit + body[position + 1 :]
    assert compute_check(scheme, body) != compute_check(scheme, changed)


@given(st.sampled_from((CTAX_RULE, PCN_RULE)), st.text("0123456789", min_size=7, max_size=7))
def test_a_reference_built_to_its_mask_with_a_computed_check_validates(
    rule: ReferenceRule, digits: str
) -> None:
    assert rule.mask is not None
    literal = rule.mask[: rule.mask.index("#")]
    body = literal + digits[: rule.mask.count("#")]
    assert validate(rule, make_valid(rule, body)).valid


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("check the top right of your bill", "Check the top right of your bill."),
        (" it is on the letter! ", "It is on the letter!"),
        ("edrychwch ar eich bil.", "Edrychwch ar eich bil."),
        ("", ""),
    ],
)
def test_a_hint_written_as_a_phrase_becomes_a_sentence(text: str, sentence: str) -> None:
    assert as_sentence(text) == sentence


def test_a_rule_may_carry_its_description_and_hint_in_welsh_without_changing_the_english() -> None:
    rule = ReferenceRule(
        "R",
        "References are 4 digits",
        "see your letter",
        mask="####",
        description_cy="Mae gan gyfeirnodau 4 digid",
        hint_cy="edrychwch ar eich llythyr",
    )
    verdict = validate(rule, "12")
    assert verdict.problem is ReferenceProblem.WRONG_LENGTH
    assert verdict.message is not None and "References are 4 digits. See your letter." in (
        verdict.message
    )
