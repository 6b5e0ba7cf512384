"""HTTP routes of the payments surface, shaped like GOV.UK Pay's public API.

Routing money to funds: a client that knows only GOV.UK Pay puts `fund_code` and
`account_reference` in the payment's `metadata`; our extension `allocations` splits one payment
across several funds. Each line's account reference is checked by its fund's rule before the
payment is created, and every bad line is reported at once: `field` lists each field at fault,
separated by commas, and `description` says what is wrong with each.

Every resource declares the API key scope each method needs, and a key sees only its own
service's payments: any other payment answers 404, exactly as if it did not exist.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import falcon

from receipting.api.openapi import Operation, Parameter, RouteRegistry
from receipting.auth.scopes import Scope
from receipting.channels import AppContext
from receipting.payments import errors, limits, search, serialise
from receipting.payments.service import PaymentService
from receipting.payments.tables import PaymentRow, RefundRow

TAGS = ("payments",)


def _service_of(req: falcon.Request) -> str:
    principal = getattr(req.context, "principal", None)
    if principal is None:
        raise errors.InvalidField(
            "Send your API key in the header Authorization: Bearer <key>.",
            field="Authorization",
            code="P0102",
        )
    return str(principal.service)


def _body(req: falcon.Request, malformed_code: str) -> object:
    try:
        return req.get_media(default_when_empty=None)
    except falcon.MediaMalformedError:
        raise errors.MalformedJson(
            "The request body is not valid JSON. Check for a missing quote, comma or brace.",
            code=malformed_code,
        ) from None


def _params(req: falcon.Request) -> dict[str, str]:
    params: dict[str, str] = {}
    for name, value in req.params.items():
        if isinstance(value, list):
            raise errors.InvalidField(f"Send {name} once.", field=name, code="P0402")
        params[name] = value
    return params


class PaymentsResource:
    auth_scopes = {"GET": Scope.PAYMENTS_READ, "POST": Scope.PAYMENTS_WRITE}

    def __init__(self, payments: PaymentService, context: AppContext) -> None:
        self._payments = payments
        self._context = context

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = _body(req, "P0197")
        payment, created = self._payments.create(
            _service_of(req), body, req.get_header("Idempotency-Key")
        )
        resp.status = HTTPStatus.CREATED if created else HTTPStatus.OK
        resp.location = payment["_links"]["self"]["href"]
        resp.media = payment

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        service, params = _service_of(req), _params(req)
        query = search.payment_query(service, params)
        page = search.parse_page(params, "P0402")
        with self._context.session_factory.begin() as session:
            rows, envelope = search.search_page(
                session,
                query,
                PaymentRow.created_at,
                page,
                f"{self._payments.base_url}/v1/payments",
                params,
            )
            envelope["results"] = [
                self._payments.payment_json(session, row, search=True) for row in rows
            ]
        resp.media = envelope


class PaymentResource:
    auth_scopes = {"GET": Scope.PAYMENTS_READ}

    def __init__(self, payments: PaymentService) -> None:
        self._payments = payments

    def on_get(self, req: falcon.Request, resp: falcon.Response, paymentId: str) -> None:
        resp.media = self._payments.get(_service_of(req), paymentId)


class EventsResource:
    auth_scopes = {"GET": Scope.PAYMENTS_READ}

    def __init__(self, payments: PaymentService) -> None:
        self._payments = payments

    def on_get(self, req: falcon.Request, resp: falcon.Response, paymentId: str) -> None:
        resp.media = self._payments.events(_service_of(req), paymentId)


class CancelResource:
    auth_scopes = {"POST": Scope.PAYMENTS_WRITE}

    def __init__(self, payments: PaymentService) -> None:
        self._payments = payments

    def on_post(self, req: falcon.Request, resp: falcon.Response, paymentId: str) -> None:
        self._payments.cancel(_service_of(req), paymentId)
        resp.status = HTTPStatus.NO_CONTENT


class CaptureResource:
    auth_scopes = {"POST": Scope.PAYMENTS_WRITE}

    def __init__(self, payments: PaymentService) -> None:
        self._payments = payments

    def on_post(self, req: falcon.Request, resp: falcon.Response, paymentId: str) -> None:
        self._payments.capture(_service_of(req), paymentId)
        resp.status = HTTPStatus.NO_CONTENT


class RefundsResource:
    auth_scopes = {"GET": Scope.PAYMENTS_READ, "POST": Scope.REFUNDS_WRITE}

    def __init__(self, payments: PaymentService) -> None:
        self._payments = payments

    def on_post(self, req: falcon.Request, resp: falcon.Response, paymentId: str) -> None:
        body = _body(req, "P0697")
        resp.media = self._payments.create_refund(_service_of(req), paymentId, body)
        resp.status = HTTPStatus.ACCEPTED

    def on_get(self, req: falcon.Request, resp: falcon.Response, paymentId: str) -> None:
        resp.media = self._payments.refunds_of(_service_of(req), paymentId)


class RefundResource:
    auth_scopes = {"GET": Scope.PAYMENTS_READ}

    def __init__(self, payments: PaymentService) -> None:
        self._payments = payments

    def on_get(
        self, req: falcon.Request, resp: falcon.Response, paymentId: str, refundId: str
    ) -> None:
        resp.media = self._payments.refund(_service_of(req), paymentId, refundId)


class RefundSearchResource:
    auth_scopes = {"GET": Scope.PAYMENTS_READ}

    def __init__(self, payments: PaymentService, context: AppContext) -> None:
        self._payments = payments
        self._context = context

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        service, params = _service_of(req), _params(req)
        query = search.refund_query(service, params)
        page = search.parse_page(params, "P1102")
        with self._context.session_factory.begin() as session:
            rows, envelope = search.search_page(
                session,
                query,
                RefundRow.created_at,
                page,
                f"{self._payments.base_url}/v1/refunds",
                params,
            )
            envelope["results"] = [
                serialise.refund_json(row, self._payments.base_url) for row in rows
            ]
        resp.media = envelope


# --- OpenAPI -------------------------------------------------------------------------------------

PAYMENT_ID = Parameter("paymentId", "path", "The payment's id (26 characters).", {"type": "string"})
REFUND_ID = Parameter("refundId", "path", "The refund's id (26 characters).", {"type": "string"})
IDEMPOTENCY_KEY = Parameter(
    "Idempotency-Key",
    "header",
    "1-255 letters, digits or hyphens. The same key and body within 24 hours return the "
    "original payment (200); a different body is refused (409 P0191).",
    {"type": "string", "maxLength": 255},
)


def _query(name: str, description: str) -> Parameter:
    return Parameter(name, "query", description, {"type": "string"})


PAGE_PARAMETERS = (
    _query("page", "Page number, from 1."),
    _query("display_size", "Results per page, 1 to 500 (default 500)."),
)
STATE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["status", "finished"],
    "properties": {
        "status": {"type": "string"},
        "finished": {"type": "boolean"},
        "code": {"type": "string"},
        "message": {"type": "string"},
    },
}
PAYMENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["payment_id", "amount", "state", "reference", "description", "_links"],
    "properties": {
        "payment_id": {"type": "string"},
        "amount": {"type": "integer"},
        "reference": {"type": "string"},
        "description": {"type": "string"},
        "return_url": {"type": "string"},
        "state": STATE_SCHEMA,
        "receipt_number": {
            "type": "string",
            "description": "Extension: the receipt issued when the payment succeeded.",
        },
        "allocations": {
            "type": "array",
            "description": "Extension: the basket lines (fund, account reference, amount, VAT).",
            "items": {"type": "object"},
        },
        "metadata": {
            "type": "object",
            "description": "Up to 15 keys. fund_code and account_reference route a payment "
            "without allocations into one fund.",
        },
        "_links": {"type": "object"},
    },
}
REFUND_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["refund_id", "payment_id", "amount", "status"],
    "properties": {
        "refund_id": {"type": "string"},
        "payment_id": {"type": "string"},
        "amount": {"type": "integer"},
        "status": {"type": "string", "enum": ["submitted", "success", "error"]},
        "created_date": {"type": "string"},
    },
}


def _search_schema(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["total", "count", "page", "results", "_links"],
        "properties": {
            "total": {"type": "integer"},
            "count": {"type": "integer"},
            "page": {"type": "integer"},
            "results": {"type": "array", "items": item},
            "_links": {"type": "object"},
        },
    }


# The request bodies, documented for clients and for the fuzzing run. The service checks them
# again field by field (receipting.payments.requests), naming the field and how to fix it.
CREATE_PAYMENT_REQUEST = {
    "type": "object",
    "required": ["amount", "reference", "description", "return_url"],
    "properties": {
        "amount": {
            "type": "integer",
            "minimum": limits.MIN_AMOUNT_PENCE,
            "maximum": limits.MAX_AMOUNT_PENCE,
        },
        "reference": {"type": "string", "minLength": 1, "maxLength": limits.MAX_REFERENCE_LEN},
        "description": {
            "type": "string",
            "minLength": 1,
            "maxLength": limits.MAX_DESCRIPTION_LEN,
        },
        "return_url": {"type": "string", "maxLength": limits.MAX_RETURN_URL_LEN},
        "language": {"type": "string", "enum": ["en", "cy"]},
        "email": {"type": "string", "maxLength": limits.MAX_EMAIL_LEN},
        "delayed_capture": {"type": "boolean"},
        "moto": {"type": "boolean"},
        "metadata": {"type": "object", "maxProperties": limits.MAX_METADATA_KEYS},
        "allocations": {
            "type": "array",
            "maxItems": limits.MAX_ALLOCATIONS,
            "items": {
                "type": "object",
                "required": ["fund_code", "account_reference", "amount"],
                "properties": {
                    "fund_code": {"type": "string"},
                    "account_reference": {"type": "string"},
                    "amount": {"type": "integer", "minimum": limits.MIN_AMOUNT_PENCE},
                    "narrative": {"type": "string", "maxLength": limits.MAX_NARRATIVE_LEN},
                },
            },
        },
    },
}
CREATE_REFUND_REQUEST = {
    "type": "object",
    "required": ["amount", "refund_amount_available"],
    "properties": {
        "amount": {"type": "integer", "minimum": 1, "maximum": limits.MAX_AMOUNT_PENCE},
        "refund_amount_available": {"type": "integer", "minimum": 0},
    },
}


CREATE_PAYMENT = Operation(
    operation_id="createPayment",
    summary="Create a payment (GOV.UK Pay compatible; extension: allocations)",
    description=(
        "Route the money with metadata.fund_code and metadata.account_reference, or split it "
        "with allocations: [{fund_code, account_reference, amount, narrative?}] adding up to "
        "amount. Answers 201, or 200 with the original for a replayed Idempotency-Key."
    ),
    parameters=(IDEMPOTENCY_KEY,),
    request_schema=CREATE_PAYMENT_REQUEST,
    response_schema=PAYMENT_SCHEMA,
    errors=(
        errors.MissingField,
        errors.InvalidField,
        errors.MalformedJson,
        errors.IdempotencyKeyReused,
        errors.GatewayDownstreamError,
    ),
    tags=TAGS,
    success_status=HTTPStatus.CREATED,
    success_description="Created.",
)
SEARCH_PAYMENTS = Operation(
    operation_id="searchPayments",
    summary="Search this service's payments",
    parameters=(
        *(_query(name, f"Filter: {name}.") for name in search.PAYMENT_FILTERS),
        *PAGE_PARAMETERS,
    ),
    response_schema=_search_schema(PAYMENT_SCHEMA),
    errors=(errors.InvalidField,),
    tags=TAGS,
)
GET_PAYMENT = Operation(
    operation_id="getPayment",
    summary="Get a payment, brought up to date with the card gateway",
    parameters=(PAYMENT_ID,),
    response_schema=PAYMENT_SCHEMA,
    errors=(errors.PaymentNotFound,),
    tags=TAGS,
)
GET_EVENTS = Operation(
    operation_id="getPaymentEvents",
    summary="A payment's state changes",
    parameters=(PAYMENT_ID,),
    response_schema={
        "type": "object",
        "required": ["payment_id", "events"],
        "properties": {"payment_id": {"type": "string"}, "events": {"type": "array"}},
    },
    errors=(errors.PaymentNotFound,),
    tags=TAGS,
)
CANCEL_PAYMENT = Operation(
    operation_id="cancelPayment",
    summary="Cancel an unfinished payment",
    parameters=(PAYMENT_ID,),
    response_schema={},
    errors=(errors.PaymentNotFound, errors.NotCancellable, errors.GatewayDownstreamError),
    tags=TAGS,
    success_status=HTTPStatus.NO_CONTENT,
    success_description="Cancelled.",
)
CAPTURE_PAYMENT = Operation(
    operation_id="capturePayment",
    summary="Capture a delayed-capture payment",
    parameters=(PAYMENT_ID,),
    response_schema={},
    errors=(errors.PaymentNotFound, errors.NotCapturable, errors.GatewayDownstreamError),
    tags=TAGS,
    success_status=HTTPStatus.NO_CONTENT,
    success_description="Captured.",
)
CREATE_REFUND = Operation(
    operation_id="createRefund",
    summary="Refund some or all of a successful payment",
    description=(
        "refund_amount_available must equal the payment's current refund_summary."
        "amount_available (412 P0604 otherwise), so two refunds made at once cannot both pass."
    ),
    parameters=(PAYMENT_ID,),
    request_schema=CREATE_REFUND_REQUEST,
    response_schema=REFUND_SCHEMA,
    errors=(
        errors.PaymentNotFound,
        errors.MissingField,
        errors.InvalidField,
        errors.NotRefundable,
        errors.RefundAmountAvailableMismatch,
    ),
    tags=TAGS,
    success_status=HTTPStatus.ACCEPTED,
    success_description="Accepted.",
)
LIST_REFUNDS = Operation(
    operation_id="getPaymentRefunds",
    summary="A payment's refunds",
    parameters=(PAYMENT_ID,),
    response_schema={"type": "object", "required": ["payment_id", "_embedded"]},
    errors=(errors.PaymentNotFound,),
    tags=TAGS,
)
GET_REFUND = Operation(
    operation_id="getPaymentRefund",
    summary="One refund of a payment",
    parameters=(PAYMENT_ID, REFUND_ID),
    response_schema=REFUND_SCHEMA,
    errors=(errors.PaymentNotFound, errors.RefundNotFound),
    tags=TAGS,
)
SEARCH_REFUNDS = Operation(
    operation_id="searchRefunds",
    summary="Search this service's refunds",
    parameters=(
        *(_query(name, f"Filter: {name}.") for name in search.REFUND_FILTERS),
        *PAGE_PARAMETERS,
    ),
    response_schema=_search_schema(REFUND_SCHEMA),
    errors=(errors.InvalidField,),
    tags=TAGS,
)


def register(context: AppContext) -> None:
    """Add this subsystem's routes (each with its OpenAPI operation) to `context.routes`."""
    payments = PaymentService(
        context.session_factory, context.gateways, context.clock, context.settings.public_url
    )
    routes: RouteRegistry = context.routes
    base = "/v1/payments/{paymentId}"
    routes.add(
        "/v1/payments",
        PaymentsResource(payments, context),
        {"POST": CREATE_PAYMENT, "GET": SEARCH_PAYMENTS},
    )
    routes.add(base, PaymentResource(payments), {"GET": GET_PAYMENT})
    routes.add(f"{base}/events", EventsResource(payments), {"GET": GET_EVENTS})
    routes.add(f"{base}/cancel", CancelResource(payments), {"POST": CANCEL_PAYMENT})
    routes.add(f"{base}/capture", CaptureResource(payments), {"POST": CAPTURE_PAYMENT})
    routes.add(
        f"{base}/refunds", RefundsResource(payments), {"POST": CREATE_REFUND, "GET": LIST_REFUNDS}
    )
    routes.add(f"{base}/refunds/{{refundId}}", RefundResource(payments), {"GET": GET_REFUND})
    routes.add("/v1/refunds", RefundSearchResource(payments, context), {"GET": SEARCH_REFUNDS})
