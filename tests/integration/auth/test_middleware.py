"""Every /v1/ request is authenticated, authorised by scope and rate limited, through the app."""

from __future__ import annotations

import falcon
import pytest
from falcon.testing import TestClient
from sqlalchemy.orm import Session, sessionmaker

from receipting.api import App
from receipting.api.openapi import Operation
from receipting.auth.keys import KeyVerifier, compose_key, parse_key, revoke_key
from receipting.auth.principals import ApiKeyPrincipal
from receipting.auth.scopes import Scope
from receipting.channels import AppContext
from tests.integration.auth.conftest import IssueKey, MakeApiClient, bearer
from tests.integration.receipting.conftest import LogLines

LEDGER = "/v1/ledger/accounts"


def assert_refused_without_detail(result: falcon.testing.Result) -> None:
    assert result.status_code == 401
    assert result.json["code"] == "UNAUTHENTICATED"
    assert "Authorization: Bearer" in result.json["description"]
    assert result.headers["www-authenticate"].startswith("Bearer")


def test_a_request_without_a_key_is_a_401_that_says_how_to_send_one(
    api_client: TestClient,
) -> None:
    assert_refused_without_detail(api_client.simulate_get(LEDGER))


@pytest.mark.parametrize(
    "header",
    [
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer not-a-key",
        "Bearer api_test_" + "a" * 57,
        "Bearer " + compose_key(live=False, lookup_id="aaaaaaaaaa", secret="a" * 40),
    ],
    ids=["basic", "empty", "malformed", "bad-checksum", "unknown"],
)
def test_a_malformed_or_unknown_key_gets_the_same_401_as_no_key(
    api_client: TestClient, header: str
) -> None:
    no_key = api_client.simulate_get(LEDGER)

    result = api_client.simulate_get(LEDGER, headers={"Authorization": header})

    assert_refused_without_detail(result)
    assert result.json == no_key.json


def test_a_revoked_key_gets_the_same_401_as_no_key(
    make_api_client: MakeApiClient, session_factory: sessionmaker[Session], new_key: IssueKey
) -> None:
    key = new_key(Scope.LEDGER_READ)
    revoke_key(session_factory, KeyVerifier(session_factory).verify(key).key_id)

    assert_refused_without_detail(make_api_client().simulate_get(LEDGER, headers=bearer(key)))


def test_a_key_with_the_declared_scope_is_let_through(
    api_client: TestClient, new_key: IssueKey
) -> None:
    result = api_client.simulate_get(LEDGER, headers=bearer(new_key(Scope.LEDGER_READ)))

    assert result.status_code == 200


def test_a_key_without_the_declared_scope_is_a_403_naming_the_scope_needed(
    api_client: TestClient, new_key: IssueKey
) -> None:
    key = new_key(Scope.PAYMENTS_READ, Scope.REFUNDS_WRITE)

    result = api_client.simulate_get(LEDGER, headers=bearer(key))

    assert result.status_code == 403
    assert result.json["code"] == "FORBIDDEN"
    assert "'ledger:read'" in result.json["description"]
    assert key not in result.text


@pytest.mark.parametrize("path", ["/healthz", "/openapi.json"])
def test_routes_outside_v1_need_no_key(api_client: TestClient, path: str) -> None:
    assert api_client.simulate_get(path).status_code == 200


def test_an_unknown_v1_path_is_a_404_with_or_without_a_key(api_client: TestClient) -> None:
    assert api_client.simulate_get("/v1/no-such-thing").status_code == 404


# --- a channel whose resources declare their scopes well, partly or not at all ---------------


class WhoAmIResource:
    auth_scopes = {"GET": Scope.FUNDS_READ}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        principal: ApiKeyPrincipal = req.context.principal
        resp.media = {"key_id": principal.key_id, "service": principal.service}


class PartlyDeclaredResource:
    auth_scopes = {"GET": Scope.FUNDS_READ}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {}

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"posted": True}


class UndeclaredResource:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"leaked": True}


class ScopedOutsideV1Resource:
    auth_scopes = {"GET": Scope.WEBHOOKS_MANAGE}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {}


class PublicResource:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"principal": req.context.principal}


def operation(name: str) -> Operation:
    return Operation(name, name, {"type": "object"})


