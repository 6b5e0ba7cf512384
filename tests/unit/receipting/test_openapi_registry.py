from typing import Any

import falcon
import falcon.testing
import pytest

from ledger.errors import AccountNotFound
from receipting.api.openapi import (
    ApiInfo,
    Operation,
    Parameter,
    RouteDocumentationError,
    RouteRegistry,
)
from receipting.errors import InvalidRequest

INFO = ApiInfo(title="Test API", version="1.2.3", description="For tests.")

CODE = Parameter("code", "path", "The code.", {"type": "string"})


def operation(operation_id: str = "getThing", **overrides: Any) -> Operation:
    fields: dict[str, Any] = {
        "operation_id": operation_id,
        "summary": "A thing",
        "response_schema": {"type": "object"},
        **overrides,
    }
    return Operation(**fields)


class ThingResource:
    def on_get(self, req: falcon.Request, resp: falcon.Response, code: str) -> None:
        resp.media = {"code": code}


class ReadWriteResource:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {}

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {}


@pytest.fixture
def registry() -> RouteRegistry:
    return RouteRegistry(falcon.App())


def test_a_registered_route_is_documented_with_its_parameters_and_errors(
    registry: RouteRegistry,
) -> None:
    as_at = Parameter("as_at", "query", "A date.", {"type": "string", "format": "date"})
    registry.add(
        "/things/{code}",
        ThingResource(),
        {"GET": operation(parameters=(CODE, as_at), errors=(InvalidRequest, AccountNotFound))},
    )

    document = registry.document(INFO)
    get = document["paths"]["/things/{code}"]["get"]

    assert document["openapi"] == "3.1.0"
    assert document["info"] == {
        "title": "Test API",
        "version": "1.2.3",
        "description": "For tests.",
    }
    assert [(p["name"], p["in"], p["required"]) for p in get["parameters"]] == [
        ("code", "path", True),
        ("as_at", "query", False),
    ]
    assert set(get["responses"]) == {"200", "400", "404", "default"}
    assert "ACCOUNT_NOT_FOUND" in get["responses"]["404"]["description"]
    error_schema = get["responses"]["404"]["content"]["application/json"]["schema"]
    assert error_schema == {"$ref": "#/components/schemas/Error"}
    assert "Error" in document["components"]["schemas"]


def test_a_path_parameter_is_always_required(registry: RouteRegistry) -> None:
    optional_code = Parameter("code", "path", "The code.", {"type": "string"}, required=False)
    registry.add("/things/{code}", ThingResource(), {"GET": operation(parameters=(optional_code,))})

    get = registry.document(INFO)["paths"]["/things/{code}"]["get"]

    assert get["parameters"][0]["required"] is True


def test_a_method_the_resource_answers_but_nobody_documented_is_refused(
    registry: RouteRegistry,
) -> None:
    with pytest.raises(RouteDocumentationError, match="POST"):
        registry.add("/things", ReadWriteResource(), {"GET": operation()})


def test_a_documented_method_the_resource_does_not_answer_is_refused(
    registry: RouteRegistry,
) -> None:
    with pytest.raises(RouteDocumentationError, match="DELETE"):
        registry.add(
            "/things",
            ReadWriteResource(),
            {
                "GET": operation("a"),
                "POST": operation("b"),
                "DELETE": operation("c"),
            },
        )


def test_path_parameters_that_differ_from_the_path_template_are_refused(
    registry: RouteRegistry,
) -> None:
    with pytest.raises(RouteDocumentationError, match="path parameters"):
        registry.add("/things/{code}", ThingResource(), {"GET": operation()})


def test_an_operation_id_used_twice_is_refused(registry: RouteRegistry) -> None:
    registry.add("/things/{code}", ThingResource(), {"GET": operation(parameters=(CODE,))})

    with pytest.raises(RouteDocumentationError, match="operationId"):
        registry.add("/other/{code}", ThingResource(), {"GET": operation(parameters=(CODE,))})


def test_a_refused_route_is_not_added_to_the_app() -> None:
    app = falcon.App()
    registry = RouteRegistry(app)

    with pytest.raises(RouteDocumentationError):
        registry.add("/things", ReadWriteResource(), {"GET": operation()})

    assert falcon.testing.TestClient(app).simulate_get("/things").status_code == 404
    assert registry.routes == ()


def test_methods_are_documented_in_lower_case_as_openapi_requires(
    registry: RouteRegistry,
) -> None:
    registry.add("/things", ReadWriteResource(), {"get": operation("a"), "post": operation("b")})

    assert set(registry.document(INFO)["paths"]["/things"]) == {"get", "post"}
