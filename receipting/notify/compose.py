"""Composing a receipt email, in English or Welsh: pure functions of the receipt's data.

Every value that comes from data (the council's and funds' names, references, the receipt number,
addresses) is checked before it goes anywhere near a header or a line: a line break or another
control character is refused, so no value can add headers of its own or forge lines of the
receipt. Headers are built by `email.message.EmailMessage` with the default policy, which encodes
non-ASCII text (Welsh accents, "£") properly.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

# Receipts give the time the resident paid as the clocks in the UK showed it.
from receipting.formats import LOCAL_TIME_ZONE, format_long_date, format_pounds
from receipting.notify.errors import InvalidRecipient, UnknownLanguage, UnsafeEmailText

# Control characters (line breaks, tabs, NUL...) and the Unicode line and paragraph separators:
# anything that could end a header line or a line of the receipt.
_LINE_BREAKING_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})


@dataclass(frozen=True, slots=True)
class ReceiptItem:
    fund_name: str
    reference: str
    amount_pence: int
    fund_name_cy: str | None = None  # None: the English name is shown in Welsh too

    def fund_name_in(self, language: str) -> str:
        if language == "cy" and self.fund_name_cy:
            return self.fund_name_cy
        return self.fund_name


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a receipt email says, gathered from the payment when it is sent."""

    council_name: str
    receipt_number: str
    paid_at: datetime  # timezone-aware
    payment_id: str
    items: tuple[ReceiptItem, ...]
    total_pence: int
    # The council's name in Welsh, when its configuration has one; otherwise the name above.
    council_name_cy: str | None = None

    def council_name_in(self, language: str) -> str:
        if language == "cy" and self.council_name_cy:
            return self.council_name_cy
        return self.council_name


@dataclass(frozen=True, slots=True)
class Words:
    subject: str  # {number} and {council}
    heading: str
    thanks: str
    receipt_number: str
    date: str
    payment_id: str
    what_you_paid: str
    reference: str
    amount: str
    total: str
    keep: str
    why_sent: str
    at: str  # joins the date and the time
    morning: str
    afternoon: str


WORDS: dict[str, Words] = {
    "en": Words(
        subject="{council}: receipt {number}",
        heading="Receipt",
        thanks="Thank you for your payment.",
        receipt_number="Receipt number",
        date="Date",
        payment_id="Payment ID",
        what_you_paid="What you paid",
        reference="Reference",
        amount="Amount",
        total="Total paid",
        keep="Keep this email: it is your receipt.",
        why_sent="We sent this email because you gave this address when you paid.",
        at="at",
        morning="am",
        afternoon="pm",
    ),
    "cy": Words(
        subject="{council}: derbynneb {number}",
        heading="Derbynneb",
        thanks="Diolch am eich taliad.",
        receipt_number="Rhif y dderbynneb",
        date="Dyddiad",
        payment_id="Rhif adnabod y taliad",
        what_you_paid="Yr hyn a daloch",
        reference="Cyfeirnod",
        amount="Swm",
        total="Cyfanswm a dalwyd",
        keep="Cadwch yr e-bost hwn: dyma eich derbynneb.",
        why_sent="Anfonwyd yr e-bost hwn atoch am eich bod wedi rhoi'r cyfeiriad hwn wrth dalu.",
        at="am",
        morning="yb",
        afternoon="yh",
    ),
}


def words_for(language: str) -> Words:
    words = WORDS.get(language)
    if words is None:
        raise UnknownLanguage(
            f"There is no receipt email in language {language!r}; use one of "
            f"{', '.join(sorted(WORDS))}."
        )
    return words


def format_when(moment: datetime, language: str) -> str:
    """ "24 November 2026 at 9:05am" (or "24 Tachwedd 2026 am 9:05yb"), UK time."""
    words = words_for(language)
    local = moment.astimezone(LOCAL_TIME_ZONE)
    hour = local.hour % 12 or 12
    suffix = words.morning if local.hour < 12 else words.afternoon
    day = format_long_date(local, language)
    return f"{day} {words.at} {hour}:{local.minute:02d}{suffix}"


