"""The worker's jobs: abandoned payments expire after 90 minutes; in-flight ones are polled."""

from __future__ import annotations

from receipting.payments.jobs import PaymentJobs
from tests.integration.payments.conftest import Api, ctax_payment


def jobs(api: Api) -> PaymentJobs:
    return PaymentJobs(api.payments, api.clock)


def test_a_payment_abandoned_for_90_minutes_expires_with_p0020(
    api: Api, ctax_refs: list[str]
) -> None:
    created = api.create(ctax_payment(ctax_refs[0])).json
    api.sandbox.open_page(created["provider_id"])
    api.clock.advance(minutes=89)
    assert jobs(api).expire() == 0
    api.clock.advance(minutes=2)
    assert jobs(api).expire() == 1
    payment = api.get(f"/v1/payments/{created['payment_id']}").json
    assert payment["state"]["status"] == "failed"
    assert payment["state"]["code"] == "P0020"
    assert jobs(api).expire() == 0


def test_a_payer_who_paid_at_the_last_moment_is_recorded_as_paid_not_expired(
    api: Api, ctax_refs: list[str]
) -> None:
    created = api.create(ctax_payment(ctax_refs[0])).json
    api.clock.advance(minutes=89)
    api.pay(created)  # the payer never comes back to the service
    api.clock.advance(minutes=2)
    assert jobs(api).expire() == 0
    payment = api.get(f"/v1/payments/{created['payment_id']}").json
    assert payment["state"]["status"] == "success"
    assert api.ledger.balance("CARD-CLR-SANDBOX") == 12345


def test_polling_records_a_payment_whose_payer_never_came_back(
    api: Api, ctax_refs: list[str]
) -> None:
    created = api.create(ctax_payment(ctax_refs[0])).json
    api.pay(created)
    api.clock.advance(minutes=3)
    assert jobs(api).poll() == 1
    assert api.ledger.balance("CARD-CLR-SANDBOX") == 12345
    assert jobs(api).poll() == 0
