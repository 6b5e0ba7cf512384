"""Which routes need a key, and which scope a resource declares: no app or database needed."""

from __future__ import annotations

import pytest

from receipting.auth.middleware import declared_scope, needs_key
from receipting.auth.scopes import Scope


class Declares:
    auth_scopes = {"GET": Scope.PAYMENTS_READ, "POST": "payments:write"}


class DeclaresNothing:
    pass


class PublicButUnderV1:
    auth_public = True


@pytest.mark.parametrize(
    ("route", "resource", "expected"),
    [
        ("/v1/payments", DeclaresNothing(), True),
        ("/v1", DeclaresNothing(), True),
        ("/v1/payments", PublicButUnderV1(), True),
        ("/healthz", DeclaresNothing(), False),
        ("/openapi.json", PublicButUnderV1(), False),
        ("/sandbox/card/{id}", Declares(), True),
        ("/v10/things", DeclaresNothing(), False),
    ],
)
def test_a_key_is_needed_under_v1_and_wherever_a_resource_declares_scopes(
    route: str, resource: object, expected: bool
) -> None:
    assert needs_key(route, resource) is expected


def test_the_declared_scope_is_read_per_method_in_any_case() -> None:
    assert declared_scope(Declares(), "get") == Scope.PAYMENTS_READ


@pytest.mark.parametrize(
    ("resource", "method"),
    [(Declares(), "DELETE"), (Declares(), "POST"), (DeclaresNothing(), "GET")],
    ids=["method-missing", "a-string-not-a-scope", "no-declaration"],
)
def test_anything_but_a_declared_scope_counts_as_none_and_is_refused(
    resource: object, method: str
) -> None:
    assert declared_scope(resource, method) is None
