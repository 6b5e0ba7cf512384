"""Money and dates as residents read them, the same on pages, in emails and on receipts."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date

PENCE_PER_POUND = 100

# Councils in England and Wales: dates and times shown to residents are UK local ones.
LOCAL_TIME_ZONE = ZoneInfo("Europe/London")

# GOV.UK style, "24 November 2026" ("24 Tachwedd 2026" in Welsh).
LONG_DATE_PATTERN = "d MMMM y"


def format_pounds(amount_pence: int) -> str:
    """£1,234.50 from 123450; -£5.00 from -500. Integer arithmetic only."""
    sign = "-" if amount_pence < 0 else ""
    pounds, pence = divmod(abs(amount_pence), PENCE_PER_POUND)
    return f"{sign}£{pounds:,}.{pence:02d}"


def format_long_date(value: date | datetime, language: str) -> str:
    """24 November 2026 (24 Tachwedd 2026); a datetime is first put into UK local time."""
    if isinstance(value, datetime):
        value = value.astimezone(LOCAL_TIME_ZONE).date() if value.tzinfo else value.date()
    return format_date(value, LONG_DATE_PATTERN, locale=language)
