"""The transactional outbox: events written in the same transaction as the change they announce.

CONTRACT (relied on by payments): `enqueue(session, service=..., event_type=..., ...)` inside the
caller's transaction. It adds one `webhook_messages` row per active subscription of `service`
that wants `event_type`, and never commits: if the change rolls back, so do its messages; if it
commits, the worker will deliver them (at least once).

The body is GOV.UK Pay's webhook payload, serialised here once; every attempt sends, and signs,
exactly these bytes.
"""

from __future__ import annotations

import base64
import json
import secrets
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from receipting.webhooks.errors import UnknownEventType
from receipting.webhooks.tables import (
    EVENT_TYPES,
    MESSAGE_PENDING,
    SUBSCRIPTION_ACTIVE,
    WebhookMessageRow,
    WebhookSubscriptionRow,
)

# GOV.UK Pay's webhook payload version.
API_VERSION = 1

# Random bytes behind a public id: 16 bytes make 26 base32 characters, GOV.UK Pay's id length.
EXTERNAL_ID_RANDOM_BYTES = 16


def new_external_id() -> str:
    raw = secrets.token_bytes(EXTERNAL_ID_RANDOM_BYTES)
    return base64.b32encode(raw).decode("ascii").rstrip("=").lower()


def pay_timestamp(moment: datetime) -> str:
    """GOV.UK Pay's timestamps: UTC, milliseconds, a Z (2026-11-24T10:36:26.988Z)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}Z"
    )


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise TypeError(
                f"A webhook resource holds the naive timestamp {value.isoformat()}; give it a "
                "time zone (datetime.now(UTC))."
            )
        return pay_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(
        f"A webhook resource holds a {type(value).__name__}, which has no JSON form; convert it "
        "to a string, number, list or object first (as the API response does)."
    )


def payload_body(
    *,
    webhook_message_id: str,
    created_date: datetime,
    event_type: str,
    resource_type: str,
    resource_id: str,
    resource: dict[str, Any],
) -> str:
    """The exact JSON text sent: GOV.UK Pay's field names, ASCII only (so the stored text and the
    bytes on the wire are the same in any database encoding)."""
    payload = {
        "webhook_message_id": webhook_message_id,
        "api_version": API_VERSION,
        "created_date": pay_timestamp(created_date),
        "resource_id": resource_id,
        "resource_type": resource_type,
        "event_type": event_type,
        "resource": resource,
    }
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=True, default=_json_default)


def event_types_of(row: WebhookSubscriptionRow) -> frozenset[str]:
    return frozenset(name for name in row.event_types.split(",") if name)


def enqueue(
    session: Session,
    *,
    service: str,
    event_type: str,
    resource_type: str,
    resource_id: str,
    resource: dict[str, Any],
    now: datetime,
) -> None:
    """Record `event_type` (e.g. "card_payment_succeeded") for every subscription of `service`
    that wants it. Does not commit: it joins the caller's transaction."""
    if event_type not in EVENT_TYPES:
        raise UnknownEventType(
            f"{event_type!r} is not a webhook event type; use one of {', '.join(EVENT_TYPES)}."
        )
    subscriptions = session.scalars(
        select(WebhookSubscriptionRow)
        .where(
            WebhookSubscriptionRow.service == service,
            WebhookSubscriptionRow.status == SUBSCRIPTION_ACTIVE,
        )
        .order_by(WebhookSubscriptionRow.id)
    )
    for subscription in subscriptions:
        if event_type not in event_types_of(subscription):
            continue
        message_id = new_external_id()
        session.add(
            WebhookMessageRow(
                external_id=message_id,
                subscription_id=subscription.id,
                event_type=event_type,
                resource_type=resource_type,
                resource_id=resource_id,
                body=payload_body(
                    webhook_message_id=message_id,
                    created_date=now,
                    event_type=event_type,
                    resource_type=resource_type,
                    resource_id=resource_id,
                    resource=resource,
                ),
                status=MESSAGE_PENDING,
                attempts=0,
                created_at=now,
                next_attempt_at=now,
            )
        )
    session.flush()
