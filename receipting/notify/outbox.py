"""The email outbox: receipt emails queued in the transaction that makes a payment succeed.

CONTRACT (relied on by payments): `queue_receipt_email(session, payment, now)` inside the
caller's transaction, where the payment moves to success. It adds at most one row per payment
(and never commits): if the payment's change rolls back, so does its email; if it commits, the
worker (or `send_due_now` straight after) sends it. A payment without an email gets none.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from receipting.council import service as council_service
from receipting.council.service import Fund
from receipting.notify.compose import Receipt, ReceiptItem
from receipting.notify.errors import ReceiptNotReady
from receipting.notify.tables import EMAIL_QUEUED, KIND_RECEIPT, EmailOutboxRow
from receipting.payments.tables import PaymentLineRow, PaymentRow


class PaidPayment(Protocol):
    """What queueing needs of a payment (a `PaymentRow` has it)."""

    @property
    def id(self) -> str: ...

    @property
    def email(self) -> str | None: ...

    @property
    def language(self) -> str: ...


def queue_receipt_email(session: Session, payment: PaidPayment, now: datetime) -> bool:
    """Queue the payment's receipt email, due now; True if a row was added. Nothing happens for a
    payment without an email, or one whose receipt is already queued (or sent)."""
    recipient = (payment.email or "").strip()
    if not recipient:
        return False
    existing = session.scalar(
        select(EmailOutboxRow.id).where(
            EmailOutboxRow.payment_id == payment.id, EmailOutboxRow.kind == KIND_RECEIPT
        )
    )
    if existing is not None:
        return False
    session.add(
        EmailOutboxRow(
            kind=KIND_RECEIPT,
            payment_id=payment.id,
            recipient=recipient,
            language=payment.language,
            status=EMAIL_QUEUED,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )
    session.flush()
    return True


def load_receipt(session: Session, payment_id: str) -> Receipt:
    """What the payment's receipt says, read in the caller's transaction."""
    payment = session.get(PaymentRow, payment_id)
    if payment is None or payment.receipt_number is None or payment.captured_at is None:
        raise ReceiptNotReady(
            f"Payment {payment_id} has no receipt yet, so there is nothing to email; receipts "
            "are emailed only once a payment has succeeded."
        )
    lines = session.scalars(
        select(PaymentLineRow)
        .where(PaymentLineRow.payment_id == payment_id)
        .order_by(PaymentLineRow.line_no)
    )
    funds: dict[str, Fund] = {}
    items: list[ReceiptItem] = []
    for line in lines:
        if line.fund_code not in funds:
            funds[line.fund_code] = council_service.get_fund(session, line.fund_code)
        fund = funds[line.fund_code]
        items.append(
            ReceiptItem(fund.name, line.account_reference, line.amount_pence, fund.name_cy)
        )
    council = council_service.council_presentation(session)
    return Receipt(
        council_name=council.name,
        receipt_number=payment.receipt_number,
        paid_at=payment.captured_at,
        payment_id=payment.id,
        items=tuple(items),
        total_pence=payment.amount_pence,
        council_name_cy=council.name_cy,
    )
