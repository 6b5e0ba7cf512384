"""The transactional outbox: events written in the same transaction as the change they announce.

CONTRACT (relied on by payments; the body is filled in by the webhooks work).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session


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
