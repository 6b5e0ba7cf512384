"""Account references: a pure, configurable engine for formats and check characters.

A council's revenues, housing, parking and debtors systems each choose their own reference format,
so the format is data (a `ReferenceRule`), not code. Nothing here does I/O.

Input masks, one character per position of the reference:
    `#` a digit, `@` the check character, `?` a letter, `*` anything;
    any other character stands for itself (`BJ#######@`, `77######@`, `PP-########`).

Check-character schemes (`CheckScheme`):
- weighted: each digit of the body times its position's weight (positions beyond the weights weigh
  0), summed, taken modulo 10 or 11; the check value is the remainder, or `modulus - remainder`
  when `subtract` is on; leading letters may first be replaced by digits (`BJ` → `05`); the value
  becomes a character through the result map (digits 0-9 stand for themselves unless mapped).
- luhn: the card-number scheme (mod 10, every second digit from the right doubled).

What each scheme guarantees (see `catches_any_single_change`), for a change of one character:
- the check character itself: always caught (each body has exactly one right check character);
- luhn: every change of one body digit into another digit is caught;
- weighted modulo 11: every change of one body digit whose weight is not a multiple of 11 is
  caught (11 is prime, so `weight * difference` is never 0 mod 11), provided the result map gives
  different characters to different check values — so mod 11 with weights 1..9 catches them all;
- weighted modulo 10: only digits whose weight is coprime with 10 (1, 3, 7, 9) are guaranteed;
  a weight of 2, 4, 5, 6 or 8 lets some changes through, and a weight of 0 checks nothing;
- letters replaced by a prefix substitution are protected by the mask, not by the check.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

# Posted to the ledger as the sub-account key, so never longer than that column.
MAX_REFERENCE_LEN = 64

MASK_DIGIT = "#"
MASK_CHECK = "@"
MASK_LETTER = "?"
MASK_ANY = "*"
MASK_SYMBOLS = frozenset(MASK_DIGIT + MASK_CHECK + MASK_LETTER + MASK_ANY)

# The moduli councils' systems use; others would only weaken the check.
SUPPORTED_MODULI = (10, 11)

_WHITESPACE = re.compile(r"\s+")


class SchemeKind(StrEnum):
    WEIGHTED = "weighted"
    LUHN = "luhn"


class ReferenceProblem(StrEnum):
    EMPTY = "empty"
    TOO_LONG = "too_long"
    WRONG_LENGTH = "wrong_length"
    WRONG_CHARACTER = "wrong_character"
    PATTERN = "pattern"
    CHECK_CHARACTER = "check_character"
    # Found by the council's configuration rather than by a rule: the reference is well formed but
    # the fund refuses it (its on-stop list), or the fund takes no more payments.
    ON_STOP = "on_stop"
    FUND_RETIRED = "fund_retired"


@dataclass(frozen=True, slots=True)
class CheckScheme:
    kind: SchemeKind
    modulus: int = 10
    weights: tuple[int, ...] = ()
    subtract: bool = False
    # Leading letters replaced by digits before weighting, e.g. {"BJ": "05"}.
    prefix_substitutions: Mapping[str, str] = field(default_factory=dict)
    # Check value -> character; values 0..9 not listed stand for their own digit.
    result_map: Mapping[int, str] = field(default_factory=dict)

    def check_values(self) -> range:
        """Every check value the arithmetic can produce."""
        if self.kind is SchemeKind.LUHN:
            return range(10)
        return range(1, self.modulus + 1) if self.subtract else range(self.modulus)

    def character_for(self, value: int) -> str | None:
        if value in self.result_map:
            return self.result_map[value]
        return str(value) if 0 <= value <= 9 else None

    def check_characters(self) -> frozenset[str]:
        chars = (self.character_for(value) for value in self.check_values())
        return frozenset(c for c in chars if c is not None)

    def map_is_one_to_one(self) -> bool:
        chars = [self.character_for(value) for value in self.check_values()]
        return None not in chars and len(set(chars)) == len(chars)


@dataclass(frozen=True, slots=True)
class ReferenceRule:
    code: str
    # The format in plain words a resident understands, shown whenever a reference is refused:
    # "Council tax account numbers are 9 digits and start with 77".
    description: str
    # Where to find it: "check the top right of your bill".
    hint: str | None = None
    mask: str | None = None
    pattern: str | None = None  # a regular expression the whole (normalised) reference matches
    min_length: int | None = None
    max_length: int | None = None
    check: CheckScheme | None = None
    # The description and hint in Welsh, for pages shown in Welsh; None when not translated.
    description_cy: str | None = None
    hint_cy: str | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    valid: bool
    normalised: str
    problem: ReferenceProblem | None = None
    message: str | None = None


class UncomputableCheck(ValueError):
    """The body cannot carry a check character under this scheme (a non-digit where digits are
    weighted, or a check value the result map gives no character)."""


def normalise(reference: str) -> str:
    """What is checked, stored and posted: no spaces anywhere, upper case."""
    return _WHITESPACE.sub("", reference).upper()


# --- check characters -------------------------------------------------------------------------


def compute_check(scheme: CheckScheme, body: str) -> str:
    """The check character for `body` (the reference without its check character)."""
    digits = _substitute_prefix(scheme, body)
    if not digits.isdigit() or not digits.isascii():
        raise UncomputableCheck(f"{body!r} has characters other than digits to weigh")
    value = (
        _luhn_value(digits) if scheme.kind is SchemeKind.LUHN else _weighted_value(scheme, digits)
    )
    char = scheme.character_for(value)
    if char is None:
        raise UncomputableCheck(f"check value {value} has no character in the result map")
    return char


def _substitute_prefix(scheme: CheckScheme, body: str) -> str:
    prefix = _matching_prefix(scheme, body)
    return scheme.prefix_substitutions.get(prefix, "") + body[len(prefix) :]


def _matching_prefix(scheme: CheckScheme, body: str) -> str:
    """The substituted prefix `body` starts with ("" for none); the longest wins."""
    for prefix in sorted(scheme.prefix_substitutions, key=len, reverse=True):
        if body.startswith(prefix):
            return prefix
    return ""


def _weighted_value(scheme: CheckScheme, digits: str) -> int:
    total = sum(int(d) * w for d, w in zip(digits, scheme.weights, strict=False))
    remainder = total % scheme.modulus
    return scheme.modulus - remainder if scheme.subtract else remainder


def _luhn_value(digits: str) -> int:
    total = 0
    # The check digit will sit at the right, so the body's rightmost digit is doubled.
    for index, char in enumerate(reversed(digits)):
        digit = int(char)
        if index % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10


def catches_any_single_change(scheme: CheckScheme, body: str, position: int) -> bool:
    """Whether the scheme guarantees that changing the digit at `position` of `body` into another
    digit gives a different check character (see the module's docstring)."""
    if not scheme.map_is_one_to_one():
        return False
    prefix = _matching_prefix(scheme, body)
    if position < len(prefix):
        return False  # a substituted letter: guarded by the mask, not the check
    if scheme.kind is SchemeKind.LUHN:
        return True
    weighted_at = position - len(prefix) + len(scheme.prefix_substitutions.get(prefix, ""))
    weight = scheme.weights[weighted_at] if weighted_at < len(scheme.weights) else 0
    return math.gcd(weight, scheme.modulus) == 1


# --- validation -------------------------------------------------------------------------------


def split_check(rule: ReferenceRule, reference: str) -> tuple[str, str, int]:
    """(body, check character, its position): the check is at the mask's `@`, else last."""
    position = rule.mask.index(MASK_CHECK) if rule.mask and MASK_CHECK in rule.mask else -1
    if position < 0:
        position = len(reference) - 1
    return reference[:position] + reference[position + 1 :], reference[position], position


def make_valid(rule: ReferenceRule, body: str) -> str:
    """A reference with `body` and the right check character in place (for tests and demos)."""
    if rule.check is None:
        return body
    check = compute_check(rule.check, body)
    position = rule.mask.index(MASK_CHECK) if rule.mask and MASK_CHECK in rule.mask else len(body)
    return body[:position] + check + body[position:]


def validate(rule: ReferenceRule, reference: str) -> Verdict:
    normalised = normalise(reference)
    found = (
        _empty(normalised)
        or _too_long(normalised)
        or _length(rule, normalised)
        or _masked(rule, normalised)
        or _patterned(rule, normalised)
        or _checked(rule, normalised)
    )
    if found is None:
        return Verdict(True, normalised)
    problem, reason = found
    return Verdict(False, normalised, problem, explain(rule, reason))


def explain(rule: ReferenceRule, reason: str) -> str:
    """The reason, then the format in plain words, then where to find the reference."""
    parts = [reason, as_sentence(rule.description)]
    if rule.hint:
        parts.append(as_sentence(rule.hint))
    return " ".join(part for part in parts if part)


def as_sentence(text: str) -> str:
    """`text` with a capital first letter and a full stop, so a hint written as a phrase ("check
    the top right of your bill") can stand on its own on a page."""
    text = text.strip()
    if not text:
        return text
    text = text[:1].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


Found = tuple[ReferenceProblem, str] | None


def _empty(reference: str) -> Found:
    if not reference:
        return ReferenceProblem.EMPTY, "Enter your reference."
    return None


def _too_long(reference: str) -> Found:
    if len(reference) > MAX_REFERENCE_LEN:
        return (
            ReferenceProblem.TOO_LONG,
            f"That is {len(reference)} characters long, far longer than any reference.",
        )
    return None


def _length(rule: ReferenceRule, reference: str) -> Found:
    expected = len(rule.mask) if rule.mask else None
    shortest = expected if expected is not None else rule.min_length
    longest = expected if expected is not None else rule.max_length
    n = len(reference)
    if (shortest is not None and n < shortest) or (longest is not None and n > longest):
        if shortest == longest:
            wanted = f"{shortest}"
        elif longest is None:
            wanted = f"at least {shortest}"
        elif shortest is None:
            wanted = f"at most {longest}"
        else:
            wanted = f"between {shortest} and {longest}"
        return (
            ReferenceProblem.WRONG_LENGTH,
            f"That reference has {n} {_characters(n)}, but it should have {wanted}.",
        )
    return None


def _characters(n: int) -> str:
    return "character" if n == 1 else "characters"


def _masked(rule: ReferenceRule, reference: str) -> Found:
    if not rule.mask:
        return None
    allowed_check = rule.check.check_characters() if rule.check else None
    for index, (symbol, char) in enumerate(zip(rule.mask, reference, strict=True)):
        wanted = _mask_wants(symbol, char, allowed_check)
        if wanted is not None:
            return (
                ReferenceProblem.WRONG_CHARACTER,
                f"The {ordinal(index + 1)} character should be {wanted}, not {char!r}.",
            )
    return None


def _mask_wants(symbol: str, char: str, allowed_check: frozenset[str] | None) -> str | None:
    """What the mask position wants, in words, when `char` does not fit it; None when it fits."""
    if symbol == MASK_DIGIT:
        return None if char.isascii() and char.isdigit() else "a number"
    if symbol == MASK_LETTER:
        return None if char.isascii() and char.isalpha() else "a letter"
    if symbol == MASK_ANY:
        return None
    if symbol == MASK_CHECK:
        if allowed_check is None or char in allowed_check:
            return None
        letters = any(c.isalpha() for c in allowed_check)
        digits = any(c.isdigit() for c in allowed_check)
        return (
            "a number or a letter" if letters and digits else "a letter" if letters else "a number"
        )
    return None if char == symbol else f"{symbol!r}"


def _patterned(rule: ReferenceRule, reference: str) -> Found:
    if rule.pattern and re.fullmatch(rule.pattern, reference) is None:
        return ReferenceProblem.PATTERN, "That reference is not in the right format."
    return None


def _checked(rule: ReferenceRule, reference: str) -> Found:
    if rule.check is None:
        return None
    body, check, _position = split_check(rule, reference)
    try:
        expected = compute_check(rule.check, body)
    except UncomputableCheck:
        expected = None
    if expected != check:
        return (
            ReferenceProblem.CHECK_CHARACTER,
            "That reference is not quite right: a character may have been mistyped or two "
            "swapped round.",
        )
    return None


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
