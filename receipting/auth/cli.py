"""Command line: `receipting api-keys ...`."""

from __future__ import annotations

import click


@click.group("api-keys")
def api_keys() -> None:
    """API keys for systems that call the API."""
