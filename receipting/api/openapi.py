"""The OpenAPI 3.1 document, built from the routes themselves so the two cannot drift.

A route is added to the app only through `RouteRegistry.add`, together with an `Operation` for
each HTTP method its resource answers. `add` refuses a resource that answers a method it does not
document, documents a method it does not answer, or whose path parameters differ from its path
template. The error responses of an operation are named by exception class and their statuses
looked up in the API's error table, so the document cannot disagree with it either.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Literal

import falcon

from receipting.api import App
from receipting.api.errors import ERROR_BODY_SCHEMA, code_for, status_for

OPENAPI_VERSION = "3.1.0"

JsonSchema = Mapping[str, Any]

_PATH_FIELD = re.compile(r"{([A-Za-z_][A-Za-z0-9_]*)}")


class RouteDocumentationError(Exception):
    """A route and its documentation disagree; raised while the app is built, never serving."""


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    location: Literal["path", "query", "header"]
    description: str
    schema: JsonSchema
    required: bool = False


@dataclass(frozen=True, slots=True)
class Operation:
    operation_id: str
    summary: str
    response_schema: JsonSchema
    description: str = ""
    parameters: tuple[Parameter, ...] = ()
    # The refusals worth naming for this operation; every operation also documents a default
    # error response, which covers the rest.
    errors: tuple[type[Exception], ...] = ()
    tags: tuple[str, ...] = ()
    success_status: HTTPStatus = HTTPStatus.OK
    success_description: str = "Success."
    # Pages for a browser (the sandbox gateway's card page) answer HTML, not JSON.
    success_media_type: str = "application/json"
    # The JSON body the operation takes, if any (documented so clients and fuzzers know it).
    request_schema: JsonSchema | None = None
    request_media_type: str = "application/json"
    # Pages for people (resources with `error_page`) answer their errors as HTML pages too.
    error_media_type: str = "application/json"


@dataclass(frozen=True, slots=True)
class Route:
    path: str
    operations: Mapping[str, Operation]


@dataclass(frozen=True, slots=True)
class ApiInfo:
    title: str
    version: str
    description: str


class RouteRegistry:
    def __init__(self, app: App) -> None:
        self._app = app
        self._routes: list[Route] = []

    @property
    def routes(self) -> tuple[Route, ...]:
        return tuple(self._routes)

    def add(self, path: str, resource: object, operations: Mapping[str, Operation]) -> None:
        route = Route(path, {method.upper(): op for method, op in operations.items()})
        check_route(route, resource)
        self._check_unique(route)
        self._app.add_route(path, resource)
        self._routes.append(route)

    def document(self, info: ApiInfo) -> dict[str, Any]:
        return build_document(info, self._routes)

    def _check_unique(self, route: Route) -> None:
        taken = {op.operation_id for known in self._routes for op in known.operations.values()}
        for known in self._routes:
            if known.path == route.path:
                raise RouteDocumentationError(f"{route.path} is already registered.")
        for operation in route.operations.values():
            if operation.operation_id in taken:
                raise RouteDocumentationError(
                    f"operationId {operation.operation_id!r} is used twice; each must be unique."
                )


def responder_methods(resource: object) -> set[str]:
    """The HTTP methods a resource answers, by Falcon's `on_<method>` convention."""
    return {
        method
        for method in falcon.COMBINED_METHODS
        if callable(getattr(resource, f"on_{method.lower()}", None))
    }


def check_route(route: Route, resource: object) -> None:
    answered = responder_methods(resource)
    documented = set(route.operations)
    if undocumented := answered - documented:
        raise RouteDocumentationError(
            f"{type(resource).__name__} answers {sorted(undocumented)} on {route.path} without "
            "an Operation describing it; pass one for each method."
        )
    if unanswered := documented - answered:
        raise RouteDocumentationError(
            f"{route.path} documents {sorted(unanswered)}, but {type(resource).__name__} has no "
            "responder for it; remove the Operation or add the on_<method> responder."
        )
    fields = set(_PATH_FIELD.findall(route.path))
    for method, operation in route.operations.items():
        _check_path_parameters(route.path, method, operation, fields)


def _check_path_parameters(path: str, method: str, operation: Operation, fields: set[str]) -> None:
    in_path = {p.name for p in operation.parameters if p.location == "path"}
    if in_path != fields:
        raise RouteDocumentationError(
            f"{method} {path} documents path parameters {sorted(in_path)} but the path has "
            f"{sorted(fields)}; make them the same."
        )


def build_document(info: ApiInfo, routes: list[Route]) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for route in routes:
        paths[route.path] = {
            method.lower(): _operation_document(operation)
            for method, operation in sorted(route.operations.items())
        }
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": info.title, "version": info.version, "description": info.description},
        "paths": paths,
        "components": {"schemas": {"Error": ERROR_BODY_SCHEMA}},
    }


def _operation_document(operation: Operation) -> dict[str, Any]:
    document: dict[str, Any] = {
        "operationId": operation.operation_id,
        "summary": operation.summary,
        "responses": _responses(operation),
    }
    if operation.description:
        document["description"] = operation.description
    if operation.tags:
        document["tags"] = list(operation.tags)
    if operation.parameters:
        document["parameters"] = [_parameter_document(p) for p in operation.parameters]
    if operation.request_schema is not None:
        document["requestBody"] = {
            "required": True,
            "content": {operation.request_media_type: {"schema": dict(operation.request_schema)}},
        }
    return document


def _parameter_document(parameter: Parameter) -> dict[str, Any]:
    return {
        "name": parameter.name,
        "in": parameter.location,
        "description": parameter.description,
        # OpenAPI requires every path parameter to be required.
        "required": parameter.required or parameter.location == "path",
        "schema": dict(parameter.schema),
    }


def _responses(operation: Operation) -> dict[str, Any]:
    responses: dict[str, Any] = {
        str(int(operation.success_status)): {
            "description": operation.success_description,
            "content": {operation.success_media_type: {"schema": dict(operation.response_schema)}},
        }
    }
    codes_by_status: dict[HTTPStatus, list[str]] = {}
    for error in operation.errors:
        codes_by_status.setdefault(status_for(error), []).append(code_for(error))
    for status, codes in sorted(codes_by_status.items()):
        responses[str(int(status))] = _error_response(
            f"{status.phrase}: {', '.join(codes)}.", operation.error_media_type
        )
    responses["default"] = _error_response(
        "Any other error, in the same shape.", operation.error_media_type
    )
    return responses


def _error_response(description: str, media_type: str = "application/json") -> dict[str, Any]:
    if media_type != "application/json":
        schema = {"type": "string", "description": "An HTML page saying what went wrong."}
        return {"description": description, "content": {media_type: {"schema": schema}}}
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


class OpenApiResource:
    def __init__(self, registry: RouteRegistry, info: ApiInfo) -> None:
        self._registry = registry
        self._info = info

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self._registry.document(self._info)


OPENAPI_OPERATION = Operation(
    operation_id="getOpenApiDocument",
    summary="This API's OpenAPI 3.1 document",
    response_schema={"type": "object", "description": "An OpenAPI 3.1 document."},
    tags=("meta",),
)


def register(registry: RouteRegistry, info: ApiInfo) -> None:
    registry.add("/openapi.json", OpenApiResource(registry, info), {"GET": OPENAPI_OPERATION})
