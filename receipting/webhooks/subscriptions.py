"""Webhook subscriptions and their delivery log: the use cases behind the API and the CLI.

Each method is one use case in one transaction, opened here. `service` is the owner: an API key
sees and changes only its own service's subscriptions; the CLI (an operator on the server) may
pass `service=None` to see every service's.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from receipting.auth.tables import MAX_SERVICE_LEN
from receipting.webhooks.errors import InvalidSubscription, SubscriptionNotFound
from receipting.webhooks.outbox import event_types_of, new_external_id
from receipting.webhooks.signing import new_secret
from receipting.webhooks.tables import (
    EVENT_TYPES,
    MAX_CALLBACK_URL_LEN,
    MAX_SUBSCRIPTION_DESCRIPTION_LEN,
    SUBSCRIPTION_ACTIVE,
    SUBSCRIPTION_DISABLED,
    WebhookAttemptRow,
    WebhookMessageRow,
    WebhookSubscriptionRow,
)

# The delivery log is read a page at a time: enough for a screenful of recent messages by
# default, and a ceiling that keeps one request's reply (with every attempt) well under a megabyte.
DEFAULT_DELIVERY_LOG_LIMIT = 50
MAX_DELIVERY_LOG_LIMIT = 500

LOOPBACK_NAMES = frozenset({"localhost"})

# The same rule as an API key's service, so a webhook can only name a service a key can have.
_SERVICE_PATTERN = re.compile(rf"[a-z0-9][a-z0-9._-]{{0,{MAX_SERVICE_LEN - 1}}}")


@dataclass(frozen=True, slots=True)
class Subscription:
    webhook_id: str
    service: str
    callback_url: str
    description: str
    event_types: tuple[str, ...]
    status: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class SubscriptionWithSecret:
    """A subscription and its signing secret: returned only when the secret is made."""

    subscription: Subscription
    secret: str


@dataclass(frozen=True, slots=True)
class Attempt:
    attempt_number: int
    attempted_at: datetime
    result: str
    status_code: int | None
    duration_ms: int
    error: str | None


@dataclass(frozen=True, slots=True)
class Message:
    webhook_message_id: str
    event_type: str
    resource_type: str
    resource_id: str
    status: str
    created_at: datetime
    next_attempt_at: datetime | None
    finished_at: datetime | None
    attempts: tuple[Attempt, ...]


def is_loopback_host(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_callback_url(url: str, *, development: bool) -> str:
    """The callback URL, or a refusal saying what to change."""
    url = url.strip()
    if not url:
        raise InvalidSubscription(
            "callback_url is empty; give the https:// address that should receive the events.",
            field="callback_url",
        )
    if len(url) > MAX_CALLBACK_URL_LEN:
        raise InvalidSubscription(
            f"callback_url is {len(url)} characters long; the limit is {MAX_CALLBACK_URL_LEN}. "
            "Use a shorter address.",
            field="callback_url",
        )
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise InvalidSubscription(
            f"callback_url {url!r} is not a valid address; write it like "
            "https://crm.example-council.gov.uk/pay-events.",
            field="callback_url",
        ) from None
    if parts.scheme not in ("https", "http") or not host:
        raise InvalidSubscription(
            f"callback_url {url!r} must be an https:// address with a host name, like "
            "https://crm.example-council.gov.uk/pay-events.",
            field="callback_url",
        )
    if parts.username is not None or parts.password is not None:
        raise InvalidSubscription(
            "callback_url must not carry a user name or password: it is shown in the delivery "
            "log. Check the Pay-Signature header on the receiving side instead.",
            field="callback_url",
        )
    if parts.fragment:
        raise InvalidSubscription(
            "callback_url must not have a #fragment; it is never sent to the server. Remove it.",
            field="callback_url",
        )
    if parts.scheme == "http" and not (development or is_loopback_host(host)):
        raise InvalidSubscription(
            f"callback_url {url!r} uses http://; payment events must travel encrypted, so use "
            "https:// (plain http is accepted only for a loopback address such as 127.0.0.1).",
            field="callback_url",
        )
    return url


def check_event_types(event_types: Iterable[str]) -> tuple[str, ...]:
    chosen = set(event_types)
    if not chosen:
        raise InvalidSubscription(
            f"Choose at least one event type from: {', '.join(EVENT_TYPES)}.",
            field="subscriptions",
        )
    unknown = sorted(chosen - set(EVENT_TYPES))
    if unknown:
        raise InvalidSubscription(
            f"Unknown event type(s) {', '.join(unknown)}; choose from: {', '.join(EVENT_TYPES)}.",
            field="subscriptions",
        )
    return tuple(name for name in EVENT_TYPES if name in chosen)


def check_description(description: str) -> str:
    if len(description) > MAX_SUBSCRIPTION_DESCRIPTION_LEN:
        raise InvalidSubscription(
            f"description is {len(description)} characters long; the limit is "
            f"{MAX_SUBSCRIPTION_DESCRIPTION_LEN}. Shorten it.",
            field="description",
        )
    return description


def check_service(service: str) -> str:
    if not _SERVICE_PATTERN.fullmatch(service):
        raise InvalidSubscription(
            f"The service is {service!r}; it must be 1 to {MAX_SERVICE_LEN} lowercase letters, "
            "digits, dots, dashes or underscores, starting with a letter or digit, exactly as "
            "on the service's API keys (e.g. council-tax).",
            field="service",
        )
    return service


def _subscription(row: WebhookSubscriptionRow) -> Subscription:
    chosen = event_types_of(row)
    return Subscription(
        webhook_id=row.external_id,
        service=row.service,
        callback_url=row.callback_url,
        description=row.description,
        event_types=tuple(name for name in EVENT_TYPES if name in chosen),
        status=row.status,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class WebhookSubscriptions:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        development: bool = False,
    ) -> None:
        self._session_factory = session_factory
        self._clock = clock
        self._development = development

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        with self._session_factory() as session, session.begin():
            yield session

    def create(
        self,
        *,
        service: str,
        callback_url: str,
        event_types: Sequence[str],
        description: str = "",
    ) -> SubscriptionWithSecret:
        row_values = {
            "service": check_service(service),
            "callback_url": check_callback_url(callback_url, development=self._development),
            "event_types": ",".join(check_event_types(event_types)),
            "description": check_description(description),
        }
        secret = new_secret()
        now = self._clock()
        with self._transaction() as session:
            row = WebhookSubscriptionRow(
                external_id=new_external_id(),
                secret=secret,
                status=SUBSCRIPTION_ACTIVE,
                created_at=now,
                updated_at=now,
                **row_values,
            )
            session.add(row)
            session.flush()
            return SubscriptionWithSecret(_subscription(row), secret)

    def list_subscriptions(self, *, service: str | None) -> list[Subscription]:
        query = select(WebhookSubscriptionRow).order_by(WebhookSubscriptionRow.id)
        if service is not None:
            query = query.where(WebhookSubscriptionRow.service == service)
        with self._transaction() as session:
            return [_subscription(row) for row in session.scalars(query)]

    def get(self, webhook_id: str, *, service: str | None) -> Subscription:
        with self._transaction() as session:
            return _subscription(self._row(session, webhook_id, service))

    def disable(self, webhook_id: str, *, service: str | None) -> Subscription:
        """Stop sending. Messages not yet delivered stay in the log as pending."""
        with self._transaction() as session:
            row = self._row(session, webhook_id, service)
            if row.status != SUBSCRIPTION_DISABLED:
                row.status = SUBSCRIPTION_DISABLED
                row.updated_at = self._clock()
            return _subscription(row)

    def rotate_secret(self, webhook_id: str, *, service: str | None) -> SubscriptionWithSecret:
        """A new signing secret, in force for every attempt from now on (messages already queued
        are signed with it too: the secret is read when sending, not when queueing)."""
        secret = new_secret()
        with self._transaction() as session:
            row = self._row(session, webhook_id, service)
            row.secret = secret
            row.updated_at = self._clock()
            return SubscriptionWithSecret(_subscription(row), secret)

    def deliveries(
        self, webhook_id: str, *, service: str | None, limit: int = DEFAULT_DELIVERY_LOG_LIMIT
    ) -> list[Message]:
        """The subscription's messages, newest first, each with every attempt made."""
        if not 1 <= limit <= MAX_DELIVERY_LOG_LIMIT:
            raise InvalidSubscription(
                f"limit is {limit}; ask for 1 to {MAX_DELIVERY_LOG_LIMIT} messages at a time.",
                field="limit",
            )
        with self._transaction() as session:
            subscription = self._row(session, webhook_id, service)
            messages = list(
                session.scalars(
                    select(WebhookMessageRow)
                    .where(WebhookMessageRow.subscription_id == subscription.id)
                    .order_by(WebhookMessageRow.created_at.desc(), WebhookMessageRow.id.desc())
                    .limit(limit)
                )
            )
            attempts: dict[int, list[Attempt]] = {message.id: [] for message in messages}
            if messages:
                for attempt in session.scalars(
                    select(WebhookAttemptRow)
                    .where(WebhookAttemptRow.message_id.in_(list(attempts)))
                    .order_by(WebhookAttemptRow.id)
                ):
                    attempts[attempt.message_id].append(
                        Attempt(
                            attempt_number=attempt.attempt_number,
                            attempted_at=attempt.attempted_at,
                            result=attempt.result,
                            status_code=attempt.status_code,
                            duration_ms=attempt.duration_ms,
                            error=attempt.error,
                        )
                    )
            return [
                Message(
                    webhook_message_id=message.external_id,
                    event_type=message.event_type,
                    resource_type=message.resource_type,
                    resource_id=message.resource_id,
                    status=message.status,
                    created_at=message.created_at,
                    next_attempt_at=message.next_attempt_at,
                    finished_at=message.finished_at,
                    attempts=tuple(attempts[message.id]),
                )
                for message in messages
            ]

    def _row(
        self, session: Session, webhook_id: str, service: str | None
    ) -> WebhookSubscriptionRow:
        query = select(WebhookSubscriptionRow).where(
            WebhookSubscriptionRow.external_id == webhook_id
        )
        if service is not None:
            query = query.where(WebhookSubscriptionRow.service == service)
        row = session.scalars(query).one_or_none()
        if row is None:
            raise SubscriptionNotFound(
                f"There is no webhook {webhook_id!r}"
                + ("" if service is None else f" for service {service!r}")
                + ". GET /v1/webhooks (or `receipting webhooks list`) lists the webhooks there are."
            )
        return row
