"""Command line: `receipting webhooks ...`."""

from __future__ import annotations

import click


@click.group("webhooks")
def webhooks() -> None:
    """Webhook subscriptions and their deliveries."""
