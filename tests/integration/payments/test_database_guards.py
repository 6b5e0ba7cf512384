"""The database itself refuses what the code must never do, even through raw SQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.integration.payments.conftest import Api, ctax_payment


def raw(api: Api, sql: str, **params: object) -> None:
    with api.session_factory.begin() as session:
        session.execute(text(sql), params)


@pytest.fixture
def paid_id(api: Api, ctax_refs: list[str]) -> str:
    return str(api.paid(ctax_payment(ctax_refs[0]))["payment_id"])


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE payment_events SET status = 'failed' WHERE payment_id = :id",
        "DELETE FROM payment_events WHERE payment_id = :id",
        "UPDATE payment_lines SET amount_pence = 1 WHERE payment_id = :id",
        "DELETE FROM payment_receipts WHERE payment_id = :id",
        "UPDATE payments SET status = 'created' WHERE id = :id",
        "UPDATE payments SET amount_pence = 1 WHERE id = :id",
        "UPDATE payments SET refunded_pence = amount_pence + 1 WHERE id = :id",
        "DELETE FROM payments WHERE id = :id",
        "UPDATE payments SET status = 'bogus' WHERE id = :id",
    ],
)
def test_raw_sql_cannot_rewrite_a_payments_history(api: Api, paid_id: str, sql: str) -> None:
    with pytest.raises(DBAPIError):
        raw(api, sql, id=paid_id)


def test_a_payment_cannot_succeed_without_its_ledger_entry_and_receipt(
    api: Api, ctax_refs: list[str]
) -> None:
    created = api.create(ctax_payment(ctax_refs[0])).json
    raw(api, "UPDATE payments SET status = 'started' WHERE id = :id", id=created["payment_id"])
    raw(api, "UPDATE payments SET status = 'submitted' WHERE id = :id", id=created["payment_id"])
    with pytest.raises(DBAPIError):
        raw(api, "UPDATE payments SET status = 'success' WHERE id = :id", id=created["payment_id"])
