"""The whole matrix: every /v1/ route and method the app serves, with no key, a key lacking the
scope its resource declares, and a key holding only that scope.

The app is built as it runs in production (installed channels, sandbox gateway on, development
off), so a route added anywhere is walked here without anyone listing it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from falcon.inspect import inspect_routes
from falcon.testing import TestClient

from receipting.api import App
from receipting.auth.middleware import declared_scope
from receipting.auth.scopes import Scope
from receipting.channels import load_channels
from tests.integration.auth.conftest import IssueKey, MakeApiClient, bearer

_FIELD = re.compile(r"{([A-Za-z_][A-Za-z0-9_]*)(?::([a-z]+)[^}]*)?}")

JSON = {"Content-Type": "application/json"}


@dataclass(frozen=True, slots=True)
class Operation:
    template: str
    method: str
    path: str
    resource: object


def concrete_path(template: str) -> str:
    """A path the template matches: numbers for typed fields, a plain word for the rest."""
    return _FIELD.sub(lambda m: "1" if m.group(2) in ("int", "float") else "x", template)


def v1_operations(app: App) -> list[Operation]:
    router = app._router  # the router is the only place that holds the resource objects
    found = []
    for route in inspect_routes(app):
        if not route.path.startswith("/v1/"):
            continue
        path = concrete_path(route.path)
        match = router.find(path)
        assert match is not None, f"{path} does not route back to {route.path}"
        resource = match[0]
        for method in route.methods:
            if not method.internal:
                found.append(Operation(route.path, method.method, path, resource))
    return sorted(found, key=lambda op: (op.template, op.method))


@pytest.fixture
def production_client(make_api_client: MakeApiClient) -> TestClient:
    return make_api_client(channels=load_channels(), sandbox_gateway=True)


def call(client: TestClient, op: Operation, headers: dict[str, str]) -> int:
    body = "{}" if op.method in ("POST", "PUT", "PATCH") else None
    extra = JSON if body is not None else {}
    result = client.simulate_request(op.method, op.path, body=body, headers={**headers, **extra})
    return result.status_code


def test_the_app_serves_v1_routes_to_walk(production_client: TestClient) -> None:
    assert any(op.template.startswith("/v1/ledger/") for op in v1_operations(production_client.app))


def test_every_v1_route_declares_a_scope_for_every_method_it_answers(
    production_client: TestClient,
) -> None:
    undeclared = [
        f"{op.method} {op.template} ({type(op.resource).__name__})"
        for op in v1_operations(production_client.app)
        if declared_scope(op.resource, op.method) is None
    ]

    assert undeclared == [], "declare auth_scopes = {method: Scope...} on these resources"


def test_every_v1_operation_refuses_no_key_refuses_the_wrong_scope_and_admits_the_right_one(
    production_client: TestClient, new_key: IssueKey
) -> None:
    only = {scope: bearer(new_key(scope)) for scope in Scope}
    all_but = {scope: bearer(new_key(*(set(Scope) - {scope}))) for scope in Scope}
    wrong: list[str] = []

    for op in v1_operations(production_client.app):
        needed = declared_scope(op.resource, op.method)
        without = call(production_client, op, {})
        if without != 401:
            wrong.append(f"{op.method} {op.path} with no key: {without}, not 401")
        if needed is None:
            continue  # reported by the test above
        lacking = call(production_client, op, all_but[needed])
        if lacking != 403:
            wrong.append(f"{op.method} {op.path} without {needed.value}: {lacking}, not 403")
        holding = call(production_client, op, only[needed])
        if holding in (401, 403):
            wrong.append(f"{op.method} {op.path} with only {needed.value}: {holding}")

    assert wrong == []
