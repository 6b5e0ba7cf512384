"""Payment and refund use cases. Each opens its own transactions here; nothing below commits.

Calls to the card gateway are calls to another system, so they are made between transactions,
never inside one, and every step is safe to repeat:

- create: transaction 1 records the payment (and its idempotency key); the gateway call follows;
  transaction 2 stores the gateway's reference. A replay of the same key finishes a create that
  crashed between the two.
- every state the gateway reports is applied through the transition table, one event per step,
  with the payment row locked; a state already reached is a no-op, so polling twice is harmless.
- capture posts one ledger entry with idempotency key `payment:<id>:capture`, so it can never
  post twice, and issues the receipt in the same transaction as the move to `success`.
- a refund takes its amount off what is available in the same transaction that records it (the
  payment row locked, and a database check that refunds never exceed the payment); the gateway
  is asked with the refund's own idempotency key, and its answer is applied in a later
  transaction that posts the refund's ledger entry (idempotency key `refund:<id>`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import ModuleType
from typing import Any, Protocol

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ledger.journal import get_entry, post_entry
from ledger.model import EntryRequest, PostingLine
from receipting.council import service as council_service
from receipting.council.service import Fund, ReferenceResult, VatSplit
from receipting.errors import ReceiptingError
from receipting.gateways.base import (
    Gateway,
    GatewayPaymentRequest,
    GatewayRefund,
    GatewayState,
    GatewayStatus,
    RefundState,
)
from receipting.gateways.errors import GatewayRefused, GatewayUnavailable
from receipting.notify.outbox import queue_receipt_email
from receipting.payments import serialise
from receipting.payments.errors import (
    GatewayDownstreamError,
    IdempotencyKeyReused,
    InvalidField,
    NotCancellable,
    NotCapturable,
    NotRefundable,
    PaymentNotFound,
    RefundAmountAvailableMismatch,
    RefundNotFound,
)
from receipting.payments.ids import looks_like_id, new_id
from receipting.payments.limits import IDEMPOTENCY_WINDOW
from receipting.payments.receipts import issue_receipt
from receipting.payments.refunds import Component, apportion
from receipting.payments.requests import (
    ACCOUNT_REFERENCE_METADATA_KEY,
    FUND_CODE_METADATA_KEY,
    CreatePayment,
    body_hash,
    check_idempotency_key,
    parse_create,
    parse_refund,
)
from receipting.payments.states import (
    CODE_CANCELLED_BY_SERVICE,
    CODE_DECLINED,
    CODE_EXPIRED,
    CODE_GATEWAY_ERROR,
    FORWARD,
    STATE_MESSAGES,
    PaymentStatus,
    check_move,
    path_to,
)
from receipting.payments.tables import (
    PaymentEventRow,
    PaymentIdempotencyRow,
    PaymentLineRow,
    PaymentRow,
    RefundRow,
)
from receipting.webhooks import outbox

log = logging.getLogger(__name__)

DEFAULT_GATEWAY = "sandbox"

# Default codes for finished states a gateway reports without one.
DEFAULT_CODES: Mapping[PaymentStatus, str] = {
    PaymentStatus.FAILED: CODE_DECLINED,
    PaymentStatus.CANCELLED: CODE_CANCELLED_BY_SERVICE,
    PaymentStatus.ERROR: CODE_GATEWAY_ERROR,
}


class Council(Protocol):
    """What payments ask of the council's configuration (receipting.council.service)."""

    def get_fund(self, session: Session, code: str) -> Fund: ...

    def check_reference(
        self, session: Session, fund_code: str, reference: str
    ) -> ReferenceResult: ...

    def vat_split(
        self, session: Session, vat_code: str, gross_pence: int, on: date
    ) -> VatSplit: ...

    def gateway_clearing_account(self, session: Session, gateway_name: str) -> str: ...

    def vat_output_account(self, session: Session) -> str: ...


Enqueue = Callable[..., None]


@dataclass(frozen=True, slots=True)
class PricedLine:
    fund_code: str
    ledger_account_code: str
    account_reference: str
    amount_pence: int
    narrative: str | None
    vat: VatSplit


