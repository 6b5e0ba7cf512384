"""The checkout's use cases: what can be paid, checking a line, paying a basket, its outcome.

Reads of the council's configuration each open one short transaction here. Payments are made and
read through `PaymentService`, which opens its own transactions and calls the gateway between
them; nothing here holds a transaction across a call to the gateway.

Paying a basket is safe to repeat. The payment's Idempotency-Key is derived from the browser's
secret anti-forgery seed, the basket's attempt number and the request itself, so a double click
on "Pay now" (two posts carrying the same cookie) is answered with the same payment twice, while
"Try again" (a new attempt number) makes a new one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from channels.web_checkout.basket import MAX_BASKET_TOTAL_PENCE, Basket, BasketItem
from channels.web_checkout.emails import check_email
from channels.web_checkout.errors import (
    AmountRefused,
    EmailRefused,
    FundNotPayableOnline,
)
from channels.web_checkout.money import parse_payable
from receipting.council import service as council
from receipting.council.errors import FundNotFound
from receipting.council.service import CouncilPresentation, Fund
from receipting.payments.errors import GatewayDownstreamError, NotCancellable, PaymentNotFound
from receipting.payments.service import PaymentService
from receipting.payments.states import (
    CODE_CANCELLED_BY_PAYER,
    CODE_CANCELLED_BY_SERVICE,
    CODE_DECLINED,
    CODE_EXPIRED,
    CODE_GATEWAY_ERROR,
    PaymentStatus,
)

# The owner of the checkout's payments in the payments service: API keys of other services
# cannot see them, and this channel sees no one else's.
SERVICE_NAME = "web-checkout"

RETURN_PATH = "/pay/return"

# "WEB-" and 12 characters of the idempotency key's digest: the checkout reference a payment
# carries to the gateway and the back office. 48 bits tell apart far more payments than a
# council takes in the 24 hours an idempotency key lasts.
CHECKOUT_REFERENCE_PREFIX = "WEB-"
CHECKOUT_REFERENCE_CHARS = 12

IDEMPOTENCY_KEY_PREFIX = "web-checkout-"

# A replayed attempt that had already failed is followed by one fresh attempt; a loop could
# only go on if payments kept failing at the moment they were created.
MAX_FRESH_ATTEMPTS = 2

log = logging.getLogger(__name__)

ResidentHook = Callable[[str, str], None]


class Outcome(StrEnum):
    """What the resident is told about a payment."""

    SUCCESS = "success"
    IN_PROGRESS = "in_progress"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    ERROR = "error"

    @property
    def failed(self) -> bool:
        return self not in (Outcome.SUCCESS, Outcome.IN_PROGRESS)


_FAILURES_BY_CODE = {
    CODE_DECLINED: Outcome.DECLINED,
    CODE_EXPIRED: Outcome.EXPIRED,
    CODE_CANCELLED_BY_PAYER: Outcome.CANCELLED,
    CODE_CANCELLED_BY_SERVICE: Outcome.CANCELLED,
    CODE_GATEWAY_ERROR: Outcome.ERROR,
}


@dataclass(frozen=True, slots=True)
class PayableFund:
    """A fund as the pages show it, in both languages."""

    code: str
    name: str
    name_cy: str | None
    guidance: str | None
    guidance_cy: str | None
    reference_description: str | None
    reference_description_cy: str | None
    reference_hint: str | None
    reference_hint_cy: str | None
    # The most one payment to this fund may be: the fund's own limit, within a card payment's.
    max_amount_pence: int

    def name_in(self, language: str) -> str:
        return (self.name_cy if language == "cy" else None) or self.name

    def guidance_in(self, language: str) -> str | None:
        return (self.guidance_cy if language == "cy" else None) or self.guidance

    def description_in(self, language: str) -> str | None:
        welsh = self.reference_description_cy if language == "cy" else None
        return welsh or self.reference_description

    def hint_in(self, language: str) -> str | None:
        return (self.reference_hint_cy if language == "cy" else None) or self.reference_hint


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One thing wrong with a field: the field's id, the kind of problem (for the page's message
    in the resident's language), the English message, and the number a message may name."""

    field: str
    kind: str
    message: str
    limit_pence: int = 0


@dataclass(frozen=True, slots=True)
class CheckedReference:
    reference: str  # normalised: what is stored and paid
    problem: FieldProblem | None  # None when the fund's rule accepts it


