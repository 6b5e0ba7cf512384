import json

import pytest
from falcon.testing import TestClient

from receipting.api.middleware import MAX_REQUEST_BODY_BYTES, MAX_REQUEST_ID_LEN
from tests.integration.receipting.conftest import LogLines

JSON = {"Content-Type": "application/json"}


def assert_error_body(body: dict[str, object], code: str) -> None:
    assert body["code"] == code
    assert isinstance(body["description"], str) and body["description"]
    assert set(body) <= {"code", "description", "field"}


def test_an_unknown_path_is_a_404_in_json(client: TestClient) -> None:
    result = client.simulate_get("/v1/nothing-here")

    assert result.status_code == 404
    assert result.headers["content-type"].startswith("application/json")
    assert_error_body(result.json, "NOT_FOUND")


def test_a_wrong_method_is_a_405_in_json_with_the_allowed_methods(client: TestClient) -> None:
    result = client.simulate_delete("/healthz")

    assert result.status_code == 405
    assert "GET" in result.headers["allow"]
    assert_error_body(result.json, "METHOD_NOT_ALLOWED")
    assert "GET" in result.json["description"]


def test_an_oversized_body_is_a_413_before_any_route_reads_it(probe_client: TestClient) -> None:
    too_big = b"[" + b"0," * (MAX_REQUEST_BODY_BYTES // 2) + b"0]"

    result = probe_client.simulate_post("/probe/echo", body=too_big, headers=JSON)

    assert result.status_code == 413
    assert_error_body(result.json, "REQUEST_BODY_TOO_LARGE")
    assert str(MAX_REQUEST_BODY_BYTES) in result.json["description"]


def test_a_body_that_is_not_json_is_a_415(probe_client: TestClient) -> None:
    result = probe_client.simulate_post(
        "/probe/echo",
        body="amount=5",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert result.status_code == 415
    assert_error_body(result.json, "UNSUPPORTED_CONTENT_TYPE")


def test_a_chunked_body_is_a_411_asking_for_a_content_length(probe_client: TestClient) -> None:
    result = probe_client.simulate_post(
        "/probe/echo", headers={**JSON, "Transfer-Encoding": "chunked"}
    )

    assert result.status_code == 411
    assert_error_body(result.json, "LENGTH_REQUIRED")


def test_malformed_json_is_a_400(probe_client: TestClient) -> None:
    result = probe_client.simulate_post("/probe/echo", body='{"amount_pence": ', headers=JSON)

    assert result.status_code == 400
    assert_error_body(result.json, "MALFORMED_JSON")


def test_a_json_body_reaches_the_resource(probe_client: TestClient) -> None:
    result = probe_client.simulate_post("/probe/echo", json={"amount_pence": 500})

    assert result.status_code == 200
    assert result.json == {"received": {"amount_pence": 500}}


@pytest.mark.parametrize("kind", ["invariant", "crash"])
def test_a_failure_inside_is_a_generic_500_with_the_detail_only_in_the_log(
    probe_client: TestClient, log_lines: LogLines, kind: str
) -> None:
    result = probe_client.simulate_get(f"/probe/fail/{kind}", headers={"X-Request-Id": "fail-1"})

    assert result.status_code == 500
    assert_error_body(result.json, "INTERNAL_ERROR")
    assert "fail-1" in result.json["description"]
    for secret in ("hunter2", "ledger_postings", "postgresql", "Traceback"):
        assert secret not in result.text
    logged = json.dumps(log_lines.for_request("fail-1"))
    assert "ledger_postings" in logged or "hunter2" in logged


def test_a_sane_request_id_from_the_client_is_echoed(client: TestClient) -> None:
    result = client.simulate_get("/healthz", headers={"X-Request-Id": "lb-7f3a.1"})

    assert result.headers["x-request-id"] == "lb-7f3a.1"


@pytest.mark.parametrize("incoming", ["two words", "x" * (MAX_REQUEST_ID_LEN + 1), "a\tb"])
def test_an_unsafe_request_id_is_replaced_by_one_of_ours(client: TestClient, incoming: str) -> None:
    result = client.simulate_get("/healthz", headers={"X-Request-Id": incoming})

    echoed = result.headers["x-request-id"]
    assert echoed != incoming
    assert echoed.isalnum()


def test_every_response_gets_its_own_request_id_even_an_error(client: TestClient) -> None:
    ids = {
        client.simulate_get("/healthz").headers["x-request-id"],
        client.simulate_get("/healthz").headers["x-request-id"],
        client.simulate_get("/nowhere").headers["x-request-id"],
        client.simulate_post("/healthz").headers["x-request-id"],
    }

    assert len(ids) == 4


def test_the_requests_log_line_carries_its_request_id(
    client: TestClient, log_lines: LogLines
) -> None:
    client.simulate_get("/v1/nothing-here", headers={"X-Request-Id": "trace-99"})

    (access,) = [
        line for line in log_lines.for_request("trace-99") if line["logger"] == "receipting.access"
    ]
    assert (access["method"], access["path"], access["status"]) == ("GET", "/v1/nothing-here", 404)
    assert access["error_code"] == "NOT_FOUND"
    assert isinstance(access["duration_ms"], float)


def test_the_request_id_does_not_leak_into_lines_written_after_the_request(
    client: TestClient, log_lines: LogLines
) -> None:
    import logging

    client.simulate_get("/healthz", headers={"X-Request-Id": "done-1"})
    logging.getLogger("receipting.test").info("between requests")

    (line,) = [line for line in log_lines.all() if line["message"] == "between requests"]
    assert line["request_id"] is None
