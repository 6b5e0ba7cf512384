"""The sandbox gateway: the `Gateway` protocol for the engine, and the payer's side of the hosted
card page (opening it, submitting a card, answering 3-D Secure, cancelling).

Every method is one use case in one database transaction of the sandbox's own tables. The
transaction row is locked while it changes, so a double-submitted form or two racing refunds are
decided one after the other: a card is charged once, and no more is refunded than was captured.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from receipting.errors import InvalidRequest, NotFound
from receipting.gateways.base import (
    CardDetails,
    GatewayPayment,
    GatewayPaymentRequest,
    GatewayRefund,
    GatewayState,
    GatewayStatus,
    RefundState,
    Settlement,
)
from receipting.gateways.errors import GatewayRefused
from receipting.gateways.sandbox import SANDBOX_GATEWAY_NAME, SANDBOX_PATH_PREFIX, cards
from receipting.gateways.sandbox.settlement import fee_pence_for, payout_ref_for
from receipting.gateways.tables import (
    CARDHOLDER_NAME_LEN,
    EMAIL_LEN,
    IDEMPOTENCY_KEY_LEN,
    PAYMENT_ID_LEN,
    REFERENCE_LEN,
    RETURN_URL_LEN,
    SandboxRefundRow,
    SandboxTransactionRow,
)

# 32 random bytes: references and anti-forgery tokens that cannot be guessed or enumerated.
TOKEN_BYTES = 32

# Six digits, as card schemes' authorisation codes are.
AUTH_CODE_DIGITS = 6

LANGUAGES = ("en", "cy")

# GOV.UK Pay's codes and messages for unsuccessful payments.
DECLINED = ("P0010", "Payment method rejected")
CANCELLED_BY_PAYER = ("P0030", "Payment was cancelled by the user")
CANCELLED_BY_SERVICE = ("P0040", "Payment was cancelled by the service")
GATEWAY_ERROR = ("P0050", "Payment provider returned an error")

S = GatewayState

# Which state may follow which. Anything else is refused, so no path skips a step or leaves a
# finished payment.
TRANSITIONS: Mapping[GatewayState, frozenset[GatewayState]] = {
    S.CREATED: frozenset({S.STARTED, S.CANCELLED}),
    S.STARTED: frozenset({S.SUBMITTED, S.CAPTURABLE, S.SUCCESS, S.FAILED, S.CANCELLED, S.ERROR}),
    S.SUBMITTED: frozenset({S.CAPTURABLE, S.SUCCESS, S.FAILED, S.CANCELLED, S.ERROR}),
    S.CAPTURABLE: frozenset({S.SUCCESS, S.CANCELLED}),
    S.SUCCESS: frozenset(),
    S.FAILED: frozenset(),
    S.CANCELLED: frozenset(),
    S.ERROR: frozenset(),
}

# Refunds count against what can still be refunded from the moment they are asked for.
COUNTED_REFUND_STATES = (RefundState.SUBMITTED.value, RefundState.SUCCESS.value)


class SandboxTransactionNotFound(GatewayRefused):
    code = "SANDBOX_TRANSACTION_NOT_FOUND"


class SandboxRefundNotFound(GatewayRefused):
    code = "SANDBOX_REFUND_NOT_FOUND"


class SandboxPageNotFound(NotFound):
    """The payer's browser asked for a card page that does not exist."""

    code = "SANDBOX_PAGE_NOT_FOUND"


class SandboxFormRefused(InvalidRequest):
    """A card page form arrived without its anti-forgery token, or with another page's."""

    code = "SANDBOX_FORM_REFUSED"


@dataclass(frozen=True, slots=True)
class PageView:
    """What the hosted page shows about a transaction."""

    gateway_ref: str
    amount_pence: int
    reference: str
    description: str
    language: str
    moto: bool
    state: GatewayState
    form_token: str
    return_url: str
    prefilled_cardholder_name: str | None
    card_brand: str | None
    card_last_digits: str | None


