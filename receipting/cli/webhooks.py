"""Command line: `receipting webhooks ...`: create, list and disable webhooks, rotate a signing
secret, and read a webhook's delivery log.

The operator on the server sees every service's webhooks; `--service` narrows `list` to one.
A signing secret is printed when it is made (create, rotate-secret) and never again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import click

from ledger.db import make_session_factory
from ledger.service import utc_now
from receipting.cli.context import load_settings, migrated_engine
from receipting.webhooks.subscriptions import (
    DEFAULT_DELIVERY_LOG_LIMIT,
    MAX_DELIVERY_LOG_LIMIT,
    Message,
    Subscription,
    SubscriptionWithSecret,
    WebhookSubscriptions,
)
from receipting.webhooks.tables import EVENT_TYPES

SECRET_SHOWN_ONCE = (
    "This is the only time the signing secret is shown. Give it to the receiving system: it "
    "checks each delivery's Pay-Signature header (hex HMAC-SHA256 of the body) with it."
)


@contextmanager
def _webhooks() -> Iterator[WebhookSubscriptions]:
    settings = load_settings()
    with migrated_engine(settings) as engine:
        yield WebhookSubscriptions(
            make_session_factory(engine), clock=utc_now, development=settings.development
        )


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else f"{moment:%Y-%m-%d %H:%M:%S}Z"


def _subscription_line(subscription: Subscription) -> str:
    return (
        f"{subscription.webhook_id}  {subscription.status:<8}  {subscription.service:<16}  "
        f"{subscription.callback_url}  [{','.join(subscription.event_types)}]"
        + (f"  {subscription.description}" if subscription.description else "")
    )


def _show_with_secret(made: SubscriptionWithSecret) -> None:
    click.echo(f"webhook_id: {made.subscription.webhook_id}")
    click.echo(f"signing_secret: {made.secret}")
    click.echo(SECRET_SHOWN_ONCE, err=True)


@click.group("webhooks")
def webhooks() -> None:
    """Webhook subscriptions and their deliveries."""


@webhooks.command("create")
@click.option("--service", required=True, help="The service whose events are sent, e.g. parking.")
@click.option("--url", "callback_url", required=True, help="The https:// address to POST to.")
@click.option(
    "--event",
    "events",
    required=True,
    multiple=True,
    type=click.Choice(EVENT_TYPES),
    help="An event to send; repeat for several.",
)
@click.option("--description", default="", help="What receives them, e.g. 'Revenues CRM'.")
def create(service: str, callback_url: str, events: tuple[str, ...], description: str) -> None:
    """Create a webhook and print its id and signing secret, once."""
    with _webhooks() as webhooks_service:
        made = webhooks_service.create(
            service=service, callback_url=callback_url, event_types=events, description=description
        )
    _show_with_secret(made)


@webhooks.command("list")
@click.option("--service", default=None, help="Only this service's webhooks.")
def list_command(service: str | None) -> None:
    """List webhooks: id, status, service, URL, events and description."""
    with _webhooks() as webhooks_service:
        found = webhooks_service.list_subscriptions(service=service)
    if not found:
        click.echo("No webhooks." + ("" if service is None else f" (service {service})"))
    for subscription in found:
        click.echo(_subscription_line(subscription))


@webhooks.command("disable")
@click.argument("webhook_id")
def disable(webhook_id: str) -> None:
    """Stop sending to a webhook; undelivered messages stay in its log as pending."""
    with _webhooks() as webhooks_service:
        subscription = webhooks_service.disable(webhook_id, service=None)
    click.echo(f"Webhook {subscription.webhook_id} is {subscription.status}.")


@webhooks.command("rotate-secret")
@click.argument("webhook_id")
def rotate_secret(webhook_id: str) -> None:
    """Give a webhook a new signing secret and print it, once."""
    with _webhooks() as webhooks_service:
        made = webhooks_service.rotate_secret(webhook_id, service=None)
    _show_with_secret(made)


def _message_lines(message: Message) -> list[str]:
    lines = [
        f"{message.webhook_message_id}  {message.status:<9}  {message.event_type:<24}  "
        f"{message.resource_type} {message.resource_id}  created {_when(message.created_at)}"
        + (f"  next attempt {_when(message.next_attempt_at)}" if message.next_attempt_at else "")
    ]
    for attempt in message.attempts:
        code = "" if attempt.status_code is None else f" {attempt.status_code}"
        lines.append(
            f"    #{attempt.attempt_number}  {_when(attempt.attempted_at)}  "
            f"{attempt.result}{code}  {attempt.duration_ms} ms"
            + (f"  {attempt.error}" if attempt.error else "")
        )
    return lines


@webhooks.command("deliveries")
@click.argument("webhook_id")
@click.option(
    "--limit",
    default=DEFAULT_DELIVERY_LOG_LIMIT,
    show_default=True,
    type=click.IntRange(1, MAX_DELIVERY_LOG_LIMIT),
    help="How many messages, newest first.",
)
def deliveries(webhook_id: str, limit: int) -> None:
    """A webhook's delivery log: each message, newest first, with every attempt."""
    with _webhooks() as webhooks_service:
        messages = webhooks_service.deliveries(webhook_id, service=None, limit=limit)
    if not messages:
        click.echo("No messages yet.")
    for message in messages:
        for line in _message_lines(message):
            click.echo(line)
