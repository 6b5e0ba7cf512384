"""The state machine's transition table."""

from __future__ import annotations

import pytest

from receipting.payments.states import (
    FINISHED,
    TRANSITIONS,
    IllegalTransition,
    PaymentStatus,
    check_move,
    path_to,
)

S = PaymentStatus


def test_a_finished_payment_never_moves_again() -> None:
    for status in FINISHED:
        assert TRANSITIONS[status] == frozenset()
        for target in PaymentStatus:
            with pytest.raises(IllegalTransition):
                check_move(status, target)


def test_every_unfinished_state_can_fail_be_cancelled_or_error() -> None:
    for status in (S.CREATED, S.STARTED, S.SUBMITTED, S.CAPTURABLE):
        assert {S.FAILED, S.CANCELLED, S.ERROR} <= TRANSITIONS[status]


def test_a_gateway_state_several_steps_ahead_is_reached_through_each_step() -> None:
    assert path_to(S.CREATED, S.SUCCESS) == [S.STARTED, S.SUBMITTED, S.SUCCESS]
    assert path_to(S.CREATED, S.CAPTURABLE) == [S.STARTED, S.SUBMITTED, S.CAPTURABLE]
    assert path_to(S.STARTED, S.FAILED) == [S.FAILED]
    assert path_to(S.CAPTURABLE, S.CAPTURABLE) == []


def test_moving_backwards_or_out_of_a_finished_state_is_a_bug() -> None:
    with pytest.raises(IllegalTransition):
        path_to(S.CAPTURABLE, S.STARTED)
    with pytest.raises(IllegalTransition):
        path_to(S.SUCCESS, S.FAILED)
    with pytest.raises(IllegalTransition):
        check_move(S.CREATED, S.SUCCESS)


def test_the_migration_guards_the_same_transitions_as_the_table() -> None:
    import importlib

    migration = importlib.import_module("migrations.versions.0005_payments")
    pairs = {
        f"{source.value}>{target.value}"
        for source, targets in TRANSITIONS.items()
        for target in targets
    }
    assert set(migration.TRANSITIONS) == pairs
