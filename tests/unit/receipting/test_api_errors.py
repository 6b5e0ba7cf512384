import inspect
import re
from http import HTTPStatus
from pathlib import Path

import falcon
import pytest

from ledger import errors as ledger_errors
from receipting import errors as receipting_errors
from receipting.api.errors import (
    ERROR_TABLE,
    DependencyUnavailable,
    RequestBodyTooLarge,
    code_for,
    error_body,
    mapping_for,
    status_for,
)
from receipting.logs import bind_request_id, reset_request_id

SOURCE_ROOT = Path(__file__).resolve().parents[3]


def ledger_refusals() -> list[type[ledger_errors.LedgerError]]:
    return [
        cls
        for _, cls in inspect.getmembers(ledger_errors, inspect.isclass)
        if issubclass(cls, ledger_errors.LedgerError)
    ]


@pytest.mark.parametrize("error_class", ledger_refusals(), ids=lambda cls: cls.__name__)
def test_every_ledger_refusal_is_a_client_error_with_its_own_code(
    error_class: type[ledger_errors.LedgerError],
) -> None:
    assert 400 <= status_for(error_class) < 500
    assert code_for(error_class) == error_class.code


def test_an_unknown_account_is_a_404_and_a_duplicate_one_a_409() -> None:
    assert status_for(ledger_errors.AccountNotFound) == HTTPStatus.NOT_FOUND
    assert status_for(ledger_errors.DuplicateAccount) == HTTPStatus.CONFLICT


def test_a_subclass_takes_its_bases_status_but_keeps_its_own_code() -> None:
    error = ledger_errors.UnbalancedEntry("sums to 5", field="lines")

    mapping = mapping_for(error)
    body = error_body(error, mapping)

    assert mapping.status == HTTPStatus.UNPROCESSABLE_ENTITY
    assert body == {"code": "UNBALANCED_ENTRY", "description": "sums to 5", "field": "lines"}


def test_a_broken_ledger_invariant_is_a_500_that_reveals_nothing() -> None:
    error = ledger_errors.LedgerInvariantBroken("entry 7 postings sum to 5 in table postings")
    token = bind_request_id("req-123")
    try:
        body = error_body(error, mapping_for(error))
    finally:
        reset_request_id(token)

    assert mapping_for(error).status == HTTPStatus.INTERNAL_SERVER_ERROR
    assert body["code"] == "INTERNAL_ERROR"
    assert "postings" not in body["description"]
    assert "req-123" in body["description"]
    assert "field" not in body


def test_an_unexpected_exception_is_a_500_that_reveals_nothing() -> None:
    error = KeyError("password=hunter2")

    body = error_body(error, mapping_for(error))

    assert mapping_for(error).status == HTTPStatus.INTERNAL_SERVER_ERROR
    assert body["code"] == "INTERNAL_ERROR"
    assert "hunter2" not in body["description"]


def test_a_hidden_error_does_not_reveal_its_own_code_or_field() -> None:
    error = receipting_errors.ConfigurationError("bad DSN postgresql://x:y@h/db", field="dsn")

    body = error_body(error, mapping_for(error))

    assert body["code"] == "INTERNAL_ERROR"
    assert "field" not in body
    assert "postgresql" not in body["description"]


def test_the_field_is_left_out_when_no_single_field_is_at_fault() -> None:
    error = receipting_errors.InvalidRequest("Send JSON.")

    assert error_body(error, mapping_for(error)) == {
        "code": "INVALID_REQUEST",
        "description": "Send JSON.",
    }


def test_a_too_large_body_is_a_413() -> None:
    assert status_for(RequestBodyTooLarge) == HTTPStatus.REQUEST_ENTITY_TOO_LARGE


def test_an_unreachable_dependency_is_a_503() -> None:
    assert status_for(DependencyUnavailable) == HTTPStatus.SERVICE_UNAVAILABLE


def test_a_falcon_error_not_in_the_table_keeps_falcons_status() -> None:
    mapping = mapping_for(falcon.HTTPForbidden())

    assert (mapping.status, mapping.code) == (HTTPStatus.FORBIDDEN, "FORBIDDEN")


def test_a_wrong_method_says_which_methods_are_allowed() -> None:
    error = falcon.HTTPMethodNotAllowed(["GET", "OPTIONS"])

    body = error_body(error, mapping_for(error), method="POST", path="/healthz")

    assert body["code"] == "METHOD_NOT_ALLOWED"
    assert body["description"] == "POST is not allowed on /healthz. Use one of: GET, OPTIONS."


def test_an_unknown_path_points_at_the_openapi_document() -> None:
    error = falcon.HTTPRouteNotFound()

    body = error_body(error, mapping_for(error), method="GET", path="/nowhere")

    assert body["code"] == "NOT_FOUND"
    assert "/nowhere" in body["description"]
    assert "/openapi.json" in body["description"]


def test_every_status_in_the_table_is_an_error_status() -> None:
    assert all(mapping.status >= 400 for mapping in ERROR_TABLE.values())


# Deciding an error status anywhere else would bypass the table. A resource still says how it
# succeeds (201 Created, 204 No Content, 303 See Other): those are not errors.
ERROR_STATUS_NAMES = "|".join(
    status.name for status in HTTPStatus if status.value >= HTTPStatus.BAD_REQUEST
)
STATUS_OUTSIDE_THE_TABLE = re.compile(
    rf"HTTPStatus\.({ERROR_STATUS_NAMES})\b|falcon\.HTTP_[45]\d\d"
    r"|\bstatus(_code)?\s*=\s*['\"]?[45]\d\d"
)
MAY_NAME_STATUSES = {
    Path("receipting/api/errors.py"),
    Path("receipting/api/openapi.py"),
    # Chooses the words of an error page by the status the table already decided.
    Path("receipting/web/pages.py"),
}


def test_no_http_status_is_decided_outside_the_error_table() -> None:
    offenders = [
        f"{path.relative_to(SOURCE_ROOT)}:{number}"
        for package in ("receipting", "channels")
        for path in sorted((SOURCE_ROOT / package).rglob("*.py"))
        if path.relative_to(SOURCE_ROOT) not in MAY_NAME_STATUSES
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if STATUS_OUTSIDE_THE_TABLE.search(line)
    ]

    assert offenders == []
