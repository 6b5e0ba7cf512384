"""The payment state machine as a transition table. Pure: no I/O.

    created → started → submitted → capturable → success
          ↘         ↘          ↘            ↘
                 failed | cancelled | error   (from any unfinished state)

`submitted → success` is the usual path for a payment captured at once; `capturable` is where a
delayed-capture payment waits for the service to capture it. A payment that is finished never
moves again. Anything else is a bug in the engine, raised as `IllegalTransition`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class PaymentStatus(StrEnum):
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
        return self in FINISHED


FINISHED = frozenset(
    {PaymentStatus.SUCCESS, PaymentStatus.FAILED, PaymentStatus.CANCELLED, PaymentStatus.ERROR}
)

# The unfinished states in the order a payment passes through them.
FORWARD = (
    PaymentStatus.CREATED,
    PaymentStatus.STARTED,
    PaymentStatus.SUBMITTED,
    PaymentStatus.CAPTURABLE,
)

_ENDINGS = frozenset({PaymentStatus.FAILED, PaymentStatus.CANCELLED, PaymentStatus.ERROR})

TRANSITIONS: Mapping[PaymentStatus, frozenset[PaymentStatus]] = {
    PaymentStatus.CREATED: frozenset({PaymentStatus.STARTED}) | _ENDINGS,
    PaymentStatus.STARTED: frozenset({PaymentStatus.SUBMITTED}) | _ENDINGS,
    PaymentStatus.SUBMITTED: frozenset({PaymentStatus.CAPTURABLE, PaymentStatus.SUCCESS})
    | _ENDINGS,
    PaymentStatus.CAPTURABLE: frozenset({PaymentStatus.SUCCESS}) | _ENDINGS,
    PaymentStatus.SUCCESS: frozenset(),
    PaymentStatus.FAILED: frozenset(),
    PaymentStatus.CANCELLED: frozenset(),
    PaymentStatus.ERROR: frozenset(),
}

# The codes and messages GOV.UK Pay gives finished payments.
CODE_DECLINED = "P0010"
CODE_EXPIRED = "P0020"
CODE_CANCELLED_BY_PAYER = "P0030"
CODE_CANCELLED_BY_SERVICE = "P0040"
CODE_GATEWAY_ERROR = "P0050"

STATE_MESSAGES: Mapping[str, str] = {
    CODE_DECLINED: "Payment method rejected",
    CODE_EXPIRED: "Payment expired",
    CODE_CANCELLED_BY_PAYER: "Payment was cancelled by the user",
    CODE_CANCELLED_BY_SERVICE: "Payment was cancelled by the service",
    CODE_GATEWAY_ERROR: "Payment provider returned an error",
}


class IllegalTransition(Exception):
    """The engine tried to move a payment along a path the table forbids: a bug, never input."""


@dataclass(frozen=True, slots=True)
class State:
    status: PaymentStatus
    code: str | None = None
    message: str | None = None

    @property
    def finished(self) -> bool:
        return self.status.finished


def can_move(from_status: PaymentStatus, to_status: PaymentStatus) -> bool:
    return to_status in TRANSITIONS[from_status]


def check_move(from_status: PaymentStatus, to_status: PaymentStatus) -> None:
    if not can_move(from_status, to_status):
        raise IllegalTransition(
            f"A payment cannot move from {from_status.value} to {to_status.value}; allowed: "
            f"{sorted(s.value for s in TRANSITIONS[from_status]) or 'none (it is finished)'}."
        )


def path_to(from_status: PaymentStatus, to_status: PaymentStatus) -> list[PaymentStatus]:
    """The states to pass through, in order, to reach `to_status` (a gateway may report a state
    several steps ahead of ours). Empty when already there; IllegalTransition when unreachable."""
    if from_status == to_status:
        return []
    path: list[PaymentStatus] = []
    current = from_status
    while not can_move(current, to_status):
        if current not in FORWARD or current == FORWARD[-1]:
            check_move(from_status, to_status)  # raises, naming the original request
        current = FORWARD[FORWARD.index(current) + 1]
        path.append(current)
    path.append(to_status)
    return path
