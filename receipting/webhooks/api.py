"""HTTP routes of this subsystem."""

from __future__ import annotations

from receipting.channels import AppContext


def register(context: AppContext) -> None:
    """Add this subsystem's routes (each with its OpenAPI operation) to `context.routes`."""