@dataclass(frozen=True, slots=True)
class CardForm:
    """The card form as typed. Held in memory only for the request that carries it."""

    card_number: str = field(repr=False)
    expiry_month: str
    expiry_year: str
    cvc: str = field(repr=False)
    cardholder_name: str


@dataclass(frozen=True, slots=True)
class CardSubmission:
    """Either the form's problems, by field (show the form again), or where the payer goes next."""

    errors: Mapping[str, str]
    redirect_to: str | None
    view: PageView


class SandboxGateway:
    """The sandbox card gateway, keeping its state in its own `sandbox_gateway_` tables."""

    name = SANDBOX_GATEWAY_NAME

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        public_url: str,
    ) -> None:
        self._sessions = session_factory
        self._clock = clock
        self._public_url = public_url.rstrip("/")

    # --- the Gateway protocol ----------------------------------------------------------------

    def create(self, request: GatewayPaymentRequest) -> GatewayPayment:
        _check_request(request)
        now = self._clock()
        row = SandboxTransactionRow(
            gateway_ref=secrets.token_urlsafe(TOKEN_BYTES),
            payment_id=request.payment_id,
            amount_pence=request.amount_pence,
            reference=request.reference,
            description=request.description,
            return_url=request.return_url,
            language=request.language,
            delayed_capture=request.delayed_capture,
            moto=request.moto,
            email=request.email,
            prefilled_cardholder_name=request.cardholder_name,
            form_token=secrets.token_urlsafe(TOKEN_BYTES),
            state=S.CREATED.value,
            created_at=now,
            updated_at=now,
        )
        with self._transaction() as session:
            session.add(row)
        return GatewayPayment(gateway_ref=row.gateway_ref, next_url=self.page_url(row.gateway_ref))

    def status(self, gateway_ref: str) -> GatewayStatus:
        with self._transaction() as session:
            return _status_of(self._find(session, gateway_ref))

    def capture(self, gateway_ref: str) -> GatewayStatus:
        with self._transaction() as session:
            row = self._find(session, gateway_ref, lock=True)
            if row.state == S.SUCCESS and row.delayed_capture:
                return _status_of(row)  # captured already: asking again changes nothing
            if row.state != S.CAPTURABLE:
                raise GatewayRefused(
                    f"Sandbox transaction {gateway_ref} cannot be captured: it is {row.state}, "
                    "and only a delayed-capture payment waiting in capturable can be. Check the "
                    "payment's state first."
                )
            self._move(row, S.SUCCESS)
            row.captured_at = row.updated_at
            return _status_of(row)

    def cancel(self, gateway_ref: str) -> GatewayStatus:
        with self._transaction() as session:
            row = self._find(session, gateway_ref, lock=True)
            if row.state == S.CANCELLED:
                return _status_of(row)  # cancelled already: asking again changes nothing
            if GatewayState(row.state).finished:
                raise GatewayRefused(
                    f"Sandbox transaction {gateway_ref} cannot be cancelled: it has already "
                    f"finished as {row.state}. Only unfinished payments can be cancelled; refund "
                    "a successful one instead."
                )
            self._finish(row, S.CANCELLED, CANCELLED_BY_SERVICE)
            return _status_of(row)

    def refund(self, gateway_ref: str, amount_pence: int, idempotency_key: str) -> GatewayRefund:
        if amount_pence < 1:
            raise GatewayRefused(
                f"A refund of {amount_pence}p cannot be made: refunds are at least 1p.",
                field="amount",
            )
        if not 1 <= len(idempotency_key) <= IDEMPOTENCY_KEY_LEN:
            raise GatewayRefused(
                f"The refund's idempotency key must be 1 to {IDEMPOTENCY_KEY_LEN} characters; "
                f"it is {len(idempotency_key)}."
            )
        with self._transaction() as session:
            row = self._find(session, gateway_ref, lock=True)
            earlier = session.scalar(
                select(SandboxRefundRow).where(
                    SandboxRefundRow.transaction_id == row.id,
                    SandboxRefundRow.idempotency_key == idempotency_key,
                )
            )
            if earlier is not None:
                if earlier.amount_pence != amount_pence:
                    raise GatewayRefused(
                        f"Idempotency key {idempotency_key!r} was used for a refund of "
                        f"{earlier.amount_pence}p on this transaction, not {amount_pence}p. Use "
                        "a new key for a new refund."
                    )
                return _refund_of(earlier)
            if row.state != S.SUCCESS or row.captured_at is None:
                raise GatewayRefused(
                    f"Sandbox transaction {gateway_ref} cannot be refunded: it is {row.state}, "
                    "and only captured, successful payments can be."
                )
            available_pence = row.amount_pence - _refunded_pence(session, row.id)
            if amount_pence > available_pence:
                raise GatewayRefused(
                    f"A refund of {amount_pence}p is more than the {available_pence}p that can "
                    f"still be refunded on this payment ({row.amount_pence}p captured, "
                    f"{row.amount_pence - available_pence}p refunded already). Refund at most "
                    f"{available_pence}p.",
                    field="amount",
                )
            refund = SandboxRefundRow(
                gateway_refund_ref=secrets.token_urlsafe(TOKEN_BYTES),
                transaction_id=row.id,
                amount_pence=amount_pence,
                idempotency_key=idempotency_key,
                # The sandbox pays refunds at once; a real gateway may answer `submitted` first.
                state=RefundState.SUCCESS.value,
                created_at=self._clock(),
            )
            session.add(refund)
            return _refund_of(refund)

    def refund_status(self, gateway_refund_ref: str) -> GatewayRefund:
        with self._transaction() as session:
            refund = session.scalar(
                select(SandboxRefundRow).where(
                    SandboxRefundRow.gateway_refund_ref == gateway_refund_ref
                )
            )
            if refund is None:
                raise SandboxRefundNotFound(
                    f"The sandbox gateway has no refund {gateway_refund_ref!r}. Check the "
                    "reference it returned when the refund was made."
                )
            return _refund_of(refund)

    def settlements(self, settled_on: date) -> list[Settlement]:
        """The payout of `settled_on`: every payment captured and every refund made by the end of
        that day that no earlier payout included. Asking again for the same day gives the same
        payout; a day's payout cannot be asked for before the day has begun."""
        today = self._clock().astimezone(UTC).date()
        if settled_on > today:
            raise GatewayRefused(
                f"There is no payout for {settled_on.isoformat()} yet: it is after today "
                f"({today.isoformat()}). Ask for that day's settlements on or after it."
            )
        end = datetime.combine(settled_on + timedelta(days=1), time(), tzinfo=UTC)
        payout_ref = payout_ref_for(settled_on)
        with self._transaction() as session:
            for row in session.scalars(
                select(SandboxTransactionRow)
                .where(
                    SandboxTransactionRow.state == S.SUCCESS.value,
                    SandboxTransactionRow.captured_at < end,
                    SandboxTransactionRow.settled_on.is_(None),
                )
                .with_for_update()
            ):
                row.settled_on, row.payout_ref = settled_on, payout_ref
                row.fee_pence = fee_pence_for(row.amount_pence)
            for refund in session.scalars(
                select(SandboxRefundRow)
                .where(
                    SandboxRefundRow.state == RefundState.SUCCESS.value,
                    SandboxRefundRow.created_at < end,
                    SandboxRefundRow.settled_on.is_(None),
                )
                .with_for_update()
            ):
                refund.settled_on, refund.payout_ref = settled_on, payout_ref
            session.flush()
            payments = [
                Settlement(
                    gateway_ref=row.gateway_ref,
                    gross_pence=row.amount_pence,
                    fee_pence=row.fee_pence or 0,
                    settled_on=settled_on,
                    payout_ref=payout_ref,
                )
                for row in session.scalars(
                    select(SandboxTransactionRow)
                    .where(SandboxTransactionRow.settled_on == settled_on)
                    .order_by(SandboxTransactionRow.id)
                )
            ]
            refunds = [
                Settlement(
                    gateway_ref=gateway_ref,
                    gross_pence=-amount_pence,
                    fee_pence=0,
                    settled_on=settled_on,
                    payout_ref=payout_ref,
                )
                for gateway_ref, amount_pence in session.execute(
                    select(SandboxTransactionRow.gateway_ref, SandboxRefundRow.amount_pence)
                    .join(
                        SandboxTransactionRow,
                        SandboxTransactionRow.id == SandboxRefundRow.transaction_id,
                    )
                    .where(SandboxRefundRow.settled_on == settled_on)
                    .order_by(SandboxRefundRow.id)
                )
            ]
            return payments + refunds

    # --- the payer's side: the hosted card page ------------------------------------------------

    def page_url(self, gateway_ref: str) -> str:
        return f"{self._public_url}{SANDBOX_PATH_PREFIX}/pay/{gateway_ref}"

    def open_page(self, gateway_ref: str) -> PageView:
        """The payer opens the card page: a new transaction moves from created to started."""
        with self._transaction() as session:
            row = self._find_for_page(session, gateway_ref)
            if row.state == S.CREATED:
                self._move(row, S.STARTED)
            return _view_of(row)

    def submit_card(self, gateway_ref: str, form_token: str, form: CardForm) -> CardSubmission:
        with self._transaction() as session:
            row = self._find_for_page(session, gateway_ref)
            _check_token(row, form_token)
            if row.state not in (S.CREATED, S.STARTED):
                # Submitted twice, or after the page moved on: the first submission stands.
                return CardSubmission({}, self._next_for(row), _view_of(row))
            errors = _form_errors(form, self._clock().date())
            number = cards.clean_card_number(form.card_number)
            card = None if errors else cards.card_for(number)
            if card is not None and card.outcome == cards.Outcome.CARD_TYPE_NOT_ACCEPTED:
                errors["card_number"] = (
                    f"{_brand_label(cards.brand_of(number))} cards are not accepted for this "
                    "payment; use another card"
                )
            if errors or card is None:
                if row.state == S.CREATED:
                    self._move(row, S.STARTED)
                return CardSubmission(errors, None, _view_of(row))
            if row.state == S.CREATED:
                self._move(row, S.STARTED)
            self._keep_card(row, number, form, card)
            self._decide(row, card.outcome)
            return CardSubmission({}, self._next_for(row), _view_of(row))

    def answer_challenge(self, gateway_ref: str, form_token: str, authorised: bool) -> str:
        """The payer's answer to the 3-D Secure challenge; returns where their browser goes."""
        with self._transaction() as session:
            row = self._find_for_page(session, gateway_ref)
            _check_token(row, form_token)
            if row.state == S.SUBMITTED:
                if authorised:
                    self._succeed(row)
                else:
                    self._finish(row, S.FAILED, DECLINED)
            return self._next_for(row)

    def cancel_by_payer(self, gateway_ref: str, form_token: str) -> str:
        """The payer pressed "Cancel payment"; returns where their browser goes."""
        with self._transaction() as session:
            row = self._find_for_page(session, gateway_ref)
            _check_token(row, form_token)
            if row.state == S.CREATED:
                self._move(row, S.STARTED)
            if row.state in (S.STARTED, S.SUBMITTED):
                self._finish(row, S.FAILED, CANCELLED_BY_PAYER)
            return self._next_for(row)

    # --- inside a transaction ----------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    def _find(
        self, session: Session, gateway_ref: str, *, lock: bool = False
    ) -> SandboxTransactionRow:
        query = select(SandboxTransactionRow).where(
            SandboxTransactionRow.gateway_ref == gateway_ref
        )
        row = session.scalar(query.with_for_update() if lock else query)
        if row is None:
            raise SandboxTransactionNotFound(
                f"The sandbox gateway has no transaction {gateway_ref!r}. Check the gateway "
                "reference it returned when the payment was created."
            )
        return row

    def _find_for_page(self, session: Session, gateway_ref: str) -> SandboxTransactionRow:
        try:
            return self._find(session, gateway_ref, lock=True)
        except SandboxTransactionNotFound:
            raise SandboxPageNotFound(
                "There is no card payment at this address. Go back to the service you were "
                "paying and start the payment again."
            ) from None

    def _move(self, row: SandboxTransactionRow, to: GatewayState) -> None:
        current = GatewayState(row.state)
        if to not in TRANSITIONS[current]:
            raise GatewayRefused(
                f"Sandbox transaction {row.gateway_ref} cannot go from {current} to {to}."
            )
        row.state = to.value
        row.updated_at = self._clock()

    def _finish(
        self, row: SandboxTransactionRow, to: GatewayState, code_and_message: tuple[str, str]
    ) -> None:
        self._move(row, to)
        row.code, row.message = code_and_message

    def _succeed(self, row: SandboxTransactionRow) -> None:
        row.auth_code = f"{secrets.randbelow(10**AUTH_CODE_DIGITS):0{AUTH_CODE_DIGITS}d}"
        if row.delayed_capture:
            self._move(row, S.CAPTURABLE)
        else:
            self._move(row, S.SUCCESS)
            row.captured_at = row.updated_at

    def _keep_card(
        self, row: SandboxTransactionRow, number: str, form: CardForm, card: cards.TestCard
    ) -> None:
        # Only what a gateway may keep and report: never the full number or the security code.
        row.card_brand = cards.brand_of(number)
        row.card_first_digits = cards.first_digits(number)
        row.card_last_digits = cards.last_digits(number)
        row.card_expiry = cards.format_expiry(form.expiry_month, form.expiry_year)
        row.cardholder_name = form.cardholder_name.strip()
        row.card_type = None if card.card_type is None else card.card_type.value

    def _decide(self, row: SandboxTransactionRow, outcome: cards.Outcome) -> None:
        three_d_secure = outcome == cards.Outcome.THREE_D_SECURE and not row.moto
        row.three_d_secure_required = three_d_secure
        if three_d_secure:
            self._move(row, S.SUBMITTED)
        elif outcome in (cards.Outcome.SUCCESS, cards.Outcome.THREE_D_SECURE):
            self._succeed(row)  # MOTO payments skip 3-D Secure
        elif outcome == cards.Outcome.GATEWAY_ERROR:
            self._finish(row, S.ERROR, GATEWAY_ERROR)
        else:
            self._finish(row, S.FAILED, DECLINED)

    def _next_for(self, row: SandboxTransactionRow) -> str:
        """Back to the service once the payer is done; to the card page while they are not."""
        if row.state in (S.CREATED, S.STARTED, S.SUBMITTED):
            return self.page_url(row.gateway_ref)
        return row.return_url