@dataclass(frozen=True, slots=True)
class CheckedLine:
    fund_code: str
    reference: str  # normalised, when the reference is valid
    amount_pence: int
    email: str | None
    problems: tuple[FieldProblem, ...]

    @property
    def valid(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class PaidLine:
    fund_code: str
    reference: str
    amount_pence: int


@dataclass(frozen=True, slots=True)
class PaymentView:
    """What the return, confirmation and receipt pages show of a payment."""

    payment_id: str
    outcome: Outcome
    amount_pence: int
    reference: str
    lines: tuple[PaidLine, ...]
    email: str | None
    receipt_number: str | None
    next_url: str | None
    created_date: str
    captured_date: str | None
    card_brand: str | None
    card_last_digits: str | None


@dataclass(frozen=True, slots=True)
class Started:
    """Where the browser goes after "Pay now", and the basket to keep in its cookie."""

    basket: Basket
    payment: PaymentView


class CheckoutService:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        payments: PaymentService,
        public_url: str,
        secret_key: bytes,
        *,
        on_payment_created: ResidentHook | None = None,
    ) -> None:
        self._sessions = session_factory
        self._payments = payments
        self._return_url = public_url.rstrip("/") + RETURN_PATH
        self._key_secret = secret_key
        self._on_payment_created = on_payment_created

    # --- the council and its funds --------------------------------------------------------------

    def council(self) -> CouncilPresentation:
        with self._sessions.begin() as session:
            return council.council_presentation(session)

    def payable_funds(self) -> list[PayableFund]:
        """The funds a resident may pay online, in the configuration's order (by code)."""
        with self._sessions.begin() as session:
            funds = council.list_funds(session)
        return [_payable(fund) for fund in funds if _is_payable_online(fund)]

    def payable_fund(self, fund_code: str) -> PayableFund:
        """The fund if it may be paid online, else FundNotPayableOnline."""
        with self._sessions.begin() as session:
            try:
                fund = council.get_fund(session, fund_code)
            except FundNotFound:
                raise FundNotPayableOnline(fund_code) from None
        if not _is_payable_online(fund):
            raise FundNotPayableOnline(fund_code)
        return _payable(fund)

    def fund_names(self) -> dict[str, PayableFund]:
        """Every fund by code, payable online or not: a basket or receipt may name a fund that
        has been retired since it was paid."""
        with self._sessions.begin() as session:
            return {fund.code: _payable(fund) for fund in council.list_funds(session)}

    # --- checking what was typed ----------------------------------------------------------------

    def check_reference(self, fund_code: str, reference_text: str) -> CheckedReference:
        """The reference by the fund's rule and on-stop list; its problem, if any, has the kind
        (a `ReferenceProblem` value) for the page's message and the engine's English text."""
        with self._sessions.begin() as session:
            result = council.check_reference(session, fund_code, reference_text)
        if result.valid:
            return CheckedReference(result.normalised, None)
        kind = getattr(result, "problem", None) or "invalid"
        message = result.message or "Check the reference on your bill and enter it again."
        return CheckedReference(result.normalised, FieldProblem("reference", str(kind), message))

    def check_line(
        self, fund: PayableFund, reference_text: str, amount_text: str, email_text: str
    ) -> CheckedLine:
        """Every problem with the three fields at once, each with its kind and English text."""
        problems: list[FieldProblem] = []
        checked = self.check_reference(fund.code, reference_text)
        if checked.problem is not None:
            problems.append(checked.problem)
        amount_pence = 0
        try:
            amount_pence = parse_payable(amount_text, fund.max_amount_pence)
        except AmountRefused as exc:
            problems.append(
                FieldProblem("amount", exc.problem.value, exc.message, exc.maximum_pence)
            )
        email = None
        try:
            email = check_email(email_text)
        except EmailRefused as exc:
            problems.append(FieldProblem("email", exc.problem.value, exc.message))
        return CheckedLine(fund.code, checked.reference, amount_pence, email, tuple(problems))

    # --- paying ---------------------------------------------------------------------------------

    def pay(
        self, basket: Basket, *, language: str, description: str, resident_id: str | None
    ) -> Started:
        """The payment for exactly this basket: the one already made for it while it can still
        be paid or has succeeded, else a new one. Never two for one click."""
        if basket.payment_id is not None:
            current = self._current(basket)
            if current is not None:
                return Started(basket, current)
            basket = basket.next_attempt()
        for _ in range(MAX_FRESH_ATTEMPTS):
            view, created = self._create(basket, language, description)
            basket = basket.payment_started(view.payment_id)
            if created and resident_id is not None and self._on_payment_created is not None:
                self._on_payment_created(resident_id, view.payment_id)
            if not view.outcome.failed:
                return Started(basket, view)
            # The same key gave back an attempt that has failed since: make the next one.
            basket = basket.next_attempt()
        return Started(basket, view)

    def _current(self, basket: Basket) -> PaymentView | None:
        """The basket's payment if it is still the one to use: made for these contents and
        either succeeded or still payable on the gateway's page. A payment made for other
        contents is cancelled, so an old card page left open cannot take money for them."""
        assert basket.payment_id is not None
        view = self.view(basket.payment_id)
        if view is None:
            return None
        if basket.holds_payment_for_contents():
            if view.outcome is Outcome.SUCCESS:
                return view
            if view.outcome is Outcome.IN_PROGRESS and view.next_url is not None:
                return view
        if view.outcome is Outcome.IN_PROGRESS:
            self._cancel_quietly(view.payment_id)
        return None

    def _create(self, basket: Basket, language: str, description: str) -> tuple[PaymentView, bool]:
        body = self.payment_body(basket, language, description)
        key = self.idempotency_key(basket, body)
        body["reference"] = checkout_reference(key)
        payment, created = self._payments.create(SERVICE_NAME, body, key)
        return _view(payment), created

    def payment_body(self, basket: Basket, language: str, description: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "amount": basket.total_pence,
            "reference": "",  # set from the idempotency key
            "description": description,
            "return_url": self._return_url,
            "language": language,
            "allocations": [_allocation(item) for item in basket.items],
        }
        if basket.email is not None:
            body["email"] = basket.email
        return body

    def idempotency_key(self, basket: Basket, body: dict[str, Any]) -> str:
        """The same for the same browser, attempt and request; unguessable without the seed."""
        canonical = json.dumps(
            {"attempt": basket.attempt, "body": body}, sort_keys=True, separators=(",", ":")
        )
        digest = hmac.new(
            self._key_secret + basket.csrf_seed.encode("utf-8"),
            canonical.encode("utf-8"),
            hashlib.sha256,
        ).hexdigest()
        return IDEMPOTENCY_KEY_PREFIX + digest

    def _cancel_quietly(self, payment_id: str) -> None:
        try:
            self._payments.cancel(SERVICE_NAME, payment_id)
        except NotCancellable:
            # It finished meanwhile; its outcome is what it is.
            log.info("payment %s finished before it could be cancelled", payment_id)
        except GatewayDownstreamError:
            # The worker expires it within 90 minutes if the gateway never hears from the payer.
            log.warning("payment %s could not be cancelled: gateway unreachable", payment_id)

    # --- outcomes -------------------------------------------------------------------------------

    def view(self, payment_id: str) -> PaymentView | None:
        """The payment brought up to date with the gateway, or None if there is no such
        payment of this channel's (an old cookie after the database was reset, say)."""
        try:
            payment = self._payments.get(SERVICE_NAME, payment_id)
        except PaymentNotFound:
            return None
        return _view(payment)


