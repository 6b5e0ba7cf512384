"""The `Gateway` protocol: what the engine asks of any card gateway, and what it gets back.

The engine keeps only what a gateway returns about a card (brand, first six and last four digits,
expiry, cardholder name) plus the gateway's own references and auth code.

Calls to a gateway are calls to another system: they are made outside the engine's database
transactions, and every one of them may be repeated safely (the engine retries after crashes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Protocol, runtime_checkable


class GatewayState(StrEnum):
    """A payment's state at the gateway, named as GOV.UK Pay names a payment's states."""

    CREATED = "created"
    STARTED = "started"
    SUBMITTED = "submitted"
    CAPTURABLE = "capturable"
    SUCCESS = "success"
    FAILED = "failed"
    CANCELLED = "cancelled"
    ERROR = "error"

    @property
    def finished(self) -> bool:
        return self in FINISHED_STATES


FINISHED_STATES = frozenset(
    {GatewayState.SUCCESS, GatewayState.FAILED, GatewayState.CANCELLED, GatewayState.ERROR}
)


@dataclass(frozen=True, slots=True)
class CardDetails:
    brand: str  # "visa", "master-card", "american-express", ...
    first_digits: str  # first six digits of the card number
    last_digits: str  # last four digits
    expiry_date: str  # "MM/YY"
    cardholder_name: str
    card_type: str | None = None  # "debit", "credit" or None when unknown


@dataclass(frozen=True, slots=True)
class GatewayPaymentRequest:
    payment_id: str  # the engine's payment id, for the gateway's records
    amount_pence: int
    reference: str
    description: str
    return_url: str  # where the gateway sends the payer when they are done
    language: str = "en"  # "en" or "cy"
    delayed_capture: bool = False
    moto: bool = False  # an agent keys the card for a caller: no 3-D Secure, masked fields
    email: str | None = None
    cardholder_name: str | None = None


@dataclass(frozen=True, slots=True)
class GatewayPayment:
    gateway_ref: str  # the gateway's transaction id
    next_url: str  # the hosted card page where the payer goes next


@dataclass(frozen=True, slots=True)
class GatewayStatus:
    state: GatewayState
    code: str | None = None  # a GOV.UK Pay P-code when failed/cancelled/error (P0010, ...)
    message: str | None = None
    card: CardDetails | None = None
    auth_code: str | None = None
    three_d_secure_required: bool | None = None


class RefundState(StrEnum):
    SUBMITTED = "submitted"
    SUCCESS = "success"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class GatewayRefund:
    gateway_refund_ref: str
    state: RefundState


@dataclass(frozen=True, slots=True)
class Settlement:
    """One captured payment (or refund, amount negative) paid out by the gateway."""

    gateway_ref: str
    gross_pence: int
    fee_pence: int
    settled_on: date
    payout_ref: str


@runtime_checkable
class Gateway(Protocol):
    name: str  # short and stable: it is stored with each payment ("sandbox", "stripe", ...)

    def create(self, request: GatewayPaymentRequest) -> GatewayPayment: ...

    def status(self, gateway_ref: str) -> GatewayStatus: ...

    def capture(self, gateway_ref: str) -> GatewayStatus: ...

    def cancel(self, gateway_ref: str) -> GatewayStatus: ...

    def refund(
        self, gateway_ref: str, amount_pence: int, idempotency_key: str
    ) -> GatewayRefund: ...

    def refund_status(self, gateway_refund_ref: str) -> GatewayRefund: ...

    def settlements(self, settled_on: date) -> list[Settlement]: ...
