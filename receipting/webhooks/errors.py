"""What can go wrong with webhooks, each error saying what was wrong and how to fix it."""

from __future__ import annotations

from receipting.errors import InvalidRequest, NotFound, ReceiptingError


class UnknownEventType(ReceiptingError):
    """Code asked to announce an event that no subscription can ask for: a bug in the caller."""

    code = "WEBHOOK_UNKNOWN_EVENT_TYPE"


class InvalidSubscription(InvalidRequest):
    """A subscription's callback URL, events or description cannot be accepted."""

    code = "WEBHOOK_INVALID"


class SubscriptionNotFound(NotFound):
    code = "WEBHOOK_NOT_FOUND"
