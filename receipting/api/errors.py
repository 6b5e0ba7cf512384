"""The one place where HTTP status codes are decided: a table from exception class to response.

Code below the API raises domain errors (`ledger.errors`, `receipting.errors`) that say what was
wrong and how to fix it; this table alone turns them into a status and a stable `code`. The body
is shaped like GOV.UK Pay's errors, `{"code", "description", "field"}`, with `field` left out when
no single input is at fault.

An exception is looked up by its class and then each base class in turn, so a new subclass of a
mapped error is handled sensibly before anyone adds it here. Anything unmapped, and every
`LedgerInvariantBroken`, is a 500 with a generic description: the detail goes to the log with the
request id, never to the client.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import falcon
from sqlalchemy.exc import OperationalError

from ledger import errors as ledger_errors
from receipting import errors as receipting_errors
from receipting.api import App
from receipting.auth import errors as auth_errors
from receipting.auth.oidc import errors as oidc_errors
from receipting.logs import current_request_id
from receipting.payments import errors as payment_errors

log = logging.getLogger(__name__)

GENERIC_FAILURE = (
    "Something went wrong on our side. It has been logged; quote request id {request_id} "
    "if you contact the service's operators."
)
DATABASE_UNAVAILABLE = (
    "The service cannot reach its database just now. Try again in a minute; if it goes on, "
    "quote request id {request_id} to the service's operators."
)


class RequestBodyTooLarge(receipting_errors.InvalidRequest):
    code = "REQUEST_BODY_TOO_LARGE"


class UnsupportedContentType(receipting_errors.InvalidRequest):
    code = "UNSUPPORTED_CONTENT_TYPE"


class LengthRequired(receipting_errors.InvalidRequest):
    code = "LENGTH_REQUIRED"


class DependencyUnavailable(receipting_errors.ReceiptingError):
    """Something the service needs (its database) cannot be reached; retrying later may work."""

    code = "SERVICE_UNAVAILABLE"


@dataclass(frozen=True, slots=True)
class ErrorMapping:
    status: HTTPStatus
    code: str
    # When set, sent instead of the exception's own text, which may hold internals; the
    # exception itself is then logged in full.
    public_description: str | None = None


def _refusal(status: HTTPStatus, error: type[Exception]) -> ErrorMapping:
    """A domain refusal: its code and message come from the error class itself."""
    return ErrorMapping(status, str(getattr(error, "code", "ERROR")))


ERROR_TABLE: Mapping[type[BaseException], ErrorMapping] = {
    # The ledger. 422: the request itself is wrong; 409: it clashes with what is already there.
    ledger_errors.AccountNotFound: _refusal(HTTPStatus.NOT_FOUND, ledger_errors.AccountNotFound),
    ledger_errors.EntryNotFound: _refusal(HTTPStatus.NOT_FOUND, ledger_errors.EntryNotFound),
    ledger_errors.PeriodNotFound: _refusal(HTTPStatus.NOT_FOUND, ledger_errors.PeriodNotFound),
    ledger_errors.InvalidEntry: _refusal(
        HTTPStatus.UNPROCESSABLE_ENTITY, ledger_errors.InvalidEntry
    ),
    ledger_errors.InvalidPeriod: _refusal(
        HTTPStatus.UNPROCESSABLE_ENTITY, ledger_errors.InvalidPeriod
    ),
    ledger_errors.AccountInactive: _refusal(HTTPStatus.CONFLICT, ledger_errors.AccountInactive),
    ledger_errors.DuplicateAccount: _refusal(HTTPStatus.CONFLICT, ledger_errors.DuplicateAccount),
    ledger_errors.AlreadyReversed: _refusal(HTTPStatus.CONFLICT, ledger_errors.AlreadyReversed),
    ledger_errors.PeriodClosed: _refusal(HTTPStatus.CONFLICT, ledger_errors.PeriodClosed),
    ledger_errors.IdempotencyKeyReused: _refusal(
        HTTPStatus.CONFLICT, ledger_errors.IdempotencyKeyReused
    ),
    ledger_errors.LedgerError: _refusal(HTTPStatus.UNPROCESSABLE_ENTITY, ledger_errors.LedgerError),
    ledger_errors.LedgerInvariantBroken: ErrorMapping(
        HTTPStatus.INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", GENERIC_FAILURE
    ),
    # Receipting.
    receipting_errors.InvalidRequest: _refusal(
        HTTPStatus.BAD_REQUEST, receipting_errors.InvalidRequest
    ),
    RequestBodyTooLarge: _refusal(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, RequestBodyTooLarge),
    UnsupportedContentType: _refusal(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, UnsupportedContentType),
    LengthRequired: _refusal(HTTPStatus.LENGTH_REQUIRED, LengthRequired),
    receipting_errors.NotFound: _refusal(HTTPStatus.NOT_FOUND, receipting_errors.NotFound),
    DependencyUnavailable: _refusal(HTTPStatus.SERVICE_UNAVAILABLE, DependencyUnavailable),
    # API keys: no usable key, a key without the scope, too many requests from one key.
    auth_errors.NotAuthenticated: _refusal(HTTPStatus.UNAUTHORIZED, auth_errors.NotAuthenticated),
    auth_errors.NotPermitted: _refusal(HTTPStatus.FORBIDDEN, auth_errors.NotPermitted),
    auth_errors.RateLimited: _refusal(HTTPStatus.TOO_MANY_REQUESTS, auth_errors.RateLimited),
    # Signing in: a refused sign-in; the provider down, misconfigured, or refusing our credentials.
    oidc_errors.SignInRefused: _refusal(HTTPStatus.BAD_REQUEST, oidc_errors.SignInRefused),
    oidc_errors.ProviderUnavailable: _refusal(
        HTTPStatus.SERVICE_UNAVAILABLE, oidc_errors.ProviderUnavailable
    ),
    oidc_errors.DiscoveryFailed: _refusal(HTTPStatus.BAD_GATEWAY, oidc_errors.DiscoveryFailed),
    oidc_errors.ClientRejected: _refusal(HTTPStatus.BAD_GATEWAY, oidc_errors.ClientRejected),
    receipting_errors.ConfigurationError: ErrorMapping(
        HTTPStatus.INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", GENERIC_FAILURE
    ),
    receipting_errors.ReceiptingError: _refusal(
        HTTPStatus.UNPROCESSABLE_ENTITY, receipting_errors.ReceiptingError
    ),
    # Payments, with GOV.UK Pay's statuses for its P-codes.
    payment_errors.MissingField: _refusal(HTTPStatus.BAD_REQUEST, payment_errors.MissingField),
    payment_errors.InvalidField: _refusal(
        HTTPStatus.UNPROCESSABLE_ENTITY, payment_errors.InvalidField
    ),
    payment_errors.MalformedJson: _refusal(HTTPStatus.BAD_REQUEST, payment_errors.MalformedJson),
    payment_errors.IdempotencyKeyReused: _refusal(
        HTTPStatus.CONFLICT, payment_errors.IdempotencyKeyReused
    ),
    payment_errors.PaymentNotFound: _refusal(HTTPStatus.NOT_FOUND, payment_errors.PaymentNotFound),
    payment_errors.RefundNotFound: _refusal(HTTPStatus.NOT_FOUND, payment_errors.RefundNotFound),
    payment_errors.NotCancellable: _refusal(HTTPStatus.BAD_REQUEST, payment_errors.NotCancellable),
    payment_errors.NotCapturable: _refusal(HTTPStatus.BAD_REQUEST, payment_errors.NotCapturable),
    payment_errors.NotRefundable: _refusal(
        HTTPStatus.PRECONDITION_FAILED, payment_errors.NotRefundable
    ),
    payment_errors.RefundAmountAvailableMismatch: _refusal(
        HTTPStatus.PRECONDITION_FAILED, payment_errors.RefundAmountAvailableMismatch
    ),
    payment_errors.GatewayDownstreamError: _refusal(
        HTTPStatus.INTERNAL_SERVER_ERROR, payment_errors.GatewayDownstreamError
    ),
    # Raised by Falcon itself, before or instead of our responders.
    falcon.HTTPNotFound: ErrorMapping(HTTPStatus.NOT_FOUND, "NOT_FOUND"),
    falcon.HTTPMethodNotAllowed: ErrorMapping(HTTPStatus.METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED"),
    falcon.MediaMalformedError: ErrorMapping(HTTPStatus.BAD_REQUEST, "MALFORMED_JSON"),
    falcon.HTTPBadRequest: ErrorMapping(HTTPStatus.BAD_REQUEST, "BAD_REQUEST"),
    falcon.HTTPContentTooLarge: ErrorMapping(
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "REQUEST_BODY_TOO_LARGE"
    ),
    falcon.HTTPUnsupportedMediaType: ErrorMapping(
        HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_CONTENT_TYPE"
    ),
    # The database went away mid-request, or a lock wait gave up: worth retrying.
    OperationalError: ErrorMapping(
        HTTPStatus.SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE", DATABASE_UNAVAILABLE
    ),
    Exception: ErrorMapping(HTTPStatus.INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", GENERIC_FAILURE),
}


def mapping_for(error: BaseException) -> ErrorMapping:
    mapping = _lookup(type(error))
    if mapping is ERROR_TABLE[Exception] and isinstance(error, falcon.HTTPError):
        return _falcon_default(error)
    return mapping


def status_for(error_class: type[BaseException]) -> HTTPStatus:
    """The status a class of error is answered with (for the OpenAPI document)."""
    return _lookup(error_class).status


def code_for(error_class: type[BaseException]) -> str:
    """The `code` a class of error is answered with (for the OpenAPI document)."""
    return _code(getattr(error_class, "code", None), _lookup(error_class))


def _lookup(error_class: type[BaseException]) -> ErrorMapping:
    for cls in error_class.__mro__:
        mapping = ERROR_TABLE.get(cls)
        if mapping is not None:
            return mapping
    return ERROR_TABLE[Exception]


def _code(own_code: object, mapping: ErrorMapping) -> str:
    # A domain error carries its own code, which a subclass may make more precise than its mapped
    # base's. Falcon's `code` is an unrelated number, and a hidden error must not reveal its own.
    if isinstance(own_code, str) and mapping.public_description is None:
        return own_code
    return mapping.code


def _falcon_default(error: falcon.HTTPError) -> ErrorMapping:
    """A Falcon error not in the table keeps the status Falcon chose for it."""
    status = HTTPStatus(error.status_code)
    return ErrorMapping(status, status.name)


def error_body(
    error: BaseException, mapping: ErrorMapping, *, method: str = "", path: str = ""
) -> dict[str, str]:
    request_id = current_request_id() or "(none)"
    if mapping.public_description is not None:
        description = mapping.public_description.format(request_id=request_id)
    else:
        description = _describe(error, method=method, path=path)
    body = {"code": _code(getattr(error, "code", None), mapping), "description": description}
    field = getattr(error, "field", None)
    if isinstance(field, str) and field and mapping.public_description is None:
        body["field"] = field
    return body


def _describe(error: BaseException, *, method: str, path: str) -> str:
    if isinstance(error, ledger_errors.LedgerError | receipting_errors.ReceiptingError):
        return error.message
    if isinstance(error, falcon.HTTPNotFound):
        return (
            f"There is nothing at {path}. Check the path; GET /openapi.json lists every path "
            "this API serves."
        )
    if isinstance(error, falcon.HTTPMethodNotAllowed):
        allowed = _header(error, "Allow") or "none"
        return f"{method} is not allowed on {path}. Use one of: {allowed}."
    if isinstance(error, falcon.HTTPError):
        return error.description or error.title
    return str(error)


def _header(error: falcon.HTTPError, name: str) -> str | None:
    headers = error.headers
    pairs = headers.items() if isinstance(headers, Mapping) else (headers or [])
    for key, value in pairs:
        if key.lower() == name.lower():
            return str(value)
    return None


def handle_error(
    req: falcon.Request, resp: falcon.Response, error: Exception, params: dict[str, Any]
) -> None:
    """Falcon's error handler for every exception: the only way an error becomes a response."""
    mapping = mapping_for(error)
    body = error_body(error, mapping, method=req.method, path=req.path)
    req.context.error_code = body["code"]
    if mapping.status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        log.error(
            "%s %s failed: %s",
            req.method,
            req.path,
            type(error).__name__,
            exc_info=error,
            extra={"error_code": body["code"]},
        )
    resp.status = mapping.status
    error_page = getattr(req.context, "error_page", None)
    if callable(error_page):
        # A page for people (a checkout page, say): the same status, shown as a page of its own
        # rather than as JSON.
        resp.content_type = falcon.MEDIA_HTML
        resp.text = error_page(req, mapping.status, body)
    else:
        resp.media = body
    if isinstance(error, falcon.HTTPError) and error.headers:
        resp.set_headers(error.headers)


def install_error_handlers(app: App) -> None:
    # Falcon keeps its own handlers for HTTPError and Exception; ours replace both.
    app.add_error_handler(Exception, handle_error)
    app.add_error_handler(falcon.HTTPError, handle_error)


ERROR_BODY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Shaped like GOV.UK Pay's error body.",
    "required": ["code", "description"],
    "properties": {
        "code": {"type": "string", "description": "A stable, machine-readable error code."},
        "description": {
            "type": "string",
            "description": "What was wrong and how to put it right.",
        },
        "field": {
            "type": "string",
            "description": "The request field at fault; absent when no single field is.",
        },
    },
}
