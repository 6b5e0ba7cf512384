"""When the card gateway cannot be reached: no money is lost or doubled, and retries finish."""

from __future__ import annotations

from datetime import date

from receipting.gateways.base import (
    GatewayPayment,
    GatewayPaymentRequest,
    GatewayRefund,
    GatewayStatus,
    Settlement,
)
from receipting.gateways.errors import GatewayUnavailable
from receipting.gateways.sandbox.gateway import SandboxGateway
from receipting.payments.jobs import PaymentJobs
from tests.integration.payments.conftest import Api, MakeApi, ctax_payment


class FlakyGateway:
    """The sandbox gateway behind a switch that makes every call fail as if unreachable."""

    name = "sandbox"

    def __init__(self, inner: SandboxGateway) -> None:
        self.inner = inner
        self.down = False

    def _check(self) -> None:
        if self.down:
            raise GatewayUnavailable("connection refused")

    def create(self, request: GatewayPaymentRequest) -> GatewayPayment:
        self._check()
        return self.inner.create(request)

    def status(self, gateway_ref: str) -> GatewayStatus:
        self._check()
        return self.inner.status(gateway_ref)

    def capture(self, gateway_ref: str) -> GatewayStatus:
        self._check()
        return self.inner.capture(gateway_ref)

    def cancel(self, gateway_ref: str) -> GatewayStatus:
        self._check()
        return self.inner.cancel(gateway_ref)

    def refund(self, gateway_ref: str, amount_pence: int, idempotency_key: str) -> GatewayRefund:
        self._check()
        return self.inner.refund(gateway_ref, amount_pence, idempotency_key)

    def refund_status(self, gateway_refund_ref: str) -> GatewayRefund:
        self._check()
        return self.inner.refund_status(gateway_refund_ref)

    def settlements(self, settled_on: date) -> list[Settlement]:
        self._check()
        return self.inner.settlements(settled_on)


def flaky_api(make_api: MakeApi) -> tuple[Api, FlakyGateway]:
    made: list[FlakyGateway] = []

    def wrap(sandbox: SandboxGateway) -> FlakyGateway:
        made.append(FlakyGateway(sandbox))
        return made[0]

    api = make_api(wrap=wrap)
    return api, made[0]


def test_a_gateway_that_cannot_start_the_payment_is_a_p0198_and_takes_no_money(
    make_api: MakeApi, ctax_refs: list[str]
) -> None:
    api, gateway = flaky_api(make_api)
    gateway.down = True
    answer = api.create(ctax_payment(ctax_refs[0]), **{"Idempotency-Key": "k1"})
    assert (answer.status_code, answer.json["code"]) == (500, "P0198")
    found = api.get("/v1/payments").json["results"]
    assert [(p["state"]["status"], p["state"]["code"]) for p in found] == [("error", "P0050")]


def test_a_payment_read_while_the_gateway_is_down_shows_its_last_known_state(
    make_api: MakeApi, ctax_refs: list[str]
) -> None:
    api, gateway = flaky_api(make_api)
    created = api.create(ctax_payment(ctax_refs[0])).json
    api.pay(created)
    gateway.down = True
    assert api.get(f"/v1/payments/{created['payment_id']}").json["state"]["status"] == "created"
    gateway.down = False
    assert api.get(f"/v1/payments/{created['payment_id']}").json["state"]["status"] == "success"
    assert api.ledger.balance("CARD-CLR-SANDBOX") == 12345


def test_a_refund_the_gateway_did_not_answer_stays_submitted_until_the_worker_finishes_it(
    make_api: MakeApi, ctax_refs: list[str]
) -> None:
    api, gateway = flaky_api(make_api)
    payment = api.paid(ctax_payment(ctax_refs[0], amount=1000))
    gateway.down = True
    made = api.post(f"/v1/payments/{payment['payment_id']}/refunds", {"amount": 400})
    assert (made.status_code, made.json["status"]) == (202, "submitted")
    summary = api.payments.get("council-tax-team", payment["payment_id"])["refund_summary"]
    assert summary == {"status": "available", "amount_available": 600, "amount_submitted": 400}
    assert api.ledger.balance("FUND-CTAX") == -1000
    gateway.down = False
    PaymentJobs(api.payments, api.clock).poll()
    PaymentJobs(api.payments, api.clock).poll()
    refunds = api.get(f"/v1/payments/{payment['payment_id']}/refunds").json
    assert [r["status"] for r in refunds["_embedded"]["refunds"]] == ["success"]
    assert api.ledger.balance("FUND-CTAX") == -600
    assert api.ledger.balance("CARD-CLR-SANDBOX") == 600