# --- pure helpers -----------------------------------------------------------------------------


def _check_request(request: GatewayPaymentRequest) -> None:
    if request.amount_pence < 0:
        raise GatewayRefused(
            f"amount_pence is {request.amount_pence}; payments are 0p or more.", field="amount"
        )
    if not request.return_url or len(request.return_url) > RETURN_URL_LEN:
        raise GatewayRefused(
            f"return_url must be 1 to {RETURN_URL_LEN} characters: it is where the payer is sent "
            "when they are done.",
            field="return_url",
        )
    if not request.return_url.lower().startswith(("https://", "http://")):
        raise GatewayRefused(
            "return_url must be an http:// or https:// address: the payer's browser is sent "
            "there, and any other scheme could run script on the card page.",
            field="return_url",
        )
    if request.language not in LANGUAGES:
        raise GatewayRefused(
            f"language is {request.language!r}; use one of {', '.join(LANGUAGES)}.",
            field="language",
        )
    limits = {
        "payment_id": (request.payment_id, PAYMENT_ID_LEN, True),
        "reference": (request.reference, REFERENCE_LEN, True),
        "description": (request.description, REFERENCE_LEN, True),
        "email": (request.email, EMAIL_LEN, False),
        "cardholder_name": (request.cardholder_name, CARDHOLDER_NAME_LEN, False),
    }
    for name, (value, limit, required) in limits.items():
        if (value is None or value == "") and not required:
            continue
        if not value or len(value) > limit:
            raise GatewayRefused(f"{name} must be 1 to {limit} characters.", field=name)


