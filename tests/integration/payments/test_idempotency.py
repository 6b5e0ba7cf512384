"""Idempotency-Key exactly as GOV.UK Pay: same key and body, the original; another body, 409."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from receipting.payments.tables import PaymentRow
from tests.integration.payments.conftest import Api, MakeApi, ctax_payment


def test_the_same_key_and_body_return_the_original_payment_with_200(
    api: Api, ctax_refs: list[str]
) -> None:
    body = ctax_payment(ctax_refs[0])
    first = api.create(body, **{"Idempotency-Key": "order-1"})
    again = api.create(body, **{"Idempotency-Key": "order-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["payment_id"] == first.json["payment_id"]


def test_the_same_key_with_a_different_body_is_refused_with_p0191(
    api: Api, ctax_refs: list[str]
) -> None:
    api.create(ctax_payment(ctax_refs[0]), **{"Idempotency-Key": "order-2"})
    other = api.create(ctax_payment(ctax_refs[0], amount=1), **{"Idempotency-Key": "order-2"})
    assert (other.status_code, other.json["code"]) == (409, "P0191")
    assert other.json["field"] == "Idempotency-Key"


def test_a_key_may_be_used_afresh_after_24_hours(api: Api, ctax_refs: list[str]) -> None:
    first = api.create(ctax_payment(ctax_refs[0]), **{"Idempotency-Key": "order-3"})
    api.clock.advance(hours=24, seconds=1)
    later = api.create(ctax_payment(ctax_refs[0], amount=1), **{"Idempotency-Key": "order-3"})
    assert later.status_code == 201
    assert later.json["payment_id"] != first.json["payment_id"]


def test_keys_belong_to_one_service(make_api: MakeApi, ctax_refs: list[str]) -> None:
    first = make_api(service="rates").create(ctax_payment(ctax_refs[0]), **{"Idempotency-Key": "k"})
    other = make_api(service="rents").create(
        ctax_payment(ctax_refs[0], amount=7), **{"Idempotency-Key": "k"}
    )
    assert (first.status_code, other.status_code) == (201, 201)


def test_a_malformed_key_is_refused_naming_the_header(api: Api, ctax_refs: list[str]) -> None:
    answer = api.create(ctax_payment(ctax_refs[0]), **{"Idempotency-Key": "no spaces!"})
    assert (answer.status_code, answer.json["field"]) == (422, "Idempotency-Key")


@pytest.mark.postgres_only
@pytest.mark.parametrize("db_kind", ["postgresql"], indirect=True)
def test_concurrent_duplicates_make_exactly_one_payment(
    make_api: MakeApi, ctax_refs: list[str], db_kind: str
) -> None:
    """Concurrency is tested on PostgreSQL (SQLite serialises writers)."""
    api = make_api()
    body = ctax_payment(ctax_refs[0])
    results: list[tuple[int, str]] = []
    start = threading.Barrier(6)

    def create() -> None:
        start.wait()
        answer = api.create(body, **{"Idempotency-Key": "double-click"})
        results.append((answer.status_code, answer.json["payment_id"]))

    threads = [threading.Thread(target=create) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(status for status, _ in results) == [200, 200, 200, 200, 200, 201]
    assert len({payment_id for _, payment_id in results}) == 1
    with api.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(PaymentRow)) == 1
