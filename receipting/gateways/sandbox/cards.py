"""The sandbox's test cards and what happens when each is used: pure functions, no I/O.

The card numbers and outcomes are GOV.UK Pay's sandbox cards (see govuk-pay.md). Any other card
number that passes the Luhn check succeeds, as it does on GOV.UK Pay's sandbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

# ISO/IEC 7812 card numbers are 12 to 19 digits long; anything else is a typing mistake.
MIN_CARD_NUMBER_LEN = 12
MAX_CARD_NUMBER_LEN = 19

# What is kept of a card number: enough to recognise the card, never enough to use it (PCI DSS
# allows at most the first six and last four digits to be stored or shown).
FIRST_DIGITS_LEN = 6
LAST_DIGITS_LEN = 4

# Card security codes are three digits, four on American Express cards (printed on the front).
CVC_LEN = 3
AMEX_CVC_LEN = 4

# A cardholder's name as embossed is at most 26 characters; a typed name may be fuller. 255 is
# the column width, and more than anyone's name.
MAX_CARDHOLDER_NAME_LEN = 255

# Separators people type inside card numbers, dropped before checking.
CARD_NUMBER_SEPARATORS = " -"

# A two-digit expiry year is in this century.
CENTURY = 2000

# Cards are not issued for longer than this many years; a later expiry year is a typing mistake.
MAX_CARD_VALIDITY_YEARS = 20


class Outcome(StrEnum):
    """What the sandbox does with a card once the form is valid."""

    SUCCESS = "success"
    DECLINED = "declined"
    EXPIRED_CARD = "expired_card"
    WRONG_CVC = "wrong_cvc"
    GATEWAY_ERROR = "gateway_error"
    THREE_D_SECURE = "three_d_secure"
    CARD_TYPE_NOT_ACCEPTED = "card_type_not_accepted"


class CardType(StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"


@dataclass(frozen=True, slots=True)
class TestCard:
    number: str
    outcome: Outcome
    card_type: CardType | None = None
    corporate: bool = False

    __test__ = False  # not a pytest test class, whatever its name


TEST_CARDS: dict[str, TestCard] = {
    card.number: card
    for card in (
        TestCard("4444333322221111", Outcome.SUCCESS, CardType.CREDIT),
        TestCard("4242424242424242", Outcome.SUCCESS, CardType.CREDIT),
        TestCard("4000056655665556", Outcome.SUCCESS, CardType.DEBIT),
        TestCard("5105105105105100", Outcome.SUCCESS, CardType.CREDIT),
        TestCard("5200828282828210", Outcome.SUCCESS, CardType.DEBIT),
        TestCard("371449635398431", Outcome.SUCCESS, CardType.CREDIT),
        TestCard("3566002020360505", Outcome.SUCCESS, CardType.CREDIT),
        TestCard("6011000990139424", Outcome.SUCCESS, CardType.CREDIT),
        TestCard("4000160000000004", Outcome.SUCCESS, CardType.DEBIT),
        TestCard("4988080000000000", Outcome.SUCCESS, CardType.CREDIT, corporate=True),
        TestCard("4111111111111111", Outcome.SUCCESS, CardType.CREDIT, corporate=True),
        TestCard("4000000000000002", Outcome.DECLINED, CardType.CREDIT),
        TestCard("4000000000000069", Outcome.EXPIRED_CARD, CardType.CREDIT),
        TestCard("4000000000000127", Outcome.WRONG_CVC, CardType.CREDIT),
        TestCard("4000000000000119", Outcome.GATEWAY_ERROR, CardType.CREDIT),
        TestCard("4000002500003155", Outcome.THREE_D_SECURE, CardType.CREDIT),
        TestCard("6759649826438453", Outcome.CARD_TYPE_NOT_ACCEPTED, CardType.DEBIT),
    )
}


def card_for(number: str) -> TestCard:
    """The test card with this (clean, Luhn-valid) number; any other number simply succeeds."""
    return TEST_CARDS.get(number, TestCard(number, Outcome.SUCCESS))


# --- brands --------------------------------------------------------------------------------------

# (brand, issuer identification number prefixes) in the order they are tried: more specific
# ranges first (Maestro's 6759 before Discover's 6, Mastercard's 2221-2720 series before others).
# Brand names are GOV.UK Pay's.
BRAND_PREFIXES: tuple[tuple[str, tuple[range | str, ...]], ...] = (
    ("american-express", ("34", "37")),
    ("diners-club", ("36", "38", "39", range(300, 306))),
    ("jcb", (range(3528, 3590),)),
    ("maestro", ("5018", "5020", "5038", "5893", "6304", "6759", "6761", "6762", "6763")),
    ("master-card", (range(51, 56), range(2221, 2721))),
    ("discover", ("6011", "65", range(644, 650))),
    ("unionpay", ("62",)),
    ("visa", ("4",)),
)

UNKNOWN_BRAND = "unknown"


def brand_of(number: str) -> str:
    """The card scheme of a card number, from its leading digits; `unknown` when none matches."""
    for brand, prefixes in BRAND_PREFIXES:
        for prefix in prefixes:
            if isinstance(prefix, str):
                if number.startswith(prefix):
                    return brand
            else:
                width = len(str(prefix.start))
                lead = number[:width]
                if len(lead) == width and lead.isdigit() and int(lead) in prefix:
                    return brand
    return UNKNOWN_BRAND


# --- checks --------------------------------------------------------------------------------------


def clean_card_number(typed: str) -> str:
    """The number with the spaces and hyphens people type removed."""
    return "".join(ch for ch in typed if ch not in CARD_NUMBER_SEPARATORS)


def luhn_valid(number: str) -> bool:
    """Whether a string of digits passes the Luhn (mod 10) check every card number carries."""
    if not number.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def card_number_error(typed: str) -> str | None:
    """Why a typed card number is not a card number, or None when it is one."""
    number = clean_card_number(typed)
    if not number:
        return "Enter your card number"
    if not number.isdigit():
        return "Card numbers contain only digits; enter the long number on the front of your card"
    if not MIN_CARD_NUMBER_LEN <= len(number) <= MAX_CARD_NUMBER_LEN:
        return (
            f"Card numbers are {MIN_CARD_NUMBER_LEN} to {MAX_CARD_NUMBER_LEN} digits long; "
            f"check you have typed all of it"
        )
    if not luhn_valid(number):
        return "This is not a valid card number; check you have typed it correctly"
    return None


def parse_expiry(month: str, year: str) -> tuple[int, int] | None:
    """(month, four-digit year) from what was typed, or None when it is not a month and year."""
    month, year = month.strip(), year.strip()
    if not (month.isdigit() and year.isdigit()) or len(month) > 2 or len(year) not in (2, 4):
        return None
    month_number, year_number = int(month), int(year)
    if not 1 <= month_number <= 12:
        return None
    if len(year) == 2:
        year_number += CENTURY
    return month_number, year_number


def expiry_error(month: str, year: str, today: date) -> str | None:
    """Why an expiry date is unusable, or None. A card is valid to the end of its expiry month."""
    if not month.strip() or not year.strip():
        return "Enter the expiry date shown on your card, for example 04 and 30"
    parsed = parse_expiry(month, year)
    if parsed is None:
        return "Enter the expiry date as a month from 01 to 12 and a year, for example 04 and 30"
    month_number, year_number = parsed
    if (year_number, month_number) < (today.year, today.month):
        return "The expiry date must be in the future; check the card has not expired"
    if year_number > today.year + MAX_CARD_VALIDITY_YEARS:
        return "The expiry year is too far in the future; check you have typed it correctly"
    return None


def format_expiry(month: str, year: str) -> str:
    """MM/YY, as gateways report it; only for an expiry that `expiry_error` accepted."""
    parsed = parse_expiry(month, year)
    assert parsed is not None, "format_expiry needs an expiry that passed expiry_error"
    return f"{parsed[0]:02d}/{parsed[1] % 100:02d}"


def cvc_error(cvc: str, brand: str) -> str | None:
    """Why a card security code is unusable, or None."""
    cvc = cvc.strip()
    expected = AMEX_CVC_LEN if brand == "american-express" else CVC_LEN
    if not cvc:
        return "Enter the card security code"
    if not cvc.isdigit() or len(cvc) != expected:
        where = "on the front" if expected == AMEX_CVC_LEN else "on the back"
        return f"Enter the {expected}-digit card security code printed {where} of your card"
    return None


def cardholder_name_error(name: str) -> str | None:
    name = name.strip()
    if not name:
        return "Enter the name as it appears on the card"
    if len(name) > MAX_CARDHOLDER_NAME_LEN:
        return f"The name must be {MAX_CARDHOLDER_NAME_LEN} characters or fewer"
    return None


def first_digits(number: str) -> str:
    return number[:FIRST_DIGITS_LEN]


def last_digits(number: str) -> str:
    return number[-LAST_DIGITS_LEN:]
