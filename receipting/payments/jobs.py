"""This subsystem's background jobs, run in passes by `receipting worker`.

- expire: a payment not finished 90 minutes after it was created fails with P0020. The gateway is
  asked first, so a payer who did pay at the last moment is recorded as paid, never expired; then
  the gateway's session is cancelled so the card page cannot take money afterwards.
- poll: payments whose payer never came back are brought up to date with the gateway (the
  "mop-up" GOV.UK Pay recommends), and refunds still submitted are asked after again.

Every step is safe to repeat: a pass that dies half-way is redone by the next.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select

from receipting.jobs import Job
from receipting.payments.limits import JOB_BATCH_SIZE, PAYMENT_EXPIRY
from receipting.payments.service import PaymentService
from receipting.payments.states import FORWARD
from receipting.payments.tables import PaymentRow, RefundRow
from receipting.wiring import Dependencies

# A payer takes a minute or two on the card page; polling sooner would only add load.
POLL_AFTER = timedelta(minutes=2)

UNFINISHED = tuple(status.value for status in FORWARD)


class PaymentJobs:
    def __init__(self, payments: PaymentService, clock: Callable[[], datetime]) -> None:
        self._payments = payments
        self._clock = clock

    def expire(self) -> int:
        """Fail every payment left unfinished past the expiry; returns how many expired."""
        cutoff = self._clock() - PAYMENT_EXPIRY
        done = 0
        for payment_id in self._unfinished(created_before=cutoff):
            if self._payments.expire(payment_id):
                done += 1
        return done

    def poll(self) -> int:
        """Bring in-flight payments and submitted refunds up to date; returns how many asked."""
        cutoff = self._clock() - POLL_AFTER
        payment_ids = self._unfinished(updated_before=cutoff)
        for payment_id in payment_ids:
            self._payments.sync(None, payment_id)
        refund_ids = self._submitted_refunds()
        for refund_id in refund_ids:
            self._payments.submit_refund(refund_id)
        return len(payment_ids) + len(refund_ids)

    def _unfinished(
        self, *, created_before: datetime | None = None, updated_before: datetime | None = None
    ) -> list[str]:
        query = select(PaymentRow.id).where(PaymentRow.status.in_(UNFINISHED))
        if created_before is not None:
            query = query.where(PaymentRow.created_at < created_before)
        if updated_before is not None:
            query = query.where(
                PaymentRow.updated_at < updated_before, PaymentRow.gateway_ref.is_not(None)
            )
        with self._payments.sessions.begin() as session:
            return list(
                session.scalars(query.order_by(PaymentRow.created_at).limit(JOB_BATCH_SIZE))
            )

    def _submitted_refunds(self) -> list[str]:
        query = (
            select(RefundRow.id)
            .where(RefundRow.status == "submitted")
            .order_by(RefundRow.created_at)
            .limit(JOB_BATCH_SIZE)
        )
        with self._payments.sessions.begin() as session:
            return list(session.scalars(query))


def jobs(deps: Dependencies) -> list[Job]:
    payments = PaymentService(
        deps.session_factory,
        deps.gateways,
        deps.clock,
        deps.settings.public_url,
    )
    runner = PaymentJobs(payments, deps.clock)
    return [
        Job(
            "payments-expire",
            runner.expire,
            f"fails card payments left unfinished {PAYMENT_EXPIRY.seconds // 60} minutes after "
            "they began, asking the gateway first",
        ),
        Job(
            "payments-poll",
            runner.poll,
            "asks the gateway about payments whose payer never came back, and about refunds "
            "still submitted",
        ),
    ]
