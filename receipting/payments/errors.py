"""What can go wrong with payments and refunds, with GOV.UK Pay's P-codes.

A code is `P` + two digits for the operation + two for the case. The HTTP status of each class
is decided only by the API's error table (receipting/api/errors.py).
"""

from __future__ import annotations

from receipting.errors import ReceiptingError


class PaymentError(ReceiptingError):
    code = "P0000"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message, field=field)
        if code is not None:
            self.code = code


class MissingField(PaymentError):
    """A required field was not sent (P0101 on create; P0601 on refund)."""

    code = "P0101"


class InvalidField(PaymentError):
    """A field's value is wrong (P0102 on create; P0602 on refund; P0402 on search)."""

    code = "P0102"


class MalformedJson(PaymentError):
    code = "P0197"


class IdempotencyKeyReused(PaymentError):
    code = "P0191"


class PaymentNotFound(PaymentError):
    """No payment with that id for this key's service (P0200; P0300 events, P0500 cancel, ...)."""

    code = "P0200"


class RefundNotFound(PaymentError):
    code = "P0700"


class NotCancellable(PaymentError):
    code = "P0502"


class NotCapturable(PaymentError):
    code = "P1003"


class NotRefundable(PaymentError):
    code = "P0603"


class RefundAmountAvailableMismatch(PaymentError):
    code = "P0604"


class GatewayDownstreamError(PaymentError):
    """The card gateway could not be reached or failed (P0198 create, P0298 get, ...)."""

    code = "P0198"


class PaymentInvariantBroken(Exception):
    """The engine's own checks let through what must not happen: a bug, never input."""