class ScopeProbeChannel:
    name = "scope-probe"

    def register_routes(self, app: App, context: AppContext) -> None:
        context.routes.add("/v1/probe/whoami", WhoAmIResource(), {"GET": operation("whoami")})
        context.routes.add(
            "/v1/probe/partly",
            PartlyDeclaredResource(),
            {"GET": operation("partlyGet"), "POST": operation("partlyPost")},
        )
        context.routes.add("/v1/probe/undeclared", UndeclaredResource(), {"GET": operation("u")})
        context.routes.add("/probe/scoped", ScopedOutsideV1Resource(), {"GET": operation("s")})
        context.routes.add("/probe/public", PublicResource(), {"GET": operation("public")})


@pytest.fixture
def probe_client(make_api_client: MakeApiClient) -> TestClient:
    return make_api_client(channels=[ScopeProbeChannel()])


def every_scope() -> tuple[Scope, ...]:
    return tuple(Scope)


def test_the_authenticated_key_is_the_requests_principal(
    probe_client: TestClient, new_key: IssueKey, session_factory: sessionmaker[Session]
) -> None:
    key = new_key(Scope.FUNDS_READ, service="council-tax")

    result = probe_client.simulate_get("/v1/probe/whoami", headers=bearer(key))

    assert result.json == {
        "key_id": KeyVerifier(session_factory).verify(key).key_id,
        "service": "council-tax",
    }


def test_a_v1_method_that_declares_no_scope_is_refused_even_to_a_key_with_every_scope(
    probe_client: TestClient, new_key: IssueKey, log_lines: LogLines
) -> None:
    headers = bearer(new_key(*every_scope()))

    undeclared = probe_client.simulate_get("/v1/probe/undeclared", headers=headers)
    partly = probe_client.simulate_post("/v1/probe/partly", headers=headers)

    assert (undeclared.status_code, partly.status_code) == (403, 403)
    assert "leaked" not in undeclared.text and "posted" not in partly.text
    assert any("declares no scope" in line["message"] for line in log_lines.all())


def test_a_resource_outside_v1_that_declares_scopes_needs_a_key_too(
    probe_client: TestClient, new_key: IssueKey
) -> None:
    assert probe_client.simulate_get("/probe/scoped").status_code == 401
    key = new_key(Scope.WEBHOOKS_MANAGE)
    assert probe_client.simulate_get("/probe/scoped", headers=bearer(key)).status_code == 200


def test_a_public_route_has_no_principal(probe_client: TestClient) -> None:
    assert probe_client.simulate_get("/probe/public").json == {"principal": None}


def test_a_key_over_its_rate_limit_gets_a_429_p0900_with_retry_after(
    make_api_client: MakeApiClient, new_key: IssueKey
) -> None:
    client = make_api_client(rate_limit_per_minute=2)
    limited, other = bearer(new_key(Scope.LEDGER_READ)), bearer(new_key(Scope.LEDGER_READ))

    statuses = [client.simulate_get(LEDGER, headers=limited).status_code for _ in range(3)]
    refused = client.simulate_get(LEDGER, headers=limited)

    assert statuses == [200, 200, 429]
    assert refused.status_code == 429
    assert refused.json["code"] == "P0900"
    assert int(refused.headers["retry-after"]) >= 1
    assert "Retry-After" in refused.json["description"]
    assert client.simulate_get(LEDGER, headers=other).status_code == 200


def test_requests_without_a_key_do_not_use_up_anyones_rate_limit(
    make_api_client: MakeApiClient, new_key: IssueKey
) -> None:
    client = make_api_client(rate_limit_per_minute=1)
    for _ in range(5):
        client.simulate_get(LEDGER)

    assert (
        client.simulate_get(LEDGER, headers=bearer(new_key(Scope.LEDGER_READ))).status_code == 200
    )


def test_the_key_never_appears_in_the_logs(
    probe_client: TestClient, new_key: IssueKey, log_lines: LogLines
) -> None:
    key = new_key(Scope.LEDGER_READ)
    secret = key[len("api_test_") + len(parse_key(key).lookup_id) :]

    probe_client.simulate_get(LEDGER, headers=bearer(key))
    probe_client.simulate_get("/v1/probe/whoami", headers=bearer(key))
    probe_client.simulate_get("/v1/probe/undeclared", headers=bearer(key))
    probe_client.simulate_get(LEDGER, headers=bearer(key[:-1] + "a"))

    text = str(log_lines.all())
    assert log_lines.all()
    assert secret not in text and secret[:-7] not in text
