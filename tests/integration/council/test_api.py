"""GET /v1/funds, GET /v1/funds/{fund_code} and POST /v1/references/validate over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from falcon.testing import TestClient
from sqlalchemy.orm import Session, sessionmaker

from receipting.auth.keys import issue_key
from receipting.auth.scopes import Scope
from receipting.council.service import LoadReport
from tests.integration.council.conftest import load_text
from tests.integration.receipting.conftest import MakeClient
from tests.integration.receipting.schema_check import schema_problems


def bearer(session_factory: sessionmaker[Session], *scopes: Scope) -> dict[str, str]:
    key = issue_key(session_factory, name="Checkout", service="web", scopes=scopes)
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def client(
    make_client: MakeClient, session_factory: sessionmaker[Session], loaded: LoadReport
) -> TestClient:
    """The API outside development, called with a key that may read funds."""
    app = make_client(development=False).app
    return TestClient(app, headers=bearer(session_factory, Scope.FUNDS_READ))


def validate(client: TestClient, body: Any) -> Any:
    return client.simulate_post("/v1/references/validate", json=body)


def test_the_funds_are_listed_without_retired_ones_unless_asked(
    client: TestClient, session_factory: sessionmaker[Session], demo_text: str
) -> None:
    start, end = demo_text.index("[funds.PEST]"), demo_text.index("[funds.SUSPENSE]")
    load_text(session_factory, demo_text[:start] + demo_text[end:])

    result = client.simulate_get("/v1/funds")

    assert result.status_code == 200
    codes = [fund["code"] for fund in result.json["funds"]]
    assert codes == ["CTAX", "NNDR", "PCN", "PLANNING", "RENT", "SUNDRY", "SUSPENSE"]
    everything = client.simulate_get("/v1/funds", params={"include_retired": "true"})
    retired = [fund["code"] for fund in everything.json["funds"] if fund["retired"]]
    assert retired == ["PEST"]


def test_one_fund_shows_its_reference_format_in_plain_words(client: TestClient) -> None:
    result = client.simulate_get("/v1/funds/CTAX")

    assert result.status_code == 200
    assert result.json["reference"] == {
        "rule": "CTAX",
        "description": "Council tax account numbers are 9 digits and start with 77",
        "hint": "check the top right of your bill",
        "description_cy": (
            "Mae gan rifau cyfrif treth gyngor 9 digid ac maen nhw'n dechrau gyda 77"
        ),
        "hint_cy": "edrychwch ar gornel dde uchaf eich bil",
    }
    assert result.json["max_amount_pence"] == 1_000_000
    assert result.json["vat_code"] == "OOS"
    assert "on_stop" not in result.json


def test_a_fund_shows_its_welsh_name_and_where_to_find_its_reference(client: TestClient) -> None:
    result = client.simulate_get("/v1/funds/CTAX")

    assert result.json["name_cy"] == "Treth gyngor"
    assert result.json["guidance"].startswith("Your council tax account number is at the top")
    assert result.json["guidance_cy"].startswith("Mae rhif eich cyfrif treth gyngor")


def test_a_fund_without_welsh_or_a_rule_has_nulls_for_them(client: TestClient) -> None:
    fund = client.simulate_get("/v1/funds/SUSPENSE").json

    assert (fund["name_cy"], fund["guidance"], fund["guidance_cy"], fund["reference"]) == (
        None,
        None,
        None,
        None,
    )


def test_an_unknown_fund_is_404_naming_it(client: TestClient) -> None:
    result = client.simulate_get("/v1/funds/NOPE")

    assert result.status_code == 404
    assert result.json["code"] == "FUND_NOT_FOUND"
    assert "NOPE" in result.json["description"]


def test_a_valid_reference_comes_back_normalised(client: TestClient) -> None:
    result = validate(client, {"fund_code": "PCN", "reference": "bj 1234 5673"})

    assert result.status_code == 200
    assert result.json == {"valid": True, "reference": "BJ12345673"}


def test_an_invalid_reference_is_a_200_with_a_message_a_resident_understands(
    client: TestClient,
) -> None:
    result = validate(client, {"fund_code": "CTAX", "reference": "771234562"})

    assert result.status_code == 200
    assert result.json["valid"] is False
    assert "Council tax account numbers are 9 digits and start with 77" in result.json["message"]
    assert "Check the top right of your bill." in result.json["message"]
    assert result.json["problem"] == "check_character"


def test_an_on_stop_reference_gets_its_reason(client: TestClient) -> None:
    result = validate(client, {"fund_code": "PCN", "reference": "BJ76543214"})

    assert result.json["valid"] is False
    assert "appeal" in result.json["message"]
    assert result.json["problem"] == "on_stop"


def test_validating_for_an_unknown_fund_is_404(client: TestClient) -> None:
    result = validate(client, {"fund_code": "NOPE", "reference": "1"})

    assert result.status_code == 404
    assert result.json["field"] == "fund_code"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reference": "771234561"}, "fund_code"),
        ({"fund_code": "CTAX"}, "reference"),
        ({"fund_code": 7, "reference": "771234561"}, "fund_code"),
        ({"fund_code": "CTAX", "reference": 771234561}, "reference"),
        ({"fund_code": " ", "reference": "771234561"}, "fund_code"),
        ({"fund_code": "CTAX", "reference": "7" * 257}, "reference"),
        ({"fund_code": "CTAX", "reference": "771234561", "amount": 5}, "amount"),
        (None, "fund_code"),
    ],
)
def test_a_malformed_body_is_400_naming_the_field(
    client: TestClient, body: Any, field: str
) -> None:
    result = validate(client, body)

    assert result.status_code == 400
    assert result.json["code"] == "INVALID_REQUEST"
    assert result.json["field"] == field


def test_a_body_that_is_not_an_object_is_400(client: TestClient) -> None:
    result = validate(client, ["CTAX", "771234561"])

    assert result.status_code == 400
    assert "JSON object" in result.json["description"]


def test_a_bad_include_retired_is_400_naming_it(client: TestClient) -> None:
    result = client.simulate_get("/v1/funds", params={"include_retired": "yes"})

    assert result.status_code == 400
    assert result.json["field"] == "include_retired"


def test_the_funds_routes_need_a_key_with_the_funds_scope(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    no_key = client.simulate_get("/v1/funds", headers={"Authorization": ""})
    wrong_scope = client.simulate_get(
        "/v1/funds", headers=bearer(session_factory, Scope.LEDGER_READ)
    )
    assert no_key.status_code == 401
    assert wrong_scope.status_code == 403


def test_real_responses_match_the_schemas_the_document_promises(client: TestClient) -> None:
    document = client.simulate_get("/openapi.json").json
    components = document["components"]["schemas"]
    calls = [
        ("get", "/v1/funds", "/v1/funds", None, "200"),
        ("get", "/v1/funds/{fund_code}", "/v1/funds/PEST", None, "200"),
        ("get", "/v1/funds/{fund_code}", "/v1/funds/SUSPENSE", None, "200"),
        ("get", "/v1/funds/{fund_code}", "/v1/funds/NOPE", None, "404"),
        (
            "post",
            "/v1/references/validate",
            "",
            {"fund_code": "CTAX", "reference": "771234561"},
            "200",
        ),
        ("post", "/v1/references/validate", "", {"fund_code": "CTAX", "reference": "7"}, "200"),
        (
            "post",
            "/v1/references/validate",
            "",
            {"fund_code": "PCN", "reference": "BJ76543214"},
            "200",
        ),
        ("post", "/v1/references/validate", "", {"fund_code": "CTAX"}, "400"),
        ("post", "/v1/references/validate", "", {"fund_code": "X", "reference": "7"}, "404"),
    ]
    for method, template, url, body, status in calls:
        path = url or template
        result = client.simulate_request(method.upper(), path, json=body)
        promised = document["paths"][template][method]["responses"][status]
        schema = promised["content"]["application/json"]["schema"]

        assert str(result.status_code) == status, (path, result.json)
        assert schema_problems(result.json, schema, components) == [], path