def one_line(value: str, what: str) -> str:
    """`value` unchanged if it is safe on one line of an email; otherwise UnsafeEmailText."""
    for character in value:
        if unicodedata.category(character) in _LINE_BREAKING_CATEGORIES:
            raise UnsafeEmailText(
                f"The {what} holds the control character U+{ord(character):04X} (a line break or "
                "similar), which could forge lines or headers in the email; remove it from the "
                f"{what} and try again."
            )
    return value


def recipient_address(recipient: str) -> Address:
    """The one address `recipient` names, or InvalidRecipient."""
    one_line(recipient, "email address")
    try:
        address = Address(addr_spec=recipient.strip())
    except (ValueError, HeaderParseError, IndexError) as exc:
        raise InvalidRecipient(
            "The email address is not one address like name@example.com, so no receipt can be "
            "sent to it; correct the address the payment was made with."
        ) from exc
    if not address.username or not address.domain:
        raise InvalidRecipient(
            "The email address has no name or domain (name@example.com), so no receipt can be "
            "sent to it; correct the address the payment was made with."
        )
    return address


def sender_address(sender: str, display_name: str) -> Address:
    """The From address: the configured address, shown under the council's name."""
    address = recipient_address(sender)
    return Address(display_name=display_name, username=address.username, domain=address.domain)


def receipt_subject(receipt: Receipt, language: str) -> str:
    words = words_for(language)
    return words.subject.format(
        number=one_line(receipt.receipt_number, "receipt number"),
        council=one_line(receipt.council_name_in(language), "council name"),
    )


def receipt_text(receipt: Receipt, language: str) -> str:
    """The plain-text body: every line of data checked to be one line."""
    words = words_for(language)
    lines = [
        one_line(receipt.council_name_in(language), "council name"),
        "",
        words.heading,
        "",
        words.thanks,
        "",
        f"{words.receipt_number}: {one_line(receipt.receipt_number, 'receipt number')}",
        f"{words.date}: {format_when(receipt.paid_at, language)}",
        f"{words.payment_id}: {one_line(receipt.payment_id, 'payment id')}",
        "",
        words.what_you_paid,
        "",
        *_item_lines(receipt.items, language),
        f"{words.total}: {format_pounds(receipt.total_pence)}",
        "",
        words.keep,
        "",
        words.why_sent,
    ]
    return "\n".join(lines) + "\n"


def _item_lines(items: Iterable[ReceiptItem], language: str) -> list[str]:
    words = words_for(language)
    lines: list[str] = []
    for number, item in enumerate(items, start=1):
        lines += [
            f"{number}. {one_line(item.fund_name_in(language), 'fund name')}",
            f"   {words.reference}: {one_line(item.reference, 'reference')}",
            f"   {words.amount}: {format_pounds(item.amount_pence)}",
            "",
        ]
    return lines


def compose_receipt(
    receipt: Receipt, *, language: str, sender: str, recipient: str, now: datetime
) -> EmailMessage:
    """The receipt email, ready for SMTP. The Message-ID is the same on every attempt, so a mail
    client shows a receipt sent twice (after a lost acknowledgement) once."""
    to = recipient_address(recipient)
    if not receipt.payment_id.isalnum():
        raise UnsafeEmailText(
            f"The payment id {receipt.payment_id!r} is not letters and digits, so it cannot name "
            "the message; receipts are only composed for the engine's own payments."
        )
    from_ = sender_address(sender, one_line(receipt.council_name_in(language), "council name"))
    message = EmailMessage()
    message["Subject"] = receipt_subject(receipt, language)
    message["From"] = from_
    message["To"] = to
    message["Date"] = format_datetime(now)
    message["Message-ID"] = f"<receipt.{receipt.payment_id}@{from_.domain}>"
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: out-of-office robots do not reply
    message.set_content(receipt_text(receipt, language))
    # After set_content, which replaces every Content-* header.
    message["Content-Language"] = language
    return message
