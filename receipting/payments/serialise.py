"""Payments and refunds as GOV.UK Pay's JSON shapes, plus our extensions. Pure: no I/O.

Extensions (fields GOV.UK Pay lacks): `receipt_number` on a payment and its success event, and
`allocations` (the basket lines, each with its fund, account reference, amount, VAT and
narrative).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from receipting.payments.states import PaymentStatus
from receipting.payments.tables import PaymentEventRow, PaymentLineRow, PaymentRow, RefundRow


def iso(moment: datetime) -> str:
    """GOV.UK Pay's timestamps: UTC, milliseconds, `Z`."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def link(href: str, method: str = "GET") -> dict[str, str]:
    return {"href": href, "method": method}


def post_link(href: str) -> dict[str, Any]:
    return {"href": href, "method": "POST", "type": "", "params": {}}


def payment_url(base_url: str, payment_id: str) -> str:
    return f"{base_url}/v1/payments/{payment_id}"


def state_json(status: str, code: str | None, message: str | None) -> dict[str, Any]:
    state: dict[str, Any] = {"status": status, "finished": PaymentStatus(status).finished}
    if code is not None:
        state["code"] = code
    if message is not None:
        state["message"] = message
    return state


def refund_summary(row: PaymentRow) -> dict[str, Any]:
    status = PaymentStatus(row.status)
    available = row.amount_pence - row.refunded_pence if status is PaymentStatus.SUCCESS else 0
    if status is PaymentStatus.SUCCESS:
        summary = "available" if available > 0 else "full"
    elif status.finished:
        summary = "unavailable"
    else:
        summary = "pending"
    return {
        "status": summary,
        "amount_available": available,
        "amount_submitted": row.refunded_pence,
    }


def card_details(row: PaymentRow) -> dict[str, Any] | None:
    if row.card_last_digits is None:
        return None
    details = {
        "card_brand": row.card_brand or "",
        "card_type": row.card_type,
        "cardholder_name": row.cardholder_name,
        "expiry_date": row.card_expiry,
        "first_digits_card_number": row.card_first_digits,
        "last_digits_card_number": row.card_last_digits,
    }
    return {key: value for key, value in details.items() if value is not None}


def allocation_json(line: PaymentLineRow) -> dict[str, Any]:
    return {
        "fund_code": line.fund_code,
        "account_reference": line.account_reference,
        "amount": line.amount_pence,
        "narrative": line.narrative,
        "vat_code": line.vat_code,
        "vat_rate_basis_points": line.vat_rate_basis_points,
        "vat_amount": line.vat_pence,
    }


def payment_links(row: PaymentRow, base_url: str, *, search: bool = False) -> dict[str, Any]:
    self_url = payment_url(base_url, row.id)
    status = PaymentStatus(row.status)
    links: dict[str, Any] = {
        "self": link(self_url),
        "events": link(f"{self_url}/events"),
        "refunds": link(f"{self_url}/refunds"),
    }
    if (
        not search
        and row.next_url is not None
        and status
        in (
            PaymentStatus.CREATED,
            PaymentStatus.STARTED,
        )
    ):
        links["next_url"] = link(row.next_url)
        links["next_url_post"] = {
            "href": row.next_url,
            "method": "POST",
            "type": "application/x-www-form-urlencoded",
            "params": {},
        }
    if not status.finished:
        links["cancel"] = post_link(f"{self_url}/cancel")
    if status is PaymentStatus.CAPTURABLE:
        links["capture"] = post_link(f"{self_url}/capture")
    return links


def payment_json(
    row: PaymentRow,
    lines: Sequence[PaymentLineRow],
    base_url: str,
    *,
    search: bool = False,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "payment_id": row.id,
        "amount": row.amount_pence,
        "total_amount": row.amount_pence,
        "reference": row.reference,
        "description": row.description,
        "return_url": row.return_url,
        "language": row.language,
        "delayed_capture": row.delayed_capture,
        "moto": row.moto,
        "state": state_json(row.status, row.state_code, row.state_message),
        "created_date": iso(row.created_at),
        "payment_provider": row.gateway,
        "refund_summary": refund_summary(row),
        "settlement_summary": settlement_summary(row),
        "authorisation_mode": "moto_api" if row.moto else "web",
        "_links": payment_links(row, base_url, search=search),
        "allocations": [allocation_json(line) for line in lines],
    }
    if row.gateway_ref is not None:
        body["provider_id"] = row.gateway_ref
    if row.email is not None:
        body["email"] = row.email
    if row.metadata_json is not None:
        body["metadata"] = json.loads(row.metadata_json)
    card = card_details(row)
    if card is not None:
        body["card_details"] = card
        body["card_brand"] = card["card_brand"]
    if row.receipt_number is not None:
        body["receipt_number"] = row.receipt_number
    return body


def settlement_summary(row: PaymentRow) -> dict[str, Any]:
    if row.captured_at is None:
        return {}
    return {
        "capture_submit_time": iso(row.captured_at),
        "captured_date": row.captured_at.date().isoformat(),
    }


def event_json(event: PaymentEventRow, base_url: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "payment_id": event.payment_id,
        "state": state_json(event.status, event.code, event.message),
        "updated": iso(event.created_at),
        "_links": {"payment_url": link(payment_url(base_url, event.payment_id))},
    }
    if event.receipt_number is not None:
        body["receipt_number"] = event.receipt_number
    return body


def events_json(
    payment_id: str, events: Sequence[PaymentEventRow], base_url: str
) -> dict[str, Any]:
    return {
        "payment_id": payment_id,
        "events": [event_json(e, base_url) for e in events],
        "_links": {"self": link(f"{payment_url(base_url, payment_id)}/events")},
    }


def refund_json(refund: RefundRow, base_url: str) -> dict[str, Any]:
    pay_url = payment_url(base_url, refund.payment_id)
    return {
        "refund_id": refund.id,
        "payment_id": refund.payment_id,
        "amount": refund.amount_pence,
        "status": refund.status,
        "created_date": iso(refund.created_at),
        "settlement_summary": {},
        "_links": {
            "self": link(f"{pay_url}/refunds/{refund.id}"),
            "payment": link(pay_url),
        },
    }


def refunds_of_payment_json(
    payment_id: str, refunds: Sequence[RefundRow], base_url: str
) -> dict[str, Any]:
    pay_url = payment_url(base_url, payment_id)
    return {
        "payment_id": payment_id,
        "_links": {"self": link(f"{pay_url}/refunds"), "payment": link(pay_url)},
        "_embedded": {"refunds": [refund_json(r, base_url) for r in refunds]},
    }
