"""Receipt emails in English and Welsh: what they say, money and dates as people read them, and
data that tries to forge headers refused."""

from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser

import pytest

from receipting.formats import format_pounds
from receipting.notify.compose import (
    Receipt,
    ReceiptItem,
    compose_receipt,
    format_when,
    receipt_subject,
    receipt_text,
)
from receipting.notify.errors import InvalidRecipient, UnknownLanguage, UnsafeEmailText

PAID_AT = datetime(2026, 11, 24, 9, 5, tzinfo=UTC)
NOW = datetime(2026, 11, 24, 9, 6, tzinfo=UTC)
PAYMENT_ID = "abcdefghijklmnopqrstuvwxyz"
SENDER = "receipts@example-council.test"
RECIPIENT = "ann.payer@example.org"


def receipt(**changes: object) -> Receipt:
    fields: dict[str, object] = {
        "council_name": "Example Council",
        "receipt_number": "R-2026-000123",
        "paid_at": PAID_AT,
        "payment_id": PAYMENT_ID,
        "items": (
            ReceiptItem("Council Tax", "771234567", 123_450),
            ReceiptItem("Pest control", "12345678", 5_05),
        ),
        "total_pence": 128_500,
    }
    fields.update(changes)
    return Receipt(**fields)  # type: ignore[arg-type]


def compose(value: Receipt, language: str = "en", recipient: str = RECIPIENT) -> bytes:
    message = compose_receipt(value, language=language, sender=SENDER, recipient=recipient, now=NOW)
    return message.as_bytes()


@pytest.mark.parametrize(
    ("pence", "shown"),
    [
        (0, "£0.00"),
        (5, "£0.05"),
        (100, "£1.00"),
        (123_450, "£1,234.50"),
        (100_000_000, "£1,000,000.00"),
        (-250, "-£2.50"),
    ],
)
def test_amounts_are_pounds_with_thousands_separators_from_integer_pence(
    pence: int, shown: str
) -> None:
    assert format_pounds(pence) == shown


def test_the_english_receipt_lists_each_item_the_total_and_what_identifies_it() -> None:
    text = receipt_text(receipt(), "en")
    assert text.splitlines()[0] == "Example Council"
    assert "Receipt" in text
    assert "Thank you for your payment." in text
    assert "Receipt number: R-2026-000123" in text
    assert "Date: 24 November 2026 at 9:05am" in text
    assert f"Payment ID: {PAYMENT_ID}" in text
    assert "1. Council Tax\n   Reference: 771234567\n   Amount: £1,234.50" in text
    assert "2. Pest control\n   Reference: 12345678\n   Amount: £5.05" in text
    assert "Total paid: £1,285.00" in text
    assert "Keep this email" in text
    assert receipt_subject(receipt(), "en") == "Example Council: receipt R-2026-000123"


def test_the_welsh_receipt_is_in_welsh() -> None:
    text = receipt_text(receipt(council_name_cy="Cyngor Enghraifft"), "cy")
    assert text.splitlines()[0] == "Cyngor Enghraifft"
    assert "Derbynneb" in text
    assert "Diolch am eich taliad." in text
    assert "Rhif y dderbynneb: R-2026-000123" in text
    assert "Dyddiad: 24 Tachwedd 2026 am 9:05yb" in text
    assert f"Rhif adnabod y taliad: {PAYMENT_ID}" in text
    assert "1. Council Tax\n   Cyfeirnod: 771234567\n   Swm: £1,234.50" in text
    assert "Cyfanswm a dalwyd: £1,285.00" in text
    assert "Cadwch yr e-bost hwn" in text
    for english in ("Receipt number", "Thank you", "Total paid", "Keep this email"):
        assert english not in text
    assert (
        receipt_subject(receipt(council_name_cy="Cyngor Enghraifft"), "cy")
        == "Cyngor Enghraifft: derbynneb R-2026-000123"
    )


def test_a_council_without_a_welsh_name_keeps_its_own_name_in_welsh() -> None:
    assert receipt_text(receipt(), "cy").splitlines()[0] == "Example Council"


