"""Racing payers and racing refunds on PostgreSQL (SQLite serialises writers, so races cannot
happen there): a card is charged once, and no more is refunded than was captured."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pytest

from ledger.db import make_engine, make_session_factory
from receipting.gateways.base import GatewayState
from receipting.gateways.errors import GatewayRefused
from receipting.gateways.sandbox.gateway import CardForm, SandboxGateway
from tests.integration.gateways.sandbox.conftest import (
    GOOD_EXPIRY_MONTH,
    GOOD_EXPIRY_YEAR,
    PUBLIC_URL,
    FakeClock,
    payment_request,
)

T = TypeVar("T")
RACERS = 8


@pytest.fixture
def pg_gateway(pg_url: str) -> Iterator[SandboxGateway]:
    engine = make_engine(pg_url, pool_size=RACERS + 2)
    yield SandboxGateway(make_session_factory(engine), clock=FakeClock(), public_url=PUBLIC_URL)
    engine.dispose()


def all_at_once(count: int, work: Callable[[int], T]) -> list[T | Exception]:
    barrier = threading.Barrier(count)

    def run(i: int) -> T | Exception:
        barrier.wait()
        try:
            return work(i)
        except Exception as exc:  # collected and asserted on by the caller
            return exc

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def _card(number: str) -> CardForm:
    return CardForm(number, GOOD_EXPIRY_MONTH, GOOD_EXPIRY_YEAR, "123", "Jo Bloggs")


def test_racing_submissions_of_the_card_form_charge_once(pg_gateway: SandboxGateway) -> None:
    payment = pg_gateway.create(payment_request())
    token = pg_gateway.open_page(payment.gateway_ref).form_token
    numbers = ["4444333322221111", "4000000000000002"] * (RACERS // 2)
    results = all_at_once(
        RACERS, lambda i: pg_gateway.submit_card(payment.gateway_ref, token, _card(numbers[i]))
    )
    assert not [r for r in results if isinstance(r, Exception)]
    status = pg_gateway.status(payment.gateway_ref)
    assert status.state in (GatewayState.SUCCESS, GatewayState.FAILED)
    assert status.card is not None
    # The card that won is the one whose outcome was recorded: the loser changed nothing.
    winner = "1111" if status.state == GatewayState.SUCCESS else "0002"
    assert status.card.last_digits == winner


def test_racing_refunds_never_refund_more_than_was_captured(pg_gateway: SandboxGateway) -> None:
    payment = pg_gateway.create(payment_request(amount_pence=10_000))
    token = pg_gateway.open_page(payment.gateway_ref).form_token
    pg_gateway.submit_card(payment.gateway_ref, token, _card("4444333322221111"))
    results = all_at_once(
        RACERS, lambda i: pg_gateway.refund(payment.gateway_ref, 3_000, f"refund-{i}")
    )
    made = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(made) == 3  # 3 x 3,000p fit in 10,000p; a fourth would not
    assert all(isinstance(r, GatewayRefused) for r in refused)
    assert len({r.gateway_refund_ref for r in made}) == 3
