"""Which gateways this engine talks to, built from settings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from receipting.gateways.base import Gateway
from receipting.gateways.sandbox import SANDBOX_GATEWAY_NAME
from receipting.gateways.sandbox.gateway import SandboxGateway
from receipting.settings import Settings


def build_gateways(
    settings: Settings,
    session_factory: sessionmaker[Session],
    clock: Callable[[], datetime],
) -> dict[str, Gateway]:
    """Gateways by name. The sandbox gateway is on only where settings turn it on."""
    gateways: dict[str, Gateway] = {}
    if settings.sandbox_gateway:
        gateways[SANDBOX_GATEWAY_NAME] = SandboxGateway(
            session_factory, clock=clock, public_url=settings.public_url
        )
    return gateways
