"""Authentication of API calls (filled in by the API keys work)."""

from __future__ import annotations

from typing import Any

from receipting.services import Services


def auth_middleware(services: Services) -> list[Any]:
    """Falcon middleware components that authenticate and authorise every request."""
    return []