class PaymentService:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        gateways: Mapping[str, Gateway],
        clock: Callable[[], datetime],
        public_url: str,
        *,
        council: Council | ModuleType = council_service,
        enqueue: Enqueue = outbox.enqueue,
        gateway_name: str = DEFAULT_GATEWAY,
    ) -> None:
        self._sessions = session_factory
        self._gateways = gateways
        self._clock = clock
        self._base_url = public_url.rstrip("/")
        self._council: Any = council
        self._enqueue = enqueue
        self._gateway_name = gateway_name

    # --- create ---------------------------------------------------------------------------------

    def create(
        self, service: str, body: object, idempotency_key: str | None
    ) -> tuple[dict[str, Any], bool]:
        """The new payment's JSON and True, or the original's and False for a replayed key."""
        request = parse_create(body)
        key = check_idempotency_key(idempotency_key)
        request_hash = body_hash(body)
        self._gateway(self._gateway_name)  # refuse before writing anything if there is none
        now = self._clock()
        with self._sessions.begin() as session:
            payment_id = None if key is None else _replay(session, service, key, request_hash, now)
            created = payment_id is None
            if payment_id is None:
                lines = self._priced_lines(session, request, now.date())
                payment_id, created = self._record(
                    session, service, request, lines, key, request_hash, now
                )
        self._start_at_gateway(payment_id)
        with self._sessions.begin() as session:
            return self._payment_json(session, _payment(session, payment_id)), created

    def _priced_lines(self, session: Session, request: CreatePayment, on: date) -> list[PricedLine]:
        """Every line checked against its fund; every problem reported at once."""
        problems: list[tuple[str, str]] = []
        priced: list[PricedLine] = []
        for index, allocation in enumerate(request.allocations):
            fields = _line_fields(index, request.routed_by_metadata)
            line, line_problems = self._price_line(session, allocation, fields, request.moto, on)
            problems.extend(line_problems)
            if line is not None:
                priced.append(line)
        if problems:
            raise InvalidField(
                "; ".join(f"{field}: {message}" for field, message in problems),
                field=", ".join(field for field, _ in problems),
            )
        return priced

    def _price_line(
        self,
        session: Session,
        allocation: Any,
        fields: Mapping[str, str],
        moto: bool,
        on: date,
    ) -> tuple[PricedLine | None, list[tuple[str, str]]]:
        try:
            fund: Fund = self._council.get_fund(session, allocation.fund_code)
        except ReceiptingError as exc:
            return None, [(fields["fund_code"], exc.message)]
        problems = _fund_problems(fund, allocation.amount_pence, moto, fields)
        result: ReferenceResult = self._council.check_reference(
            session, fund.code, allocation.account_reference
        )
        if not result.valid:
            problems.append(
                (fields["account_reference"], result.message or "This reference is not valid.")
            )
        if problems:
            return None, problems
        split: VatSplit = self._council.vat_split(
            session, fund.vat_code, allocation.amount_pence, on
        )
        return (
            PricedLine(
                fund_code=fund.code,
                ledger_account_code=fund.ledger_account_code,
                account_reference=result.normalised,
                amount_pence=allocation.amount_pence,
                narrative=allocation.narrative,
                vat=split,
            ),
            [],
        )

    def _record(
        self,
        session: Session,
        service: str,
        request: CreatePayment,
        lines: Sequence[PricedLine],
        key: str | None,
        request_hash: str,
        now: datetime,
    ) -> tuple[str, bool]:
        payment_id = new_id()
        try:
            # A savepoint, so that losing a race for the key leaves the transaction usable.
            with session.begin_nested():
                self._insert_payment(session, payment_id, service, request, lines, now)
                if key is not None:
                    session.add(
                        PaymentIdempotencyRow(
                            service=service,
                            idempotency_key=key,
                            request_hash=request_hash,
                            payment_id=payment_id,
                            created_at=now,
                        )
                    )
                    session.flush()
        except IntegrityError:
            if key is None:
                raise
            winner = _replay(session, service, key, request_hash, now)
            if winner is None:
                raise
            return winner, False
        return payment_id, True

    def _insert_payment(
        self,
        session: Session,
        payment_id: str,
        service: str,
        request: CreatePayment,
        lines: Sequence[PricedLine],
        now: datetime,
    ) -> None:
        row = PaymentRow(
            id=payment_id,
            service=service,
            amount_pence=request.amount_pence,
            refunded_pence=0,
            status=PaymentStatus.CREATED.value,
            reference=request.reference,
            description=request.description,
            return_url=request.return_url,
            language=request.language,
            email=request.email,
            cardholder_name=request.cardholder_name,
            delayed_capture=request.delayed_capture,
            moto=request.moto,
            metadata_json=None if request.metadata is None else json.dumps(request.metadata),
            gateway=self._gateway_name,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        for line_no, line in enumerate(lines):
            session.add(
                PaymentLineRow(
                    payment_id=payment_id,
                    line_no=line_no,
                    fund_code=line.fund_code,
                    ledger_account_code=line.ledger_account_code,
                    account_reference=line.account_reference,
                    amount_pence=line.amount_pence,
                    narrative=line.narrative,
                    vat_code=line.vat.vat_code,
                    vat_rate_basis_points=line.vat.rate_basis_points,
                    net_pence=line.vat.net_pence,
                    vat_pence=line.vat.vat_pence,
                )
            )
        session.add(_event(payment_id, PaymentStatus.CREATED, None, None, None, now))
        session.flush()

    def _start_at_gateway(self, payment_id: str) -> None:
        with self._sessions.begin() as session:
            row = _payment(session, payment_id)
            if row.gateway_ref is not None or row.status != PaymentStatus.CREATED:
                return
            gateway = self._gateway(row.gateway)
            request = GatewayPaymentRequest(
                payment_id=row.id,
                amount_pence=row.amount_pence,
                reference=row.reference,
                description=row.description,
                return_url=row.return_url,
                language=row.language,
                delayed_capture=row.delayed_capture,
                moto=row.moto,
                email=row.email,
                cardholder_name=row.cardholder_name,
            )
        try:
            started = gateway.create(request)
        except (GatewayUnavailable, GatewayRefused) as exc:
            self._give_up_at_gateway(payment_id)
            raise GatewayDownstreamError(
                "The card gateway could not start this payment, so no money was taken. Try "
                "again with a new payment (a new Idempotency-Key) in a few minutes.",
                code="P0198",
            ) from exc
        with self._sessions.begin() as session:
            row = _payment(session, payment_id, lock=True)
            if row.gateway_ref is None:
                row.gateway_ref = started.gateway_ref
                row.next_url = started.next_url
                row.updated_at = self._clock()

    def _give_up_at_gateway(self, payment_id: str) -> None:
        with self._sessions.begin() as session:
            row = _payment(session, payment_id, lock=True)
            if row.gateway_ref is None and row.status == PaymentStatus.CREATED:
                self._move(
                    session,
                    row,
                    PaymentStatus.ERROR,
                    CODE_GATEWAY_ERROR,
                    STATE_MESSAGES[CODE_GATEWAY_ERROR],
                    self._clock(),
                )

    # --- read -----------------------------------------------------------------------------------

    def get(self, service: str, payment_id: str) -> dict[str, Any]:
        """The payment, brought up to date with the gateway first while it is unfinished."""
        self.sync(service, payment_id, not_found_code="P0200")
        with self._sessions.begin() as session:
            row = _owned(session, service, payment_id, "P0200")
            return self._payment_json(session, row)

    def events(self, service: str, payment_id: str) -> dict[str, Any]:
        self.sync(service, payment_id, not_found_code="P0300")
        with self._sessions.begin() as session:
            _owned(session, service, payment_id, "P0300")
            events = session.scalars(
                select(PaymentEventRow)
                .where(PaymentEventRow.payment_id == payment_id)
                .order_by(PaymentEventRow.id)
            ).all()
            return serialise.events_json(payment_id, events, self._base_url)

    def sync(self, service: str | None, payment_id: str, *, not_found_code: str = "P0200") -> None:
        """Ask the gateway where an unfinished payment is and apply what it says. A gateway that
        cannot be reached leaves the payment as it was (the worker polls again later)."""
        with self._sessions.begin() as session:
            row = (
                _payment(session, payment_id)
                if service is None
                else _owned(session, service, payment_id, not_found_code)
            )
            if PaymentStatus(row.status).finished or row.gateway_ref is None:
                return
            gateway, gateway_ref = self._gateway(row.gateway), row.gateway_ref
        try:
            status = gateway.status(gateway_ref)
        except GatewayUnavailable:
            log.warning("gateway unavailable while syncing payment %s", payment_id)
            return
        self._apply_in_transaction(payment_id, status)

    def _apply_in_transaction(self, payment_id: str, status: GatewayStatus) -> None:
        with self._sessions.begin() as session:
            row = _payment(session, payment_id, lock=True)
            self._apply(session, row, status, self._clock())

    def _apply(
        self, session: Session, row: PaymentRow, status: GatewayStatus, now: datetime
    ) -> None:
        current = PaymentStatus(row.status)
        target = PaymentStatus(status.state.value)
        if current.finished or _behind_or_same(target, current):
            if current.finished and target != current:
                log.error(
                    "payment %s is %s here but %s at the gateway; a person must check it",
                    row.id,
                    current.value,
                    target.value,
                )
            return
        if status.card is not None:
            _store_card(row, status)
        code = status.code or DEFAULT_CODES.get(target) if target.finished else None
        message = status.message or STATE_MESSAGES.get(code or "") if code else None
        for step in path_to(current, target):
            at_end = step == target
            self._move(
                session, row, step, code if at_end else None, message if at_end else None, now
            )

    def _move(
        self,
        session: Session,
        row: PaymentRow,
        to: PaymentStatus,
        code: str | None,
        message: str | None,
        now: datetime,
    ) -> None:
        came_from = PaymentStatus(row.status)
        check_move(came_from, to)
        if to is PaymentStatus.SUCCESS:
            self._post_capture(session, row, now)
        row.status = to.value
        row.state_code = code
        row.state_message = message
        row.updated_at = now
        session.add(_event(row.id, to, code, message, row.receipt_number, now))
        session.flush()
        for event_type in _webhook_events(came_from, to, code):
            self._announce(session, row, event_type, now)

    def _announce(self, session: Session, row: PaymentRow, event_type: str, now: datetime) -> None:
        self._enqueue(
            session,
            service=row.service,
            event_type=event_type,
            resource_type="payment",
            resource_id=row.id,
            resource=self._payment_json(session, row),
            now=now,
        )

    def _post_capture(self, session: Session, row: PaymentRow, now: datetime) -> None:
        """The payment's one ledger entry, and its receipt, in the caller's transaction."""
        clearing = self._council.gateway_clearing_account(session, row.gateway)
        vat_account = self._council.vat_output_account(session)
        postings = [PostingLine(clearing, row.amount_pence, row.id)]
        for line in _lines(session, row.id):
            if line.net_pence:
                postings.append(
                    PostingLine(line.ledger_account_code, -line.net_pence, line.account_reference)
                )
            if line.vat_pence:
                postings.append(PostingLine(vat_account, -line.vat_pence, line.account_reference))
        entry = post_entry(
            session,
            EntryRequest(
                effective_date=now.date(),
                description=f"Card payment {row.id}: {row.reference}"[:500],
                lines=tuple(postings),
                source="card-payment",
                idempotency_key=f"payment:{row.id}:capture",
            ),
            now=now,
        )
        row.ledger_entry_id = entry.id
        row.receipt_number = issue_receipt(session, row.id, now)
        row.captured_at = now
        # Emailed (when the payer gave an address) only if this transaction commits.
        queue_receipt_email(session, row, now)

    # --- expiry (the worker) --------------------------------------------------------------------

    def expire(self, payment_id: str) -> bool:
        """Fail an abandoned payment with P0020, unless the gateway says it finished after all.
        True when it expired."""
        self.sync(None, payment_id)
        with self._sessions.begin() as session:
            row = _payment(session, payment_id)
            if PaymentStatus(row.status).finished:
                return False
            gateway, gateway_ref = self._gateway(row.gateway), row.gateway_ref
        if gateway_ref is not None:
            try:
                answer = gateway.cancel(gateway_ref)
            except (GatewayRefused, GatewayUnavailable):
                # Refused: it finished at the gateway meanwhile, so sync again and keep that.
                # Unavailable: try again on the next pass, before expiring anything.
                self.sync(None, payment_id)
                return False
            if answer.state is not GatewayState.CANCELLED:
                self._apply_in_transaction(payment_id, answer)
                return False
        with self._sessions.begin() as session:
            row = _payment(session, payment_id, lock=True)
            if PaymentStatus(row.status).finished:
                return False
            self._move(
                session,
                row,
                PaymentStatus.FAILED,
                CODE_EXPIRED,
                STATE_MESSAGES[CODE_EXPIRED],
                self._clock(),
            )
            return True

    # --- cancel and capture ---------------------------------------------------------------------

    def cancel(self, service: str, payment_id: str) -> None:
        self.sync(service, payment_id, not_found_code="P0500")
        with self._sessions.begin() as session:
            row = _owned(session, service, payment_id, "P0500")
            _refuse_cancel_if_finished(row)
            gateway, gateway_ref = self._gateway(row.gateway), row.gateway_ref
        status = GatewayStatus(GatewayState.CANCELLED, CODE_CANCELLED_BY_SERVICE)
        if gateway_ref is not None:
            try:
                status = gateway.cancel(gateway_ref)
            except GatewayRefused:
                self.sync(service, payment_id)
                raise NotCancellable(
                    "The card gateway refused to cancel this payment; it has probably just "
                    "finished. GET the payment to see its state.",
                    code="P0502",
                ) from None
            except GatewayUnavailable as exc:
                raise GatewayDownstreamError(
                    "The card gateway could not be reached to cancel the payment; try again.",
                    code="P0598",
                ) from exc
        if status.state is GatewayState.CANCELLED:
            status = GatewayStatus(
                GatewayState.CANCELLED,
                CODE_CANCELLED_BY_SERVICE,
                STATE_MESSAGES[CODE_CANCELLED_BY_SERVICE],
                status.card,
            )
        with self._sessions.begin() as session:
            row = _payment(session, payment_id, lock=True)
            self._apply(session, row, status, self._clock())
            if row.status != PaymentStatus.CANCELLED:
                _refuse_cancel_if_finished(row)

    def capture(self, service: str, payment_id: str) -> None:
        self.sync(service, payment_id, not_found_code="P1000")
        with self._sessions.begin() as session:
            row = _owned(session, service, payment_id, "P1000")
            if row.status != PaymentStatus.CAPTURABLE or row.gateway_ref is None:
                raise NotCapturable(
                    f"This payment is {row.status}; only a payment made with delayed_capture "
                    "and waiting in state capturable can be captured.",
                    code="P1003",
                )
            gateway, gateway_ref = self._gateway(row.gateway), row.gateway_ref
        try:
            status = gateway.capture(gateway_ref)
        except GatewayRefused:
            self.sync(service, payment_id)
            raise NotCapturable(
                "The card gateway refused to capture this payment. GET it to see its state.",
                code="P1003",
            ) from None
        except GatewayUnavailable as exc:
            raise GatewayDownstreamError(
                "The card gateway could not be reached to capture the payment; try again.",
                code="P1098",
            ) from exc
        self._apply_in_transaction(payment_id, status)

    # --- refunds --------------------------------------------------------------------------------

    def create_refund(self, service: str, payment_id: str, body: object) -> dict[str, Any]:
        request = parse_refund(body)
        now = self._clock()
        with self._sessions.begin() as session:
            row = _owned(session, service, payment_id, "P0600", lock=True)
            available = _refundable(row)
            if (
                request.refund_amount_available is not None
                and request.refund_amount_available != available
            ):
                raise RefundAmountAvailableMismatch(
                    f"refund_amount_available is {request.refund_amount_available} but "
                    f"{available} pence is available to refund now (another refund may have "
                    "been made meanwhile). GET the payment and send the current "
                    "refund_summary.amount_available.",
                    field="refund_amount_available",
                    code="P0604",
                )
            if request.amount_pence > available:
                raise NotRefundable(
                    f"amount is {request.amount_pence} pence but only {available} pence of this "
                    "payment is left to refund.",
                    field="amount",
                    code="P0603",
                )
            refund = RefundRow(
                id=new_id(),
                payment_id=row.id,
                service=service,
                amount_pence=request.amount_pence,
                status="submitted",
                created_at=now,
                updated_at=now,
            )
            row.refunded_pence += request.amount_pence
            row.updated_at = now
            session.add(refund)
            refund_id = refund.id
        self.submit_refund(refund_id)
        with self._sessions.begin() as session:
            return serialise.refund_json(_refund(session, refund_id), self._base_url)

    def submit_refund(self, refund_id: str) -> None:
        """Ask the gateway for a submitted refund (again, safely: the same idempotency key)."""
        with self._sessions.begin() as session:
            refund = _refund(session, refund_id)
            if refund.status != "submitted":
                return
            payment = _payment(session, refund.payment_id)
            gateway = self._gateway(payment.gateway)
            gateway_ref, amount, known = (
                payment.gateway_ref,
                refund.amount_pence,
                refund.gateway_refund_ref,
            )
        assert gateway_ref is not None
        try:
            if known is None:
                answer = gateway.refund(gateway_ref, amount, idempotency_key=f"refund:{refund_id}")
            else:
                answer = gateway.refund_status(known)
        except GatewayUnavailable:
            log.warning("gateway unavailable for refund %s; the worker retries", refund_id)
            return
        except GatewayRefused:
            answer = GatewayRefund(known or "", RefundState.ERROR)
        with self._sessions.begin() as session:
            self._record_refund_answer(session, refund_id, answer, self._clock())

    def _record_refund_answer(
        self, session: Session, refund_id: str, answer: GatewayRefund, now: datetime
    ) -> None:
        payment_id = _refund(session, refund_id).payment_id
        payment = _payment(session, payment_id, lock=True)  # payment first: one lock order
        refund = _refund(session, refund_id)
        if refund.status != "submitted":
            return
        if answer.gateway_refund_ref:
            refund.gateway_refund_ref = answer.gateway_refund_ref
        refund.updated_at = now
        if answer.state is RefundState.SUCCESS:
            refund.ledger_entry_id = self._post_refund(session, payment, refund, now)
            refund.status = "success"
            session.flush()
            self._announce(session, payment, "card_payment_refunded", now)
        elif answer.state is RefundState.ERROR:
            refund.status = "error"
            payment.refunded_pence -= refund.amount_pence
            payment.updated_at = now
        session.flush()

    def _post_refund(
        self, session: Session, payment: PaymentRow, refund: RefundRow, now: datetime
    ) -> int:
        assert payment.ledger_entry_id is not None
        clearing = self._council.gateway_clearing_account(session, payment.gateway)
        components = _refundable_components(session, payment)
        shares = apportion(refund.amount_pence, components)
        postings = [
            PostingLine(c.account_code, share, c.sub_account_key)
            for c, share in zip(components, shares, strict=True)
            if share
        ]
        postings.append(PostingLine(clearing, -refund.amount_pence, payment.id))
        entry = post_entry(
            session,
            EntryRequest(
                effective_date=now.date(),
                description=f"Refund {refund.id} of card payment {payment.id}",
                lines=tuple(postings),
                source="card-refund",
                idempotency_key=f"refund:{refund.id}",
            ),
            now=now,
        )
        return entry.id

    def refunds_of(self, service: str, payment_id: str) -> dict[str, Any]:
        self._refresh_refunds(service, payment_id, "P0800")
        with self._sessions.begin() as session:
            _owned(session, service, payment_id, "P0800")
            refunds = session.scalars(
                select(RefundRow)
                .where(RefundRow.payment_id == payment_id)
                .order_by(RefundRow.created_at, RefundRow.id)
            ).all()
            return serialise.refunds_of_payment_json(payment_id, refunds, self._base_url)

    def refund(self, service: str, payment_id: str, refund_id: str) -> dict[str, Any]:
        self._refresh_refunds(service, payment_id, "P0700")
        with self._sessions.begin() as session:
            _owned(session, service, payment_id, "P0700")
            refund = session.get(RefundRow, refund_id)
            if refund is None or refund.payment_id != payment_id:
                raise RefundNotFound(
                    f"Payment {payment_id} has no refund {refund_id}. List its refunds with "
                    f"GET /v1/payments/{payment_id}/refunds.",
                    field="refundId",
                    code="P0700",
                )
            return serialise.refund_json(refund, self._base_url)

    def _refresh_refunds(self, service: str, payment_id: str, not_found_code: str) -> None:
        with self._sessions.begin() as session:
            _owned(session, service, payment_id, not_found_code)
            pending = session.scalars(
                select(RefundRow.id).where(
                    RefundRow.payment_id == payment_id, RefundRow.status == "submitted"
                )
            ).all()
        for refund_id in pending:
            self.submit_refund(refund_id)

    # --- helpers --------------------------------------------------------------------------------

    def _gateway(self, name: str) -> Gateway:
        gateway = self._gateways.get(name)
        if gateway is None:
            raise GatewayDownstreamError(
                f"The {name!r} card gateway is not configured on this engine, so payments cannot "
                "be taken. Ask its operators to turn it on (RECEIPTING_SANDBOX_GATEWAY=1 for the "
                "sandbox).",
                code="P0198",
            )
        return gateway

    def _payment_json(self, session: Session, row: PaymentRow) -> dict[str, Any]:
        return serialise.payment_json(row, _lines(session, row.id), self._base_url)

    def payment_json(
        self, session: Session, row: PaymentRow, *, search: bool = False
    ) -> dict[str, Any]:
        return serialise.payment_json(row, _lines(session, row.id), self._base_url, search=search)

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self._sessions


# --- leaves -------------------------------------------------------------------------------------


def _replay(
    session: Session, service: str, key: str, request_hash: str, now: datetime
) -> str | None:
    """The payment an earlier request with this key made, or None if the key is free."""
    row = session.scalars(
        select(PaymentIdempotencyRow).where(
            PaymentIdempotencyRow.service == service,
            PaymentIdempotencyRow.idempotency_key == key,
        )
    ).first()
    if row is None:
        return None
    if row.created_at < now - IDEMPOTENCY_WINDOW:
        session.execute(delete(PaymentIdempotencyRow).where(PaymentIdempotencyRow.id == row.id))
        return None
    if row.request_hash != request_hash:
        raise IdempotencyKeyReused(
            f"Idempotency-Key {key} was already used, within the last 24 hours, for a different "
            f"request (payment {row.payment_id}). Use a new key for a new payment, or send exactly "
            "the same body to get the original payment back.",
            field="Idempotency-Key",
            code="P0191",
        )
    return row.payment_id


def _line_fields(index: int, routed_by_metadata: bool) -> dict[str, str]:
    if routed_by_metadata:
        return {
            "fund_code": f"metadata.{FUND_CODE_METADATA_KEY}",
            "account_reference": f"metadata.{ACCOUNT_REFERENCE_METADATA_KEY}",
            "amount": "amount",
        }
    prefix = f"allocations[{index}]"
    return {name: f"{prefix}.{name}" for name in ("fund_code", "account_reference", "amount")}


def _fund_problems(
    fund: Fund, amount_pence: int, moto: bool, fields: Mapping[str, str]
) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if fund.retired:
        problems.append((fields["fund_code"], f"Fund {fund.code} ({fund.name}) is retired."))
    elif moto and not fund.payable_by_phone:
        problems.append(
            (fields["fund_code"], f"Fund {fund.code} ({fund.name}) cannot be paid by phone.")
        )
    elif not moto and not fund.payable_online:
        problems.append(
            (fields["fund_code"], f"Fund {fund.code} ({fund.name}) cannot be paid online.")
        )
    if amount_pence > fund.max_amount_pence:
        problems.append(
            (
                fields["amount"],
                f"{amount_pence} pence is more than the {fund.max_amount_pence} pence a payment "
                f"to {fund.name} may be.",
            )
        )
    return problems


def _event(
    payment_id: str,
    status: PaymentStatus,
    code: str | None,
    message: str | None,
    receipt_number: str | None,
    now: datetime,
) -> PaymentEventRow:
    return PaymentEventRow(
        payment_id=payment_id,
        status=status.value,
        code=code,
        message=message,
        receipt_number=receipt_number if status is PaymentStatus.SUCCESS else None,
        created_at=now,
    )


def _webhook_events(came_from: PaymentStatus, to: PaymentStatus, code: str | None) -> list[str]:
    if to is PaymentStatus.STARTED:
        return ["card_payment_started"]
    if to is PaymentStatus.CAPTURABLE:
        return ["card_payment_succeeded"]
    if to is PaymentStatus.SUCCESS:
        if came_from is PaymentStatus.CAPTURABLE:
            return ["card_payment_captured"]
        return ["card_payment_succeeded", "card_payment_captured"]
    if to is PaymentStatus.FAILED and code == CODE_EXPIRED:
        return ["card_payment_expired"]
    if to in (PaymentStatus.FAILED, PaymentStatus.ERROR):
        return ["card_payment_failed"]
    return []


def _behind_or_same(target: PaymentStatus, current: PaymentStatus) -> bool:
    if target not in FORWARD or current not in FORWARD:
        return target == current
    return FORWARD.index(target) <= FORWARD.index(current)


def _store_card(row: PaymentRow, status: GatewayStatus) -> None:
    card = status.card
    assert card is not None
    row.card_brand = card.brand
    row.card_type = card.card_type
    row.card_first_digits = card.first_digits
    row.card_last_digits = card.last_digits
    row.card_expiry = card.expiry_date
    row.cardholder_name = card.cardholder_name
    if status.auth_code is not None:
        row.auth_code = status.auth_code


def _refuse_cancel_if_finished(row: PaymentRow) -> None:
    if PaymentStatus(row.status).finished:
        raise NotCancellable(
            f"This payment is already finished (state {row.status}), so it cannot be cancelled.",
            code="P0502",
        )


def _refundable(row: PaymentRow) -> int:
    if row.status != PaymentStatus.SUCCESS:
        raise NotRefundable(
            f"This payment is {row.status}; only a successful (captured) payment can be refunded.",
            code="P0603",
        )
    return row.amount_pence - row.refunded_pence


def _refundable_components(session: Session, payment: PaymentRow) -> list[Component]:
    """What the capture credited, per (account, reference), less what refunds took back."""
    assert payment.ledger_entry_id is not None
    captured: dict[tuple[str, str | None], int] = {}
    for posting in get_entry(session, payment.ledger_entry_id).postings:
        if posting.amount_pence < 0:
            key = (posting.account_code, posting.sub_account_key)
            captured[key] = captured.get(key, 0) - posting.amount_pence
    earlier = session.scalars(
        select(RefundRow.ledger_entry_id).where(
            RefundRow.payment_id == payment.id, RefundRow.ledger_entry_id.is_not(None)
        )
    ).all()
    for entry_id in earlier:
        assert entry_id is not None
        for posting in get_entry(session, entry_id).postings:
            key = (posting.account_code, posting.sub_account_key)
            if posting.amount_pence > 0 and key in captured:
                captured[key] -= posting.amount_pence
    return [Component(code, sub, left) for (code, sub), left in captured.items()]


def _payment(session: Session, payment_id: str, *, lock: bool = False) -> PaymentRow:
    query = select(PaymentRow).where(PaymentRow.id == payment_id)
    if lock:
        query = query.with_for_update()
    row = session.scalars(query).first()
    if row is None:
        raise PaymentNotFound(f"There is no payment {payment_id}.", field="paymentId")
    return row


def _owned(
    session: Session, service: str, payment_id: str, code: str, *, lock: bool = False
) -> PaymentRow:
    """The payment if it belongs to `service`; otherwise not found, exactly as if absent."""
    row = None
    if looks_like_id(payment_id):
        query = select(PaymentRow).where(PaymentRow.id == payment_id, PaymentRow.service == service)
        row = session.scalars(query.with_for_update() if lock else query).first()
    if row is None:
        raise PaymentNotFound(
            f"No payment {payment_id} was found for this API key's service. Check the id you "
            "were given when the payment was created.",
            field="paymentId",
            code=code,
        )
    return row


def _refund(session: Session, refund_id: str) -> RefundRow:
    refund = session.get(RefundRow, refund_id, populate_existing=True)
    if refund is None:
        raise RefundNotFound(f"There is no refund {refund_id}.", field="refundId", code="P0700")
    return refund


def _lines(session: Session, payment_id: str) -> list[PaymentLineRow]:
    return list(
        session.scalars(
            select(PaymentLineRow)
            .where(PaymentLineRow.payment_id == payment_id)
            .order_by(PaymentLineRow.line_no)
        ).all()
    )
