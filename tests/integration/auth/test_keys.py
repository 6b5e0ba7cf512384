"""Issuing, listing, revoking and verifying keys against real databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from receipting.auth.errors import ApiKeyNotFound, InvalidApiKeyRequest, NotAuthenticated
from receipting.auth.keys import (
    VERIFIED_KEY_CACHE_TTL_S,
    KeyVerifier,
    compose_key,
    issue_key,
    list_keys,
    parse_key,
    revoke_key,
)
from receipting.auth.principals import ApiKeyPrincipal
from receipting.auth.scopes import Scope
from receipting.auth.tables import ApiKeyRow

NOON = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


class FakeMonotonic:
    def __init__(self) -> None:
        self.now_s = 0.0

    def __call__(self) -> float:
        return self.now_s


def issue(session_factory: sessionmaker[Session], *scopes: Scope, live: bool = False) -> str:
    return issue_key(
        session_factory,
        name="Parking system",
        service="parking",
        scopes=scopes or (Scope.PAYMENTS_READ,),
        live=live,
        clock=lambda: NOON,
    )


def test_an_issued_key_verifies_as_its_principal(
    session_factory: sessionmaker[Session],
) -> None:
    key = issue(session_factory, Scope.PAYMENTS_READ, Scope.PAYMENTS_WRITE, live=True)

    principal = KeyVerifier(session_factory).verify(key)

    assert key.startswith("api_live_")
    assert principal == ApiKeyPrincipal(
        key_id=principal.key_id,
        name="Parking system",
        service="parking",
        scopes=frozenset({Scope.PAYMENTS_READ, Scope.PAYMENTS_WRITE}),
        live=True,
    )


def test_only_a_slow_hash_of_the_key_is_stored(session_factory: sessionmaker[Session]) -> None:
    key = issue(session_factory)

    with session_factory() as session:
        row = session.scalars(select(ApiKeyRow)).one()

    assert row.secret_hash.startswith("scrypt$")
    assert key not in row.secret_hash
    assert row.lookup_id == parse_key(key).lookup_id
    assert key[len("api_test_") + len(row.lookup_id) :] not in repr(row.__dict__)


def test_a_well_formed_key_that_was_never_issued_is_refused(
    session_factory: sessionmaker[Session],
) -> None:
    issue(session_factory)
    made_up = compose_key(live=False, lookup_id="zzzzzzzzzz", secret="a" * 40)

    with pytest.raises(NotAuthenticated):
        KeyVerifier(session_factory).verify(made_up)


def test_a_key_with_a_real_lookup_id_but_the_wrong_secret_is_refused(
    session_factory: sessionmaker[Session],
) -> None:
    key = issue(session_factory)
    forged = compose_key(live=False, lookup_id=parse_key(key).lookup_id, secret="b" * 40)

    with pytest.raises(NotAuthenticated):
        KeyVerifier(session_factory).verify(forged)


def test_a_test_key_presented_as_live_is_refused(session_factory: sessionmaker[Session]) -> None:
    key = issue(session_factory)
    lookup_id = parse_key(key).lookup_id
    body = key[len("api_test_") + len(lookup_id) : -7]
    as_live = compose_key(live=True, lookup_id=lookup_id, secret=body)

    with pytest.raises(NotAuthenticated):
        KeyVerifier(session_factory).verify(as_live)


def test_keys_are_listed_without_their_secrets(session_factory: sessionmaker[Session]) -> None:
    first = issue(session_factory, Scope.LEDGER_READ)
    issue(session_factory, Scope.FUNDS_READ, live=True)

    keys = list_keys(session_factory)

    assert [(k.name, k.live, k.scopes) for k in keys] == [
        ("Parking system", False, frozenset({Scope.LEDGER_READ})),
        ("Parking system", True, frozenset({Scope.FUNDS_READ})),
    ]
    assert keys[0].created_at == NOON
    assert first.startswith(keys[0].shown_prefix)
    assert first not in repr(keys)


def test_a_revoked_key_is_refused_once_the_cache_has_expired(
    session_factory: sessionmaker[Session],
) -> None:
    clock = FakeMonotonic()
    verifier = KeyVerifier(session_factory, monotonic=clock)
    key = issue(session_factory)
    key_id = verifier.verify(key).key_id

    revoked = revoke_key(session_factory, key_id, clock=lambda: NOON)

    assert revoked.revoked_at == NOON
    assert verifier.verify(key).key_id == key_id  # still trusted from the cache
    clock.now_s += VERIFIED_KEY_CACHE_TTL_S
    with pytest.raises(NotAuthenticated):
        verifier.verify(key)
    with pytest.raises(NotAuthenticated):
        KeyVerifier(session_factory).verify(key)


def test_revoking_a_key_twice_keeps_the_first_revocation_time(
    session_factory: sessionmaker[Session],
) -> None:
    key_id = KeyVerifier(session_factory).verify(issue(session_factory)).key_id
    revoke_key(session_factory, key_id, clock=lambda: NOON)

    again = revoke_key(session_factory, key_id, clock=lambda: datetime(2027, 1, 1, tzinfo=UTC))

    assert again.revoked_at == NOON


def test_revoking_an_unknown_key_says_how_to_find_the_right_id(
    session_factory: sessionmaker[Session],
) -> None:
    with pytest.raises(ApiKeyNotFound, match="api-keys list"):
        revoke_key(session_factory, 999)


@pytest.mark.parametrize(
    ("name", "service", "scopes", "field"),
    [
        ("", "parking", ["payments:read"], "name"),
        ("x" * 101, "parking", ["payments:read"], "name"),
        ("Parking", "Parking Team", ["payments:read"], "service"),
        ("Parking", "", ["payments:read"], "service"),
        ("Parking", "parking", [], "scopes"),
        ("Parking", "parking", ["payments:everything"], "scopes"),
    ],
)
def test_a_key_with_a_bad_name_service_or_scope_is_not_issued(
    session_factory: sessionmaker[Session],
    name: str,
    service: str,
    scopes: list[str],
    field: str,
) -> None:
    with pytest.raises(InvalidApiKeyRequest) as refused:
        issue_key(session_factory, name=name, service=service, scopes=scopes)

    assert refused.value.field == field
    assert list_keys(session_factory) == []


def test_the_cache_forgets_the_least_recently_used_key_beyond_its_size(
    session_factory: sessionmaker[Session],
) -> None:
    verifier = KeyVerifier(session_factory, cache_size=1)
    first, second = issue(session_factory), issue(session_factory)
    first_id = verifier.verify(first).key_id
    verifier.verify(second)

    revoke_key(session_factory, first_id)

    with pytest.raises(NotAuthenticated):
        verifier.verify(first)