def _check_token(row: SandboxTransactionRow, form_token: str) -> None:
    if not hmac.compare_digest(row.form_token.encode(), form_token.encode()):
        raise SandboxFormRefused(
            "This form did not come from this payment's card page, so it was not processed. "
            "Go back to the card page, reload it and submit the form from there.",
            field="form_token",
        )


def _form_errors(form: CardForm, today: date) -> dict[str, str]:
    errors: dict[str, str] = {}
    number = cards.clean_card_number(form.card_number)
    if (problem := cards.card_number_error(form.card_number)) is not None:
        errors["card_number"] = problem
    if (problem := cards.expiry_error(form.expiry_month, form.expiry_year, today)) is not None:
        errors["expiry"] = problem
    if (problem := cards.cvc_error(form.cvc, cards.brand_of(number))) is not None:
        errors["cvc"] = problem
    if (problem := cards.cardholder_name_error(form.cardholder_name)) is not None:
        errors["cardholder_name"] = problem
    return errors


BRAND_LABELS = {
    "visa": "Visa",
    "master-card": "Mastercard",
    "american-express": "American Express",
    "discover": "Discover",
    "jcb": "JCB",
    "diners-club": "Diners Club",
    "maestro": "Maestro",
    "unionpay": "UnionPay",
}


def _brand_label(brand: str) -> str:
    return BRAND_LABELS.get(brand, "These")


