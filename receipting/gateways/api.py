"""HTTP routes of this subsystem: the sandbox gateway's hosted card pages, when it is on."""

from __future__ import annotations

from receipting.channels import AppContext
from receipting.gateways.sandbox import SANDBOX_GATEWAY_NAME
from receipting.gateways.sandbox import pages as sandbox_pages
from receipting.gateways.sandbox.gateway import SandboxGateway


def register(context: AppContext) -> None:
    """Add this subsystem's routes (each with its OpenAPI operation) to `context.routes`."""
    if not context.settings.sandbox_gateway:
        return
    # The pages must share the engine's sandbox gateway; a test that replaced the gateways still
    # gets working pages over the same tables.
    gateway = context.gateways.get(SANDBOX_GATEWAY_NAME)
    if not isinstance(gateway, SandboxGateway):
        gateway = SandboxGateway(
            context.session_factory, clock=context.clock, public_url=context.settings.public_url
        )
    sandbox_pages.register(context.routes, gateway)
