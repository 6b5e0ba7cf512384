"""Receipt numbers: unique, human-readable, e.g. "R-2026-000123" (prefix, year issued, serial).

The serial is drawn from the receipts table's own key, so two receipts can never share one (a
unique constraint on the number checks that again). On PostgreSQL the key comes from its
sequence, so concurrent issuers never wait on each other; SQLite writers are serialised by the
database lock, so the next free key cannot race there.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from ledger.db import is_postgresql
from receipting.payments.tables import ReceiptRow

RECEIPT_PREFIX = "R"
# Six digits keep numbers short on a printed receipt; more appear, unpadded, when needed.
SERIAL_DIGITS = 6


def receipt_number(serial: int, issued_at: datetime) -> str:
    return f"{RECEIPT_PREFIX}-{issued_at.year}-{serial:0{SERIAL_DIGITS}d}"


def issue_receipt(session: Session, payment_id: str, now: datetime) -> str:
    """Issue the payment's receipt in the caller's transaction and return its number."""
    existing = session.scalar(select(ReceiptRow.number).where(ReceiptRow.payment_id == payment_id))
    if existing is not None:
        return existing
    serial = _next_serial(session)
    number = receipt_number(serial, now)
    session.execute(
        insert(ReceiptRow).values(id=serial, number=number, payment_id=payment_id, issued_at=now)
    )
    return number


def _next_serial(session: Session) -> int:
    if is_postgresql(session):
        value = session.scalar(text("SELECT nextval('payment_receipt_serial_seq')"))
    else:
        value = session.scalar(select(func.coalesce(func.max(ReceiptRow.id), 0) + 1))
    assert isinstance(value, int)
    return value