def checkout_reference(idempotency_key: str) -> str:
    digest = hashlib.sha256(idempotency_key.encode("ascii")).hexdigest().upper()
    return CHECKOUT_REFERENCE_PREFIX + digest[:CHECKOUT_REFERENCE_CHARS]


def outcome_of(state: dict[str, Any]) -> Outcome:
    status = PaymentStatus(state["status"])
    if status is PaymentStatus.SUCCESS:
        return Outcome.SUCCESS
    if not status.finished:
        return Outcome.IN_PROGRESS
    if status is PaymentStatus.ERROR:
        return Outcome.ERROR
    return _FAILURES_BY_CODE.get(str(state.get("code")), Outcome.ERROR)


def _view(payment: dict[str, Any]) -> PaymentView:
    links = payment.get("_links", {})
    next_url = links.get("next_url", {}).get("href")
    card = payment.get("card_details") or {}
    settlement = payment.get("settlement_summary") or {}
    return PaymentView(
        payment_id=payment["payment_id"],
        outcome=outcome_of(payment["state"]),
        amount_pence=payment["amount"],
        reference=payment["reference"],
        lines=tuple(
            PaidLine(line["fund_code"], line["account_reference"], line["amount"])
            for line in payment.get("allocations", [])
        ),
        email=payment.get("email"),
        receipt_number=payment.get("receipt_number"),
        next_url=next_url,
        created_date=payment["created_date"],
        captured_date=settlement.get("captured_date"),
        card_brand=card.get("card_brand"),
        card_last_digits=card.get("last_digits_card_number"),
    )


def _allocation(item: BasketItem) -> dict[str, Any]:
    return {
        "fund_code": item.fund_code,
        "account_reference": item.reference,
        "amount": item.amount_pence,
    }


def _is_payable_online(fund: Fund) -> bool:
    return fund.payable_online and not fund.retired


def _payable(fund: Fund) -> PayableFund:
    return PayableFund(
        code=fund.code,
        name=fund.name,
        name_cy=getattr(fund, "name_cy", None),
        guidance=getattr(fund, "guidance", None) or fund.reference_hint,
        guidance_cy=getattr(fund, "guidance_cy", None),
        reference_description=fund.reference_description,
        reference_description_cy=getattr(fund, "reference_description_cy", None),
        reference_hint=fund.reference_hint,
        reference_hint_cy=getattr(fund, "reference_hint_cy", None),
        max_amount_pence=min(fund.max_amount_pence, MAX_BASKET_TOTAL_PENCE),
    )


def lines_total_pence(lines: Sequence[PaidLine]) -> int:
    return sum(line.amount_pence for line in lines)
