"""The key's text and its stored hash: no database needed."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from receipting.auth.errors import NotAuthenticated
from receipting.auth.keys import (
    ALPHABET,
    KEY_LEN,
    LIVE_PREFIX,
    SECRET_LEN,
    TEST_PREFIX,
    bearer_key,
    compose_key,
    hash_key,
    key_matches_hash,
    parse_key,
)
from receipting.auth.tables import LOOKUP_ID_LEN

LOOKUP_ID = "abcdefghij"
SECRET = "a" * 20 + "234567" + "b" * 14


def test_a_composed_key_parses_back_to_its_mode_and_lookup_id() -> None:
    key = compose_key(live=True, lookup_id=LOOKUP_ID, secret=SECRET)

    parsed = parse_key(key)

    assert key.startswith(LIVE_PREFIX)
    assert len(key) == KEY_LEN
    assert (parsed.live, parsed.lookup_id) == (True, LOOKUP_ID)


def test_a_test_key_is_told_apart_from_a_live_key() -> None:
    key = compose_key(live=False, lookup_id=LOOKUP_ID, secret=SECRET)

    assert key.startswith(TEST_PREFIX)
    assert parse_key(key).live is False


def test_the_secret_carries_at_least_160_random_bits() -> None:
    bits_per_symbol = len(ALPHABET).bit_length() - 1

    assert SECRET_LEN * bits_per_symbol >= 160


@pytest.mark.parametrize(
    "text",
    [
        "",
        "api_test_",
        "Bearer",
        "api_prod_" + "a" * (KEY_LEN - len(TEST_PREFIX)),
        "api_test_" + "A" * (KEY_LEN - len(TEST_PREFIX)),
        "api_test_" + "a" * (KEY_LEN - len(TEST_PREFIX)),
        "api_test_" + "a" * 500,
    ],
)
def test_malformed_keys_are_refused_without_a_database(text: str) -> None:
    with pytest.raises(NotAuthenticated):
        parse_key(text)


@settings(max_examples=200)
@given(position=st.integers(min_value=len(TEST_PREFIX), max_value=KEY_LEN - 1), data=st.data())
def test_changing_any_one_character_of_a_key_breaks_its_checksum(
    position: int, data: st.DataObject
) -> None:
    key = compose_key(live=False, lookup_id=LOOKUP_ID, secret=SECRET)
    replacement = data.draw(st.sampled_from([c for c in ALPHABET if c != key[position]]))
    changed = key[:position] + replacement + key[position + 1 :]

    with pytest.raises(NotAuthenticated):
        parse_key(changed)


def test_a_hash_matches_its_own_key_and_no_other() -> None:
    key = compose_key(live=False, lookup_id=LOOKUP_ID, secret=SECRET)
    other = compose_key(live=False, lookup_id=LOOKUP_ID, secret=SECRET[::-1])

    stored = hash_key(key)

    assert key_matches_hash(key, stored)
    assert not key_matches_hash(other, stored)
    assert key not in stored


def test_the_same_key_hashed_twice_gives_different_salted_hashes() -> None:
    key = compose_key(live=False, lookup_id=LOOKUP_ID, secret=SECRET)

    assert hash_key(key) != hash_key(key)


@pytest.mark.parametrize("stored", ["", "scrypt$1$2", "bcrypt$a$b$c$d$e", "scrypt$x$8$1$AA==$AA=="])
def test_a_damaged_stored_hash_matches_nothing(stored: str) -> None:
    key = compose_key(live=False, lookup_id=LOOKUP_ID, secret=SECRET)

    assert not key_matches_hash(key, stored)


@pytest.mark.parametrize(
    ("header", "key"),
    [("Bearer api_test_x", "api_test_x"), ("bearer  api_test_x ", "api_test_x")],
)
def test_the_key_is_read_from_a_bearer_authorization_header(header: str, key: str) -> None:
    assert bearer_key(header) == key


@pytest.mark.parametrize("header", [None, "", "Basic dXNlcjpwYXNz", "api_test_x", "Token abc"])
def test_a_header_that_is_not_a_bearer_token_is_refused(header: str | None) -> None:
    with pytest.raises(NotAuthenticated):
        bearer_key(header)


def test_the_lookup_id_is_the_public_start_of_the_key_body() -> None:
    key = compose_key(live=False, lookup_id=LOOKUP_ID, secret=SECRET)

    assert key[len(TEST_PREFIX) : len(TEST_PREFIX) + LOOKUP_ID_LEN] == LOOKUP_ID