@pytest.mark.parametrize(
    ("moment", "language", "shown"),
    [
        # British Summer Time: a minute past midnight in the UK is still the evening before in UTC.
        (datetime(2026, 7, 1, 23, 1, tzinfo=UTC), "en", "2 July 2026 at 12:01am"),
        (datetime(2026, 1, 31, 12, 0, tzinfo=UTC), "en", "31 January 2026 at 12:00pm"),
        (datetime(2026, 3, 9, 17, 45, tzinfo=UTC), "cy", "9 Mawrth 2026 am 5:45yh"),
    ],
)
def test_the_date_is_the_uk_date_and_time_in_the_readers_language(
    moment: datetime, language: str, shown: str
) -> None:
    assert format_when(moment, language) == shown


def test_the_message_is_addressed_from_the_council_to_the_payer_with_a_stable_message_id() -> None:
    raw = compose(receipt(council_name="Cyngor Sir Ynys Môn"), "cy")
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert parsed["To"] == RECIPIENT
    assert parsed["From"].addresses[0].display_name == "Cyngor Sir Ynys Môn"
    assert parsed["From"].addresses[0].addr_spec == SENDER
    assert parsed["Subject"] == "Cyngor Sir Ynys Môn: derbynneb R-2026-000123"
    assert parsed["Message-ID"] == f"<receipt.{PAYMENT_ID}@example-council.test>"
    assert parsed["Content-Language"] == "cy"
    assert parsed["Auto-Submitted"] == "auto-generated"
    body = parsed.get_body(preferencelist=("plain",))
    assert body is not None
    assert "Swm: £1,234.50" in body.get_content()


@pytest.mark.parametrize(
    "hostile",
    [
        "Example Council\r\nBcc: everyone@example.net",
        "Example Council\nBcc: everyone@example.net",
        "Example Council\rBcc: everyone@example.net",
        "Example Council\u2028Bcc: everyone@example.net",
        "Example Council\x00",
    ],
)
def test_a_council_name_with_a_line_break_is_refused_rather_than_forging_headers(
    hostile: str,
) -> None:
    with pytest.raises(UnsafeEmailText, match="council name"):
        compose(receipt(council_name=hostile))


def test_a_fund_name_or_reference_with_a_line_break_is_refused_rather_than_forging_lines() -> None:
    forged_total = ReceiptItem("Council Tax\nTotal paid: £0.00", "771234567", 100)
    with pytest.raises(UnsafeEmailText, match="fund name"):
        compose(receipt(items=(forged_total,)))
    with pytest.raises(UnsafeEmailText, match="reference"):
        compose(receipt(items=(ReceiptItem("Council Tax", "77\r\n1", 100),)))


def test_a_receipt_number_with_a_line_break_is_refused() -> None:
    with pytest.raises(UnsafeEmailText, match="receipt number"):
        compose(receipt(receipt_number="R-1\r\nBcc: x@example.net"))


def test_a_recipient_with_a_line_break_is_refused() -> None:
    with pytest.raises(UnsafeEmailText, match="email address"):
        compose(receipt(), recipient="ann@example.org\r\nBcc: everyone@example.net")


@pytest.mark.parametrize(
    "recipient",
    ["ann@example.org, bob@example.org", "not an address", "@example.org", "ann@"],
)
def test_a_recipient_that_is_not_exactly_one_address_is_refused(recipient: str) -> None:
    with pytest.raises(InvalidRecipient):
        compose(receipt(), recipient=recipient)


def test_a_language_without_words_is_refused() -> None:
    with pytest.raises(UnknownLanguage, match="use one of cy, en"):
        receipt_text(receipt(), "fr")


def test_funds_are_named_in_welsh_when_the_council_gives_a_welsh_name() -> None:
    items = (
        ReceiptItem("Council Tax", "771234567", 100, "Treth y Cyngor"),
        ReceiptItem("Pest control", "12345678", 200),
    )
    welsh = receipt_text(receipt(items=items, total_pence=300), "cy")
    assert "1. Treth y Cyngor" in welsh
    assert "2. Pest control" in welsh
    assert "1. Council Tax" in receipt_text(receipt(items=items, total_pence=300), "en")
