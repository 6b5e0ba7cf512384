"""What every request goes through: a request id, an access log line, and limits on the body.

The order matters: the request id comes first so that every later line, even one written while
refusing a body, carries it; Falcon runs every component's `process_response` whatever happened,
so the id is echoed on errors too.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Mapping
from contextvars import Token
from typing import Any

import falcon
import falcon.media

from receipting.api.errors import LengthRequired, RequestBodyTooLarge, UnsupportedContentType
from receipting.errors import InvalidRequest
from receipting.logs import bind_request_id, reset_request_id

REQUEST_ID_HEADER = "X-Request-Id"

# Long enough for a UUID, a W3C trace id or a load balancer's id (all under 64 characters), short
# enough that a client cannot bloat every log line with its own text.
MAX_REQUEST_ID_LEN = 128

# Letters, digits and `-_.:` only: an incoming id is copied into logs and response headers, so it
# must not be able to carry a line break, a quote or a header separator.
_SAFE_REQUEST_ID = re.compile(rf"[A-Za-z0-9._:\-]{{1,{MAX_REQUEST_ID_LEN}}}")

# A JSON request to this API (a payment with a basket of a few hundred lines, say) is tens of
# kilobytes. One mebibyte leaves ample room while stopping a client from tying up a worker parsing
# a huge document. File imports, when they come, have their own endpoint and their own limit.
MAX_REQUEST_BODY_BYTES = 1024 * 1024

JSON_MEDIA_TYPE = "application/json"

# The API lives under /v1/ and takes JSON only. Everything else is pages for people (the sandbox
# gateway's card page, a channel's checkout), whose forms are posted by browsers
# (application/x-www-form-urlencoded) and parsed and checked by their own resources; the body size
# limit still applies to them.
JSON_ONLY_PATH_PREFIX = "/v1/"

access_log = logging.getLogger("receipting.access")


def parse_request_id(value: str | None) -> str | None:
    """The client's request id if it is safe to reuse, else None."""
    if value is None:
        return None
    value = value.strip()
    return value if _SAFE_REQUEST_ID.fullmatch(value) else None


def new_request_id() -> str:
    return uuid.uuid4().hex


def request_id_for(incoming: str | None) -> str:
    return parse_request_id(incoming) or new_request_id()


def check_body_size(content_length: int | None, transfer_encoding: str | None) -> None:
    if content_length is None and transfer_encoding and "chunked" in transfer_encoding.lower():
        raise LengthRequired(
            "Send the request body with a Content-Length header instead of chunked transfer "
            "encoding, so its size can be checked before it is read."
        )
    if content_length is not None and content_length > MAX_REQUEST_BODY_BYTES:
        raise RequestBodyTooLarge(
            f"The request body is {content_length} bytes; at most {MAX_REQUEST_BODY_BYTES} are "
            "accepted. Send less data in one request."
        )


def check_content_type(content_length: int | None, content_type: str | None) -> None:
    """A request with a body must say that it is JSON: this API accepts nothing else."""
    if not content_length:
        return
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type != JSON_MEDIA_TYPE:
        sent = f"Content-Type {content_type!r}" if content_type else "no Content-Type"
        raise UnsupportedContentType(
            f"Request bodies must be JSON, but this one was sent with {sent}. "
            f"Send the body as JSON with the header Content-Type: {JSON_MEDIA_TYPE}."
        )


NUL = "\x00"


class RequestIdMiddleware:
    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        request_id = request_id_for(req.get_header(REQUEST_ID_HEADER))
        req.context.request_id = request_id
        req.context.request_id_token = bind_request_id(request_id)

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        request_id = getattr(req.context, "request_id", None)
        if request_id is not None:
            resp.set_header(REQUEST_ID_HEADER, request_id)
        token: Token[str | None] | None = getattr(req.context, "request_id_token", None)
        if token is not None:
            reset_request_id(token)


class AccessLogMiddleware:
    """One line per request. The query string and headers are left out: they can hold personal
    data (account references) or credentials."""

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.started_s = time.perf_counter()

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        started_s = getattr(req.context, "started_s", None)
        duration_ms = None if started_s is None else (time.perf_counter() - started_s) * 1000
        access_log.info(
            "%s %s %s",
            req.method,
            req.path,
            resp.status_code,
            extra={
                "method": req.method,
                "path": req.path,
                "status": resp.status_code,
                "duration_ms": None if duration_ms is None else round(duration_ms, 2),
                "error_code": getattr(req.context, "error_code", None),
            },
        )


class RequestBodyMiddleware:
    """Refuses an oversized or non-JSON body before anything reads it, whatever the route."""

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        check_body_size(req.content_length, req.get_header("Transfer-Encoding"))
        if req.path.startswith(JSON_ONLY_PATH_PREFIX):
            check_content_type(req.content_length, req.content_type)

    def process_resource(
        self, req: falcon.Request, resp: falcon.Response, resource: object, params: dict[str, Any]
    ) -> None:
        # Once routed, so that a page's refusal is answered as a page (ErrorPageMiddleware runs
        # first); a path no route matches is refused here all the same.
        check_no_nul_in_url(req.path, req.params)


def check_no_nul_in_url(path: str, params: Mapping[str, str | list[str]]) -> None:
    """No text this engine stores or looks up may hold U+0000: PostgreSQL refuses it outright
    and it is never part of a reference, an id or a name."""
    if NUL in path:
        raise InvalidRequest(
            "The path holds a NUL character (%00), which no id or code contains. Remove it.",
            field="path",
        )
    for name, value in params.items():
        values = value if isinstance(value, list) else [value]
        if any(isinstance(v, str) and NUL in v for v in values):
            raise InvalidRequest(
                f"The query parameter {name} holds a NUL character (%00). Remove it.",
                field=name,
            )


def refuse_nul_in_json(value: object, where: str = "") -> None:
    """Walk a parsed JSON body; a NUL in any string or key is refused, naming where it is."""
    if isinstance(value, str):
        if NUL in value:
            raise InvalidRequest(
                f"{where or 'The body'} holds a NUL character (\\u0000), which no field of "
                "this API accepts. Remove it.",
                field=where or None,
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{where}.{key}" if where else str(key)
            refuse_nul_in_json(key, name)
            refuse_nul_in_json(item, name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            refuse_nul_in_json(item, f"{where}[{index}]")


class StrictJSONHandler(falcon.media.JSONHandler):
    """Falcon's JSON handler, refusing NUL characters anywhere in a request body."""

    def deserialize(
        self, stream: Any, content_type: str | None, content_length: int | None
    ) -> object:
        media = super().deserialize(stream, content_type, content_length)
        refuse_nul_in_json(media)
        return media


class ErrorPageMiddleware:
    """A resource that serves pages to people may have an `error_page(req, status, body)` method;
    the error handler then answers its errors with that page instead of JSON."""

    def process_resource(
        self, req: falcon.Request, resp: falcon.Response, resource: object, params: dict[str, Any]
    ) -> None:
        error_page = getattr(resource, "error_page", None)
        if callable(error_page):
            req.context.error_page = error_page


Middleware = RequestIdMiddleware | AccessLogMiddleware | RequestBodyMiddleware | ErrorPageMiddleware


def middleware_stack() -> list[Middleware]:
    # ErrorPageMiddleware before RequestBodyMiddleware: its process_resource must have run when
    # the other's refuses a page's address.
    return [
        RequestIdMiddleware(),
        AccessLogMiddleware(),
        ErrorPageMiddleware(),
        RequestBodyMiddleware(),
    ]
