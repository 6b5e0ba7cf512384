"""Searching payments and refunds with GOV.UK Pay's filters and pagination, one service's only."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from receipting.payments import serialise
from receipting.payments.errors import InvalidField
from receipting.payments.limits import DEFAULT_DISPLAY_SIZE, MAX_DISPLAY_SIZE
from receipting.payments.states import PaymentStatus
from receipting.payments.tables import PaymentRow, RefundRow

PAYMENT_FILTERS = (
    "reference",
    "email",
    "state",
    "card_brand",
    "from_date",
    "to_date",
    "cardholder_name",
    "first_digits_card_number",
    "last_digits_card_number",
    "from_settled_date",
    "to_settled_date",
)
REFUND_FILTERS = ("from_date", "to_date", "from_settled_date", "to_settled_date")
PAGING = ("page", "display_size")


@dataclass(frozen=True, slots=True)
class Page:
    number: int
    size: int


def parse_page(params: Mapping[str, str], code: str) -> Page:
    return Page(
        number=_positive(params.get("page"), "page", 1, None, code),
        size=_positive(
            params.get("display_size"), "display_size", DEFAULT_DISPLAY_SIZE, MAX_DISPLAY_SIZE, code
        ),
    )


def parse_datetime(value: str | None, name: str, code: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise InvalidField(
            f"{name} must be an ISO-8601 date and time in UTC, e.g. 2026-03-31T23:59:59Z.",
            field=name,
            code=code,
        )
    return moment


def _positive(value: str | None, name: str, default: int, maximum: int | None, code: str) -> int:
    if value is None:
        return default
    if not value.isdigit() or int(value) < 1 or (maximum is not None and int(value) > maximum):
        limit = f" and at most {maximum}" if maximum is not None else ""
        raise InvalidField(
            f"{name} must be a whole number, 1 or more{limit}.", field=name, code=code
        )
    return int(value)


def _refuse_unknown(params: Mapping[str, str], known: tuple[str, ...], code: str) -> None:
    for name in params:
        if name not in known:
            raise InvalidField(
                f"Unknown search parameter {name}. Use: {', '.join(known)}.", field=name, code=code
            )


def payment_query(service: str, params: Mapping[str, str]) -> Select[Any]:
    code = "P0402"
    _refuse_unknown(params, (*PAYMENT_FILTERS, *PAGING), code)
    query = select(PaymentRow).where(PaymentRow.service == service)
    exact = {
        "reference": PaymentRow.reference,
        "email": PaymentRow.email,
        "card_brand": PaymentRow.card_brand,
        "first_digits_card_number": PaymentRow.card_first_digits,
        "last_digits_card_number": PaymentRow.card_last_digits,
    }
    for name, column in exact.items():
        if params.get(name):
            query = query.where(column == params[name])
    if params.get("cardholder_name"):
        query = query.where(
            func.lower(PaymentRow.cardholder_name).contains(params["cardholder_name"].lower())
        )
    if "state" in params:
        if params["state"] not in {s.value for s in PaymentStatus}:
            raise InvalidField(
                f"state must be one of {', '.join(s.value for s in PaymentStatus)}.",
                field="state",
                code=code,
            )
        query = query.where(PaymentRow.status == params["state"])
    return _dated(query, PaymentRow.created_at, params, code)


def refund_query(service: str, params: Mapping[str, str]) -> Select[Any]:
    code = "P1102"
    _refuse_unknown(params, (*REFUND_FILTERS, *PAGING), code)
    query = select(RefundRow).where(RefundRow.service == service)
    return _dated(query, RefundRow.created_at, params, code)


def _dated(query: Select[Any], column: Any, params: Mapping[str, str], code: str) -> Select[Any]:
    start = parse_datetime(params.get("from_date"), "from_date", code)
    end = parse_datetime(params.get("to_date"), "to_date", code)
    if start is not None:
        query = query.where(column >= start)
    if end is not None:
        query = query.where(column < end)
    # Settlement dates come from gateway settlement reports, not yet imported: the filters are
    # accepted (so GOV.UK Pay clients work) and checked, and match nothing until then.
    for name in ("from_settled_date", "to_settled_date"):
        if params.get(name):
            parse_settled_date(params[name], name, code)
            query = query.where(column.is_(None))
    return query


def parse_settled_date(value: str, name: str, code: str) -> None:
    try:
        datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        raise InvalidField(
            f"{name} must be a date written YYYY-MM-DD.", field=name, code=code
        ) from None


def search_page(
    session: Session,
    query: Any,
    order_column: Any,
    page: Page,
    base_path: str,
    params: Mapping[str, str],
) -> tuple[list[Any], dict[str, Any]]:
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(
        session.scalars(
            query.order_by(order_column.desc())
            .limit(page.size)
            .offset((page.number - 1) * page.size)
        ).all()
    )
    last = max(1, math.ceil(total / page.size))
    filters = {k: v for k, v in params.items() if k not in PAGING}

    def href(number: int) -> dict[str, str]:
        query_string = urlencode({**filters, "page": number, "display_size": page.size})
        return serialise.link(f"{base_path}?{query_string}")

    links: dict[str, Any] = {
        "self": href(page.number),
        "first_page": href(1),
        "last_page": href(last),
        "prev_page": href(page.number - 1) if page.number > 1 else None,
        "next_page": href(page.number + 1) if page.number < last else None,
    }
    return rows, {
        "total": total,
        "count": len(rows),
        "page": page.number,
        "_links": {k: v for k, v in links.items() if v is not None},
    }
