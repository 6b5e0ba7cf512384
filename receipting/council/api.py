"""HTTP routes of this subsystem: the funds that can be paid into, and reference validation.

`GET /v1/funds`, `GET /v1/funds/{fund_code}` and `POST /v1/references/validate`, each one use case
of `CouncilService` (one transaction). Statuses come from the API's error table only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import falcon

from receipting.api.openapi import Operation, Parameter
from receipting.auth.scopes import Scope
from receipting.channels import AppContext
from receipting.council.config import MAX_CODE_LEN
from receipting.council.errors import FundNotFound
from receipting.council.references import ReferenceProblem
from receipting.council.service import CouncilService, Fund
from receipting.errors import InvalidRequest

TAGS = ("funds",)

AUTH_SCOPES = {"GET": Scope.FUNDS_READ, "POST": Scope.FUNDS_READ}

# A reference as typed, spaces and all. Generous, because spaces are removed before checking and a
# too-long reference is answered with a helpful message; beyond this the body is not a reference.
MAX_TYPED_REFERENCE_LEN = 256

VALIDATE_FIELDS = ("fund_code", "reference")


def fund_json(fund: Fund) -> dict[str, Any]:
    reference = (
        None
        if fund.reference_rule is None
        else {
            "rule": fund.reference_rule,
            "description": fund.reference_description,
            "hint": fund.reference_hint,
            "description_cy": fund.reference_description_cy,
            "hint_cy": fund.reference_hint_cy,
        }
    )
    return {
        "code": fund.code,
        "name": fund.name,
        "name_cy": fund.name_cy,
        "guidance": fund.guidance,
        "guidance_cy": fund.guidance_cy,
        "gl_code": fund.gl_code,
        "ledger_account_code": fund.ledger_account_code,
        "vat_code": fund.vat_code,
        "max_amount_pence": fund.max_amount_pence,
        "allow_overpayment": fund.allow_overpayment,
        "payable_online": fund.payable_online,
        "payable_by_phone": fund.payable_by_phone,
        "payable_at_counter": fund.payable_at_counter,
        "reference": reference,
        "back_office": fund.back_office,
        "retired": fund.retired,
    }


def parse_include_retired(value: str | None) -> bool:
    if value is None or value == "false":
        return False
    if value == "true":
        return True
    raise InvalidRequest(
        f"include_retired is {value!r}; it must be true or false (leave it out for false).",
        field="include_retired",
    )


def parse_validate_body(body: object) -> tuple[str, str]:
    """(fund_code, reference) from the request body, or InvalidRequest naming the field."""
    if body is None:
        body = {}
    if not isinstance(body, Mapping):
        raise InvalidRequest(
            'The body must be a JSON object: {"fund_code": "CTAX", "reference": "771234561"}.'
        )
    for key in body:
        if key not in VALIDATE_FIELDS:
            raise InvalidRequest(
                f"{key} is not a field of this request; send only fund_code and reference.",
                field=str(key),
            )
    fund_code = _text_field(body, "fund_code", MAX_CODE_LEN, allow_blank=False)
    reference = _text_field(body, "reference", MAX_TYPED_REFERENCE_LEN, allow_blank=True)
    return fund_code, reference


def _text_field(body: Mapping[str, Any], name: str, max_len: int, *, allow_blank: bool) -> str:
    if name not in body:
        raise InvalidRequest(f"{name} is missing; add it to the body.", field=name)
    value = body[name]
    if not isinstance(value, str):
        raise InvalidRequest(f"{name} must be a string.", field=name)
    if not allow_blank and not value.strip():
        raise InvalidRequest(f"{name} must not be empty.", field=name)
    if len(value) > max_len:
        raise InvalidRequest(
            f"{name} is {len(value)} characters long; at most {max_len} are allowed.", field=name
        )
    return value


class FundsResource:
    auth_scopes = AUTH_SCOPES

    def __init__(self, council: CouncilService) -> None:
        self._council = council

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        include_retired = parse_include_retired(req.get_param("include_retired"))
        funds = self._council.funds(include_retired=include_retired)
        resp.media = {"funds": [fund_json(fund) for fund in funds]}


class FundResource:
    auth_scopes = AUTH_SCOPES

    def __init__(self, council: CouncilService) -> None:
        self._council = council

    def on_get(self, req: falcon.Request, resp: falcon.Response, fund_code: str) -> None:
        resp.media = fund_json(self._council.fund(fund_code))


class ValidateReferenceResource:
    auth_scopes = AUTH_SCOPES

    def __init__(self, council: CouncilService) -> None:
        self._council = council

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        fund_code, reference = parse_validate_body(req.get_media(default_when_empty=None))
        result = self._council.check_reference(fund_code, reference)
        if result.valid:
            resp.media = {"valid": True, "reference": result.normalised}
        else:
            resp.media = {"valid": False, "message": result.message, "problem": result.problem}


# --- OpenAPI -------------------------------------------------------------------------------------

_NULLABLE_TEXT = {"type": ["string", "null"]}
_WELSH = "In Welsh, or null when the configuration gives no Welsh (show the English)."

FUND_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "code",
        "name",
        "gl_code",
        "ledger_account_code",
        "vat_code",
        "max_amount_pence",
        "allow_overpayment",
        "payable_online",
        "payable_by_phone",
        "payable_at_counter",
        "reference",
        "back_office",
        "retired",
        "name_cy",
        "guidance",
        "guidance_cy",
    ],
    "properties": {
        "code": {"type": "string", "description": "The fund's code, used to pay into it."},
        "name": {"type": "string"},
        "name_cy": {**_NULLABLE_TEXT, "description": f"The name. {_WELSH}"},
        "guidance": {
            **_NULLABLE_TEXT,
            "description": (
                "Where to find the reference on the bill, as a sentence for a start page: the "
                "fund's own guidance, else its reference rule's hint; null when neither is given."
            ),
        },
        "guidance_cy": {**_NULLABLE_TEXT, "description": f"The guidance. {_WELSH}"},
        "gl_code": {"type": "string", "description": "The general ledger code it posts to."},
        "ledger_account_code": {
            "type": "string",
            "description": "The ledger account credited with the net amount.",
        },
        "vat_code": {"type": "string"},
        "max_amount_pence": {
            "type": "integer",
            "description": "The most one payment into this fund may be, in pence.",
        },
        "allow_overpayment": {"type": "boolean"},
        "payable_online": {"type": "boolean"},
        "payable_by_phone": {"type": "boolean"},
        "payable_at_counter": {"type": "boolean"},
        "reference": {
            "type": ["object", "null"],
            "description": "The reference format, or null when any reference is accepted.",
            "required": ["rule", "description", "hint", "description_cy", "hint_cy"],
            "properties": {
                "rule": {"type": "string"},
                "description": {
                    "type": "string",
                    "description": "The format in plain words, for showing on a form.",
                },
                "hint": {**_NULLABLE_TEXT, "description": "Where the payer finds it."},
                "description_cy": {**_NULLABLE_TEXT, "description": f"The format. {_WELSH}"},
                "hint_cy": {**_NULLABLE_TEXT, "description": f"The hint. {_WELSH}"},
            },
        },
        "back_office": {
            **_NULLABLE_TEXT,
            "description": "The back-office system its receipts are exported to.",
        },
        "retired": {
            "type": "boolean",
            "description": "True when the fund no longer takes payments (kept for history).",
        },
    },
}

FUND_CODE_PARAMETER = Parameter(
    name="fund_code",
    location="path",
    description="The fund's code, as listed by GET /v1/funds.",
    schema={"type": "string", "maxLength": MAX_CODE_LEN},
)

INCLUDE_RETIRED_PARAMETER = Parameter(
    name="include_retired",
    location="query",
    description="true to list funds that no longer take payments too; false by default.",
    schema={"type": "string", "enum": ["true", "false"]},
)

LIST_FUNDS = Operation(
    operation_id="listFunds",
    summary="The funds that can be paid into",
    description="Needs the funds:read scope.",
    parameters=(INCLUDE_RETIRED_PARAMETER,),
    response_schema={
        "type": "object",
        "required": ["funds"],
        "properties": {"funds": {"type": "array", "items": FUND_SCHEMA}},
    },
    errors=(InvalidRequest,),
    tags=TAGS,
)

GET_FUND = Operation(
    operation_id="getFund",
    summary="One fund",
    description="Needs the funds:read scope.",
    parameters=(FUND_CODE_PARAMETER,),
    response_schema=FUND_SCHEMA,
    errors=(FundNotFound,),
    tags=TAGS,
)

VALIDATE_REFERENCE = Operation(
    operation_id="validateReference",
    summary="Check an account reference against a fund's rules before taking money",
    description=(
        'Body: {"fund_code": "CTAX", "reference": "77 123 4561"}. The reference is normalised '
        "(spaces removed, capitals) and checked against the fund's format, check character and "
        "on-stop list. A reference that fails is still a 200, with a message in words a "
        "resident understands. Needs the funds:read scope."
    ),
    request_schema={
        "type": "object",
        "required": ["fund_code", "reference"],
        "properties": {"fund_code": {"type": "string"}, "reference": {"type": "string"}},
    },
    response_schema={
        "type": "object",
        "required": ["valid"],
        "properties": {
            "valid": {"type": "boolean"},
            "reference": {
                "type": "string",
                "description": "When valid: the reference as it is stored and posted.",
            },
            "message": {
                "type": "string",
                "description": "When not valid: why, and what the reference looks like.",
            },
            "problem": {
                "type": "string",
                "enum": [problem.value for problem in ReferenceProblem],
                "description": (
                    "When not valid: why, as a code, for showing a message in another language."
                ),
            },
        },
    },
    errors=(InvalidRequest, FundNotFound),
    tags=TAGS,
)


def register(context: AppContext) -> None:
    """Add this subsystem's routes (each with its OpenAPI operation) to `context.routes`."""
    council = CouncilService(context.session_factory)
    context.routes.add("/v1/funds", FundsResource(council), {"GET": LIST_FUNDS})
    context.routes.add("/v1/funds/{fund_code}", FundResource(council), {"GET": GET_FUND})
    context.routes.add(
        "/v1/references/validate",
        ValidateReferenceResource(council),
        {"POST": VALIDATE_REFERENCE},
    )
