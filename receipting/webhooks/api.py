"""HTTP routes of this subsystem: webhook subscriptions and their delivery log.

Every route needs an API key with the scope `webhooks:manage`. A key sees and changes only the
webhooks of its own service; any other answers 404, exactly as if it did not exist. The signing
secret is in the answer to creating a webhook and to rotating its secret, and nowhere else.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import falcon

from receipting.api.openapi import Operation, Parameter, RouteRegistry
from receipting.auth.errors import NotAuthenticated
from receipting.auth.scopes import Scope
from receipting.channels import AppContext
from receipting.webhooks.errors import InvalidSubscription, SubscriptionNotFound
from receipting.webhooks.outbox import pay_timestamp
from receipting.webhooks.subscriptions import (
    DEFAULT_DELIVERY_LOG_LIMIT,
    MAX_DELIVERY_LOG_LIMIT,
    Message,
    Subscription,
    SubscriptionWithSecret,
    WebhookSubscriptions,
)
from receipting.webhooks.tables import (
    ATTEMPT_RESULTS,
    EVENT_TYPES,
    EXTERNAL_ID_LEN,
    MAX_CALLBACK_URL_LEN,
    MAX_SUBSCRIPTION_DESCRIPTION_LEN,
    MESSAGE_STATUSES,
    SUBSCRIPTION_STATUSES,
)

TAGS = ("webhooks",)
MANAGE = {"GET": Scope.WEBHOOKS_MANAGE, "POST": Scope.WEBHOOKS_MANAGE}

CREATE_FIELDS = frozenset({"callback_url", "description", "subscriptions"})


def _service_of(req: falcon.Request) -> str:
    principal = getattr(req.context, "principal", None)
    if principal is None:
        raise NotAuthenticated()
    return str(principal.service)


def _when(moment: Any) -> str | None:
    return None if moment is None else pay_timestamp(moment)


def subscription_json(subscription: Subscription) -> dict[str, Any]:
    return {
        "webhook_id": subscription.webhook_id,
        "service": subscription.service,
        "callback_url": subscription.callback_url,
        "description": subscription.description,
        "subscriptions": list(subscription.event_types),
        "status": subscription.status,
        "created_date": _when(subscription.created_at),
        "updated_date": _when(subscription.updated_at),
    }


def with_secret_json(created: SubscriptionWithSecret) -> dict[str, Any]:
    return {**subscription_json(created.subscription), "signing_secret": created.secret}


def message_json(message: Message) -> dict[str, Any]:
    return {
        "webhook_message_id": message.webhook_message_id,
        "event_type": message.event_type,
        "resource_type": message.resource_type,
        "resource_id": message.resource_id,
        "status": message.status,
        "created_date": _when(message.created_at),
        "next_attempt_date": _when(message.next_attempt_at),
        "finished_date": _when(message.finished_at),
        "attempts": [
            {
                "attempt_number": attempt.attempt_number,
                "attempted_date": _when(attempt.attempted_at),
                "result": attempt.result,
                "status_code": attempt.status_code,
                "duration_ms": attempt.duration_ms,
                "error": attempt.error,
            }
            for attempt in message.attempts
        ],
    }


def parse_create(body: object) -> tuple[str, str, list[str]]:
    """(callback_url, description, event types) from a create request, or a refusal naming the
    field at fault."""
    if not isinstance(body, dict):
        raise InvalidSubscription(
            'Send a JSON object such as {"callback_url": "https://...", "subscriptions": '
            '["card_payment_succeeded"], "description": "CRM"}.'
        )
    unknown = sorted(set(body) - CREATE_FIELDS)
    if unknown:
        raise InvalidSubscription(
            f"Unknown field {unknown[0]!r}; a webhook has callback_url, subscriptions and "
            "description.",
            field=unknown[0],
        )
    callback_url = body.get("callback_url")
    if not isinstance(callback_url, str):
        raise InvalidSubscription(
            "callback_url is required: the https:// address that should receive the events.",
            field="callback_url",
        )
    description = body.get("description", "")
    if not isinstance(description, str):
        raise InvalidSubscription(
            "description must be text, such as the name of the receiving system.",
            field="description",
        )
    chosen = body.get("subscriptions")
    if not isinstance(chosen, list) or not all(isinstance(name, str) for name in chosen):
        raise InvalidSubscription(
            "subscriptions is required: a list of event types, such as "
            f'["card_payment_succeeded"]. Choose from: {", ".join(EVENT_TYPES)}.',
            field="subscriptions",
        )
    return callback_url, description, chosen


def _media(req: falcon.Request) -> object:
    return req.get_media(default_when_empty=None)


def parse_limit(value: str | None) -> int:
    if value is None:
        return DEFAULT_DELIVERY_LOG_LIMIT
    if not value.isdigit() or not 1 <= int(value) <= MAX_DELIVERY_LOG_LIMIT:
        raise InvalidSubscription(
            f"limit is {value!r}; ask for a whole number of messages from 1 to "
            f"{MAX_DELIVERY_LOG_LIMIT}.",
            field="limit",
        )
    return int(value)


class WebhooksResource:
    auth_scopes = MANAGE

    def __init__(self, webhooks: WebhookSubscriptions) -> None:
        self._webhooks = webhooks

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        callback_url, description, chosen = parse_create(_media(req))
        created = self._webhooks.create(
            service=_service_of(req),
            callback_url=callback_url,
            event_types=chosen,
            description=description,
        )
        resp.status = falcon.HTTP_201
        resp.location = f"/v1/webhooks/{created.subscription.webhook_id}"
        resp.media = with_secret_json(created)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        found = self._webhooks.list_subscriptions(service=_service_of(req))
        resp.media = {"results": [subscription_json(s) for s in found]}


class WebhookResource:
    auth_scopes = {"GET": Scope.WEBHOOKS_MANAGE}

    def __init__(self, webhooks: WebhookSubscriptions) -> None:
        self._webhooks = webhooks

    def on_get(self, req: falcon.Request, resp: falcon.Response, webhook_id: str) -> None:
        resp.media = subscription_json(self._webhooks.get(webhook_id, service=_service_of(req)))


class DisableWebhookResource:
    auth_scopes = {"POST": Scope.WEBHOOKS_MANAGE}

    def __init__(self, webhooks: WebhookSubscriptions) -> None:
        self._webhooks = webhooks

    def on_post(self, req: falcon.Request, resp: falcon.Response, webhook_id: str) -> None:
        resp.media = subscription_json(self._webhooks.disable(webhook_id, service=_service_of(req)))


class RotateSecretResource:
    auth_scopes = {"POST": Scope.WEBHOOKS_MANAGE}

    def __init__(self, webhooks: WebhookSubscriptions) -> None:
        self._webhooks = webhooks

    def on_post(self, req: falcon.Request, resp: falcon.Response, webhook_id: str) -> None:
        resp.media = with_secret_json(
            self._webhooks.rotate_secret(webhook_id, service=_service_of(req))
        )


class DeliveriesResource:
    auth_scopes = {"GET": Scope.WEBHOOKS_MANAGE}

    def __init__(self, webhooks: WebhookSubscriptions) -> None:
        self._webhooks = webhooks

    def on_get(self, req: falcon.Request, resp: falcon.Response, webhook_id: str) -> None:
        limit = parse_limit(req.get_param("limit"))
        messages = self._webhooks.deliveries(webhook_id, service=_service_of(req), limit=limit)
        resp.media = {"results": [message_json(m) for m in messages]}


# --- OpenAPI -------------------------------------------------------------------------------------

_TIMESTAMP = {"type": "string", "format": "date-time"}
_NULLABLE_TIMESTAMP = {"type": ["string", "null"], "format": "date-time"}
_EVENT_TYPE = {"type": "string", "enum": list(EVENT_TYPES)}

SUBSCRIPTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "webhook_id",
        "service",
        "callback_url",
        "description",
        "subscriptions",
        "status",
        "created_date",
        "updated_date",
    ],
    "properties": {
        "webhook_id": {"type": "string"},
        "service": {"type": "string", "description": "The service (API key owner) it serves."},
        "callback_url": {"type": "string"},
        "description": {"type": "string"},
        "subscriptions": {"type": "array", "items": _EVENT_TYPE},
        "status": {"type": "string", "enum": list(SUBSCRIPTION_STATUSES)},
        "created_date": _TIMESTAMP,
        "updated_date": _TIMESTAMP,
    },
}
WITH_SECRET_SCHEMA: dict[str, Any] = {
    **SUBSCRIPTION_SCHEMA,
    "required": [*SUBSCRIPTION_SCHEMA["required"], "signing_secret"],
    "properties": {
        **SUBSCRIPTION_SCHEMA["properties"],
        "signing_secret": {
            "type": "string",
            "description": (
                "The key of the HMAC-SHA256 in each delivery's Pay-Signature header. Shown only "
                "now: store it in the receiving system's secrets."
            ),
        },
    },
}
MESSAGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "webhook_message_id",
        "event_type",
        "resource_type",
        "resource_id",
        "status",
        "created_date",
        "next_attempt_date",
        "finished_date",
        "attempts",
    ],
    "properties": {
        "webhook_message_id": {"type": "string"},
        "event_type": _EVENT_TYPE,
        "resource_type": {"type": "string"},
        "resource_id": {"type": "string"},
        "status": {"type": "string", "enum": list(MESSAGE_STATUSES)},
        "created_date": _TIMESTAMP,
        "next_attempt_date": _NULLABLE_TIMESTAMP,
        "finished_date": _NULLABLE_TIMESTAMP,
        "attempts": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "attempt_number",
                    "attempted_date",
                    "result",
                    "status_code",
                    "duration_ms",
                    "error",
                ],
                "properties": {
                    "attempt_number": {"type": "integer", "minimum": 1},
                    "attempted_date": _TIMESTAMP,
                    "result": {"type": "string", "enum": list(ATTEMPT_RESULTS)},
                    "status_code": {"type": ["integer", "null"]},
                    "duration_ms": {"type": "integer", "minimum": 0},
                    "error": {"type": ["string", "null"]},
                },
            },
        },
    },
}

WEBHOOK_ID = Parameter(
    name="webhook_id",
    location="path",
    description="The webhook's id, as returned when it was created.",
    schema={"type": "string", "maxLength": EXTERNAL_ID_LEN},
)
LIMIT = Parameter(
    name="limit",
    location="query",
    description=(
        f"How many messages, newest first (default {DEFAULT_DELIVERY_LOG_LIMIT}, at most "
        f"{MAX_DELIVERY_LOG_LIMIT})."
    ),
    schema={"type": "integer", "minimum": 1, "maximum": MAX_DELIVERY_LOG_LIMIT},
)

CREATE = Operation(
    operation_id="createWebhook",
    summary="Subscribe a callback URL to payment events",
    description=(
        'Body: {"callback_url": "https://...", "subscriptions": ["card_payment_succeeded", ...], '
        f'"description": "..."}} (description optional, up to '
        f"{MAX_SUBSCRIPTION_DESCRIPTION_LEN} characters; callback_url up to "
        f"{MAX_CALLBACK_URL_LEN}, https unless a loopback address). Each event is POSTed as "
        "GOV.UK Pay's webhook payload with a Pay-Signature header: the lowercase hex "
        "HMAC-SHA256 of the raw body keyed with signing_secret, which this answer shows once. "
        "Failed deliveries are retried after 60 s, 5 min, 1 h, 1 day and 2 days, then marked "
        "failed."
    ),
    response_schema=WITH_SECRET_SCHEMA,
    success_status=HTTPStatus.CREATED,
    success_description="Created; keep signing_secret, it is not shown again.",
    errors=(InvalidSubscription,),
    tags=TAGS,
)
LIST = Operation(
    operation_id="listWebhooks",
    summary="This service's webhooks",
    response_schema={
        "type": "object",
        "required": ["results"],
        "properties": {"results": {"type": "array", "items": SUBSCRIPTION_SCHEMA}},
    },
    tags=TAGS,
)
GET = Operation(
    operation_id="getWebhook",
    summary="One webhook",
    parameters=(WEBHOOK_ID,),
    response_schema=SUBSCRIPTION_SCHEMA,
    errors=(SubscriptionNotFound,),
    tags=TAGS,
)
DISABLE = Operation(
    operation_id="disableWebhook",
    summary="Stop sending events to a webhook",
    description="Messages not yet delivered stay in the delivery log as pending.",
    parameters=(WEBHOOK_ID,),
    response_schema=SUBSCRIPTION_SCHEMA,
    errors=(SubscriptionNotFound,),
    tags=TAGS,
)
ROTATE = Operation(
    operation_id="rotateWebhookSecret",
    summary="Replace a webhook's signing secret",
    description=(
        "Every delivery attempt from now on, including retries of messages already queued, is "
        "signed with the new secret, which this answer shows once."
    ),
    parameters=(WEBHOOK_ID,),
    response_schema=WITH_SECRET_SCHEMA,
    errors=(SubscriptionNotFound,),
    tags=TAGS,
)
DELIVERIES = Operation(
    operation_id="listWebhookDeliveries",
    summary="A webhook's delivery log: its messages, newest first, with every attempt",
    parameters=(WEBHOOK_ID, LIMIT),
    response_schema={
        "type": "object",
        "required": ["results"],
        "properties": {"results": {"type": "array", "items": MESSAGE_SCHEMA}},
    },
    errors=(InvalidSubscription, SubscriptionNotFound),
    tags=TAGS,
)


def register_routes(registry: RouteRegistry, webhooks: WebhookSubscriptions) -> None:
    registry.add("/v1/webhooks", WebhooksResource(webhooks), {"POST": CREATE, "GET": LIST})
    registry.add("/v1/webhooks/{webhook_id}", WebhookResource(webhooks), {"GET": GET})
    registry.add(
        "/v1/webhooks/{webhook_id}/disable", DisableWebhookResource(webhooks), {"POST": DISABLE}
    )
    registry.add(
        "/v1/webhooks/{webhook_id}/rotate-secret",
        RotateSecretResource(webhooks),
        {"POST": ROTATE},
    )
    registry.add(
        "/v1/webhooks/{webhook_id}/deliveries",
        DeliveriesResource(webhooks),
        {"GET": DELIVERIES},
    )


def register(context: AppContext) -> None:
    """Add this subsystem's routes (each with its OpenAPI operation) to `context.routes`."""
    webhooks = WebhookSubscriptions(
        context.session_factory, clock=context.clock, development=context.settings.development
    )
    register_routes(context.routes, webhooks)
