"""What can go wrong talking to a gateway."""

from __future__ import annotations

from receipting.errors import ReceiptingError


class GatewayUnavailable(ReceiptingError):
    """The gateway did not answer or answered with an error; the call may be retried."""

    code = "GATEWAY_UNAVAILABLE"


class GatewayRefused(ReceiptingError):
    """The gateway understood the request and refused it (capturing an uncapturable payment)."""

    code = "GATEWAY_REFUSED"
