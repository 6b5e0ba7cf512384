"""The OpenAPI document against the routes the app really serves, walked through Falcon's router."""

from datetime import date
from typing import Any

import pytest
from falcon.inspect import inspect_routes
from falcon.testing import TestClient
from sqlalchemy.orm import Session, sessionmaker

from ledger import AccountKind, EntryRequest, LedgerService, PostingLine
from receipting.api import App
from receipting.auth.keys import issue_key
from receipting.auth.scopes import Scope
from tests.integration.receipting.conftest import MakeClient, ProbeChannel
from tests.integration.receipting.schema_check import schema_problems

LEDGER_PATHS = {
    "/v1/ledger/accounts",
    "/v1/ledger/accounts/{account_code}/balance",
    "/v1/ledger/trial-balance",
}


def served_operations(app: App) -> set[tuple[str, str]]:
    """(path, method) for every responder the router holds, leaving out the 405 and OPTIONS
    responders Falcon adds by itself."""
    return {
        (route.path, method.method)
        for route in inspect_routes(app)
        for method in route.methods
        if not method.internal
    }


def documented_operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(path, method.upper()) for path, item in document["paths"].items() for method in item}


def app_of(client: TestClient) -> App:
    app: App = client.app
    return app


@pytest.mark.parametrize("development", [True, False], ids=["development", "production"])
def test_every_served_route_is_documented_and_every_documented_route_is_served(
    make_client: MakeClient, development: bool
) -> None:
    client = make_client(development=development, channels=[ProbeChannel()])

    document = client.simulate_get("/openapi.json").json

    assert documented_operations(document) == served_operations(app_of(client))
    assert ("/probe/echo", "POST") in documented_operations(document)


def test_the_document_is_openapi_3_1_and_names_the_api(client: TestClient) -> None:
    document = client.simulate_get("/openapi.json").json

    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"]
    assert "Authorization: Bearer" in document["info"]["description"]
    assert {"/healthz", "/openapi.json"} | LEDGER_PATHS <= set(document["paths"])


def test_the_ledger_paths_are_documented_outside_development_too(
    make_client: MakeClient,
) -> None:
    document = make_client(development=False).simulate_get("/openapi.json").json

    assert set(document["paths"]) >= LEDGER_PATHS


def test_each_operation_documents_its_errors_with_the_error_schema(client: TestClient) -> None:
    document = client.simulate_get("/openapi.json").json
    balance = document["paths"]["/v1/ledger/accounts/{account_code}/balance"]["get"]

    assert {"200", "400", "401", "403", "404", "429", "default"} == set(balance["responses"])
    for status in ("400", "401", "403", "404", "429", "default"):
        schema = balance["responses"][status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Error"}


def test_real_responses_match_the_schemas_the_document_promises(
    client: TestClient, ledger_service: LedgerService, session_factory: sessionmaker[Session]
) -> None:
    key = issue_key(session_factory, name="Reports", service="finance", scopes=[Scope.LEDGER_READ])
    ledger_service.open_account("CARD", "Card clearing", AccountKind.ASSET)
    ledger_service.open_account("CTAX", "Council tax", AccountKind.INCOME)
    ledger_service.post(
        EntryRequest(
            date(2026, 4, 1), "card", (PostingLine("CARD", 9900), PostingLine("CTAX", -9900))
        )
    )
    document = client.simulate_get("/openapi.json").json
    components = document["components"]["schemas"]
    requests = {
        ("/healthz", "/healthz", "200"),
        ("/v1/ledger/accounts", "/v1/ledger/accounts", "200"),
        (
            "/v1/ledger/accounts/{account_code}/balance",
            "/v1/ledger/accounts/CARD/balance?as_at=2026-04-01",
            "200",
        ),
        ("/v1/ledger/trial-balance", "/v1/ledger/trial-balance", "200"),
        (
            "/v1/ledger/accounts/{account_code}/balance",
            "/v1/ledger/accounts/NOPE/balance",
            "404",
        ),
        ("/v1/ledger/trial-balance", "/v1/ledger/trial-balance?as_at=soon", "400"),
        ("/v1/ledger/trial-balance", "/v1/ledger/trial-balance#no-key", "401"),
    }

    for template, url, status in sorted(requests):
        url, _, no_key = url.partition("#")
        path, _, query = url.partition("?")
        headers = {} if no_key else {"Authorization": f"Bearer {key}"}
        result = client.simulate_get(path, query_string=query, headers=headers)
        promised = document["paths"][template]["get"]["responses"][status]
        schema = promised["content"]["application/json"]["schema"]

        assert str(result.status_code) == status, url
        assert schema_problems(result.json, schema, components) == [], url
