"""`receipting api-keys`, run in-process against real databases."""

from __future__ import annotations

import re

from click.testing import CliRunner, Result
from sqlalchemy.orm import Session, sessionmaker

from receipting.auth.keys import KEY_LEN, KeyVerifier, list_keys
from receipting.auth.scopes import Scope
from receipting.cli import cli
from tests.conftest import TEST_SEAL_KEY

KEY = re.compile(r"api_(test|live)_[a-z2-7]+")


def run(db_url: str, *args: str) -> Result:
    env = {
        "RECEIPTING_DATABASE_URL": db_url,
        "RECEIPTING_SEAL_KEY": TEST_SEAL_KEY.decode(),
        "RECEIPTING_LOG_LEVEL": "WARNING",
    }
    return CliRunner().invoke(cli, ["api-keys", *args], env=env)


def create(db_url: str, *extra: str) -> Result:
    return run(
        db_url,
        "create",
        "--name",
        "Parking system",
        "--service",
        "parking",
        "--scope",
        "payments:read",
        "--scope",
        "payments:write",
        *extra,
    )


def test_create_prints_a_working_key_once(
    db_url: str, session_factory: sessionmaker[Session]
) -> None:
    result = create(db_url)

    key = result.stdout.strip()
    assert result.exit_code == 0, result.output
    assert len(key) == KEY_LEN and key.startswith("api_test_")
    assert "only time" in result.stderr
    principal = KeyVerifier(session_factory).verify(key)
    assert principal.scopes == {Scope.PAYMENTS_READ, Scope.PAYMENTS_WRITE}
    assert principal.service == "parking"


def test_create_with_live_prints_a_live_key(db_url: str) -> None:
    assert create(db_url, "--live").stdout.startswith("api_live_")


def test_list_shows_each_key_without_its_secret(db_url: str) -> None:
    key = create(db_url).stdout.strip()

    result = run(db_url, "list")

    assert result.exit_code == 0, result.output
    assert "Parking system" in result.stdout
    assert "payments:read,payments:write" in result.stdout
    assert key not in result.stdout
    assert key[:19] in result.stdout  # the prefix and lookup id, to recognise it by
    assert all(len(found) < KEY_LEN for found in KEY.findall(result.stdout))


def test_list_with_no_keys_says_how_to_create_one(db_url: str) -> None:
    assert "api-keys create" in run(db_url, "list").stdout


def test_revoke_stops_the_key_and_says_when(
    db_url: str, session_factory: sessionmaker[Session]
) -> None:
    create(db_url)
    key_id = list_keys(session_factory)[0].id

    result = run(db_url, "revoke", str(key_id))

    assert result.exit_code == 0, result.output
    assert "seconds" in result.stdout
    assert list_keys(session_factory)[0].revoked_at is not None
    assert "revoked" in run(db_url, "list").stdout


def test_revoking_an_unknown_id_is_a_plain_error(db_url: str) -> None:
    result = run(db_url, "revoke", "4242")

    assert result.exit_code == 2
    assert "api-keys list" in result.output
    assert "Traceback" not in result.output


def test_an_unknown_scope_is_refused_with_the_choices(db_url: str) -> None:
    result = run(db_url, "create", "--name", "x", "--service", "parking", "--scope", "all")

    assert result.exit_code == 2
    assert "ledger:read" in result.output


def test_a_bad_service_is_refused_with_an_example(db_url: str) -> None:
    result = run(db_url, "create", "--name", "x", "--service", "Parking!", "--scope", "funds:read")

    assert result.exit_code == 2
    assert "council-tax" in result.output