def _refunded_pence(session: Session, transaction_id: int) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(SandboxRefundRow.amount_pence), 0)).where(
            SandboxRefundRow.transaction_id == transaction_id,
            SandboxRefundRow.state.in_(COUNTED_REFUND_STATES),
        )
    )
    return int(total or 0)


def _status_of(row: SandboxTransactionRow) -> GatewayStatus:
    card = None
    if row.card_brand is not None:
        card = CardDetails(
            brand=row.card_brand,
            first_digits=row.card_first_digits or "",
            last_digits=row.card_last_digits or "",
            expiry_date=row.card_expiry or "",
            cardholder_name=row.cardholder_name or "",
            card_type=row.card_type,
        )
    return GatewayStatus(
        state=GatewayState(row.state),
        code=row.code,
        message=row.message,
        card=card,
        auth_code=row.auth_code,
        three_d_secure_required=row.three_d_secure_required,
    )


def _refund_of(refund: SandboxRefundRow) -> GatewayRefund:
    return GatewayRefund(
        gateway_refund_ref=refund.gateway_refund_ref, state=RefundState(refund.state)
    )


def _view_of(row: SandboxTransactionRow) -> PageView:
    return PageView(
        gateway_ref=row.gateway_ref,
        amount_pence=row.amount_pence,
        reference=row.reference,
        description=row.description,
        language=row.language,
        moto=row.moto,
        state=GatewayState(row.state),
        form_token=row.form_token,
        return_url=row.return_url,
        prefilled_cardholder_name=row.prefilled_cardholder_name,
        card_brand=row.card_brand,
        card_last_digits=row.card_last_digits,
    )
