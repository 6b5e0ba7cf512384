"""Amounts as people type them, read into integer pence. Pure: no I/O, no floats, no Decimal.

Accepted: "12", "12.5", "12.50", "£1,234.50", " £ 12 ", "1234.5". Commas are read only as
thousands separators ("1,234"), never as a decimal comma: "12,50" is refused rather than read as
£1,250. Refused, each with its own kind of problem for the message: nothing, letters or other
symbols, a minus sign, more than two decimal places, zero, more than the fund's maximum.
"""

from __future__ import annotations

import re

from channels.web_checkout.errors import AmountProblem, AmountRefused
from receipting.web.i18n import PENCE_PER_POUND, format_pounds

# The longest amount anyone types ("£10,000,000.00" is 14 characters) with room for spaces; a
# longer text is not an amount and is refused before any parsing.
MAX_AMOUNT_TEXT_LEN = 32

POUND_SIGN = "£"

# Pounds with optional thousands separators, then optionally a point and pence. ASCII digits
# only: `str.isdigit` would accept Arabic-Indic and other digits no one means here.
_AMOUNT = re.compile(
    r"(?P<pounds>[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)?"
    r"(?:\.(?P<pence>[0-9]*))?"
)
_SPACES = re.compile(r"\s+")


def parse_pounds(text: str) -> int:
    """The amount in `text` as a positive number of pence, or AmountRefused saying why not."""
    cleaned = _without_pound_sign(text)
    if not cleaned:
        raise AmountRefused(AmountProblem.EMPTY, "Enter the amount you want to pay.")
    if len(cleaned) > MAX_AMOUNT_TEXT_LEN:
        raise _not_a_number(text)
    negative = cleaned.startswith("-")
    if negative:
        cleaned = _without_pound_sign(cleaned[1:])
    match = _AMOUNT.fullmatch(cleaned)
    if match is None or not (match.group("pounds") or match.group("pence")):
        raise _not_a_number(text)
    pence_text = match.group("pence") or ""
    if len(pence_text) > 2:
        raise AmountRefused(
            AmountProblem.TOO_MANY_DECIMALS,
            f"{text.strip()!r} has more than 2 numbers after the decimal point; enter pounds and "
            "pence, such as 125.50.",
        )
    pounds = int((match.group("pounds") or "0").replace(",", ""))
    pence = int(pence_text.ljust(2, "0"))
    amount_pence = pounds * PENCE_PER_POUND + pence
    if negative:
        raise AmountRefused(
            AmountProblem.NEGATIVE, "The amount is negative; enter it without a minus sign."
        )
    if amount_pence == 0:
        raise AmountRefused(AmountProblem.ZERO, "The amount is zero; enter more than £0.00.")
    return amount_pence


def check_maximum(amount_pence: int, maximum_pence: int) -> None:
    """AmountRefused when `amount_pence` is more than may be paid in one go."""
    if amount_pence > maximum_pence:
        raise AmountRefused(
            AmountProblem.TOO_LARGE,
            f"{format_pounds(amount_pence)} is more than the most that can be paid, "
            f"{format_pounds(maximum_pence)}; enter {format_pounds(maximum_pence)} or less.",
            maximum_pence=maximum_pence,
        )


def parse_payable(text: str, maximum_pence: int) -> int:
    amount_pence = parse_pounds(text)
    check_maximum(amount_pence, maximum_pence)
    return amount_pence


def format_for_input(amount_pence: int) -> str:
    """How an amount is shown again in a form field: 1234.50, without £ or commas, so the text
    the resident sees is exactly what the field is read as."""
    pounds, pence = divmod(amount_pence, PENCE_PER_POUND)
    return f"{pounds}.{pence:02d}"


def _without_pound_sign(text: str) -> str:
    text = _SPACES.sub(" ", text).strip()
    if text.startswith(POUND_SIGN):
        text = text[len(POUND_SIGN) :].strip()
    return text


def _not_a_number(text: str) -> AmountRefused:
    shown = text.strip()[:MAX_AMOUNT_TEXT_LEN]
    return AmountRefused(
        AmountProblem.NOT_A_NUMBER,
        f"{shown!r} is not an amount of money; enter pounds and pence using numbers, such as "
        "125.50.",
    )
