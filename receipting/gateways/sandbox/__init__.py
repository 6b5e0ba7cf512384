"""The sandbox card gateway shipped with the engine, for development, demos and tests.

It plays an external gateway's part: its own tables (prefixed `sandbox_gateway_`), its own hosted
card page under `/sandbox-gateway/`, GOV.UK Pay's test card numbers and outcomes, a simulated 3-D
Secure challenge, MOTO mode and simulated settlement with a fee. It is on only where
RECEIPTING_SANDBOX_GATEWAY turns it on; it never takes real money.
"""

from __future__ import annotations

SANDBOX_GATEWAY_NAME = "sandbox"

# Where the hosted card pages live: outside /v1/, because they are the gateway's pages, not the
# engine's API, and are reached by the payer's browser rather than by an API client.
SANDBOX_PATH_PREFIX = "/sandbox-gateway"
