"""Residents' sign-in attempts, sessions and saved references, on both databases."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ledger.db import make_engine, make_session_factory
from receipting.residents.errors import (
    SavedReferenceNotFound,
    SignInAttemptUnknown,
    TooManySavedReferences,
)
from receipting.residents.service import (
    MAX_SAVED_REFERENCES,
    PURGE_AFTER,
    SESSION_TTL,
    SIGN_IN_ATTEMPT_TTL,
    ResidentService,
)
from receipting.residents.tables import ResidentAccountRow, ResidentSessionRow, SignInAttemptRow

ISSUER = "https://oidc.example.test"
SUBJECT = "urn:fdc:gov.uk:2022:abc"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def residents(session_factory: sessionmaker[Session], clock: Clock) -> ResidentService:
    return ResidentService(session_factory, clock)


def test_a_sign_in_attempt_can_be_taken_once_only(residents: ResidentService) -> None:
    residents.begin_sign_in("state-1", "nonce-1", "verifier-1", "/pay/check", "cy")
    attempt = residents.take_sign_in_attempt("state-1")
    assert (attempt.nonce, attempt.code_verifier, attempt.return_path, attempt.language) == (
        "nonce-1",
        "verifier-1",
        "/pay/check",
        "cy",
    )
    with pytest.raises(SignInAttemptUnknown):
        residents.take_sign_in_attempt("state-1")


def test_an_unknown_state_is_refused(residents: ResidentService) -> None:
    with pytest.raises(SignInAttemptUnknown):
        residents.take_sign_in_attempt("never-issued")


def test_an_expired_sign_in_attempt_is_refused(residents: ResidentService, clock: Clock) -> None:
    residents.begin_sign_in("state-2", "n", "v", "/account", "en")
    clock.now += SIGN_IN_ATTEMPT_TTL
    with pytest.raises(SignInAttemptUnknown):
        residents.take_sign_in_attempt("state-2")


def test_the_state_itself_is_not_stored(
    residents: ResidentService, session_factory: sessionmaker[Session]
) -> None:
    residents.begin_sign_in("plain-state-value", "n", "v", "/account", "en")
    with session_factory() as session:
        stored = session.scalars(select(SignInAttemptRow.state_sha256)).one()
    assert stored != "plain-state-value" and len(stored) == 64


def test_an_address_elsewhere_is_not_kept_as_where_to_return(residents: ResidentService) -> None:
    residents.begin_sign_in("state-3", "n", "v", "https://evil.example/", "en")
    assert residents.take_sign_in_attempt("state-3").return_path == "/account"


@pytest.mark.postgres_only
def test_racing_callbacks_with_one_state_let_exactly_one_through(pg_url: str, clock: Clock) -> None:
    engine = make_engine(pg_url)
    residents = ResidentService(make_session_factory(engine), clock)
    residents.begin_sign_in("raced", "n", "v", "/account", "en")
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def take() -> None:
        barrier.wait()
        try:
            residents.take_sign_in_attempt("raced")
            outcomes.append("taken")
        except SignInAttemptUnknown:
            outcomes.append("refused")

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.dispose()
    assert sorted(outcomes) == ["refused"] * 7 + ["taken"]


def test_signing_in_makes_an_account_once_and_a_session_each_time(
    residents: ResidentService, session_factory: sessionmaker[Session]
) -> None:
    token_1, first = residents.sign_in(ISSUER, SUBJECT, "a@example.org", "id-token-1")
    token_2, second = residents.sign_in(ISSUER, SUBJECT, "b@example.org", "id-token-2")
    assert first.resident.id == second.resident.id
    assert token_1 != token_2
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(ResidentAccountRow)) == 1
        assert session.scalar(select(func.count()).select_from(ResidentSessionRow)) == 2
        account = session.scalars(select(ResidentAccountRow)).one()
        assert account.email == "b@example.org"
        stored = set(session.scalars(select(ResidentSessionRow.token_sha256)))
    assert token_1 not in stored and token_2 not in stored


def test_a_session_is_found_by_its_token_until_it_expires(
    residents: ResidentService, clock: Clock
) -> None:
    token, _ = residents.sign_in(ISSUER, SUBJECT, None, "id-token")
    found = residents.current(token)
    assert found is not None and found.resident.subject == SUBJECT
    assert residents.current("someone-elses-guess") is None
    assert residents.current(None) is None
    clock.now += SESSION_TTL
    assert residents.current(token) is None


def test_signing_out_ends_the_session_and_gives_back_the_id_token_once(
    residents: ResidentService,
) -> None:
    token, _ = residents.sign_in(ISSUER, SUBJECT, None, "the-id-token")
    assert residents.end_session(token) == "the-id-token"
    assert residents.current(token) is None
    assert residents.end_session(token) is None


def test_saved_references_are_kept_once_and_only_for_their_owner(
    residents: ResidentService,
) -> None:
    _, mine = residents.sign_in(ISSUER, SUBJECT, None, "t")
    _, theirs = residents.sign_in(ISSUER, "urn:fdc:gov.uk:2022:other", None, "t")
    residents.save_reference(mine.resident.id, "CTAX", "771234561")
    residents.save_reference(mine.resident.id, "CTAX", "771234561")
    saved = residents.saved_references(mine.resident.id)
    assert [(s.fund_code, s.reference) for s in saved] == [("CTAX", "771234561")]
    assert residents.saved_references(theirs.resident.id) == []
    with pytest.raises(SavedReferenceNotFound):
        residents.remove_reference(theirs.resident.id, saved[0].id)
    residents.remove_reference(mine.resident.id, saved[0].id)
    assert residents.saved_references(mine.resident.id) == []


def test_an_account_keeps_at_most_the_limit_of_saved_references(
    residents: ResidentService,
) -> None:
    _, signed_in = residents.sign_in(ISSUER, SUBJECT, None, "t")
    for n in range(MAX_SAVED_REFERENCES):
        residents.save_reference(signed_in.resident.id, "CTAX", f"77{n:07d}")
    with pytest.raises(TooManySavedReferences):
        residents.save_reference(signed_in.resident.id, "CTAX", "779999999")


def test_a_session_outlives_nothing_longer_than_its_limit(
    residents: ResidentService, clock: Clock
) -> None:
    _, signed_in = residents.sign_in(ISSUER, SUBJECT, None, "t")
    assert signed_in.expires_at - clock.now == SESSION_TTL
    assert timedelta(hours=1) >= SESSION_TTL


def test_old_sessions_and_sign_in_attempts_are_purged_and_live_ones_kept(
    residents: ResidentService, clock: Clock, session_factory: sessionmaker[Session]
) -> None:
    residents.begin_sign_in("old-state", "n", "v", "/account", "en")
    old_token, _ = residents.sign_in(ISSUER, SUBJECT, None, "t")
    clock.now += PURGE_AFTER + SESSION_TTL + SIGN_IN_ATTEMPT_TTL
    residents.begin_sign_in("new-state", "n", "v", "/account", "en")
    new_token, _ = residents.sign_in(ISSUER, SUBJECT, None, "t")
    assert residents.purge() == 2
    assert residents.purge() == 0
    assert residents.current(new_token) is not None
    residents.take_sign_in_attempt("new-state")
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(ResidentSessionRow)) == 1
    assert residents.current(old_token) is None
