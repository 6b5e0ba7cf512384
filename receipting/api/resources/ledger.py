"""Read-only ledger queries for finance staff: the chart of accounts, balances, the trial balance.

Every route needs an API key with the scope `ledger:read` (see `receipting.auth`). Each request is
one `LedgerService` use case, in one transaction opened there.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import falcon

from ledger import errors as ledger_errors
from ledger.model import MAX_ACCOUNT_CODE_LEN, Account, TrialBalance
from ledger.service import LedgerService
from receipting.api.openapi import Operation, Parameter, RouteRegistry
from receipting.auth.errors import AUTH_REFUSALS
from receipting.auth.scopes import Scope
from receipting.errors import InvalidRequest

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

TAGS = ("ledger",)

NEEDS_LEDGER_READ = (
    "Needs an API key with the scope ledger:read, sent as 'Authorization: Bearer <key>'."
)

# What each resource's methods need, read by the authentication middleware.
LEDGER_SCOPES = {"GET": Scope.LEDGER_READ}


def parse_as_at(value: str | None) -> date | None:
    """The `as_at` query parameter: a calendar date, or None when it was not given."""
    if value is None:
        return None
    if not _ISO_DATE.fullmatch(value):
        raise InvalidRequest(
            "as_at must be a date written YYYY-MM-DD, for example 2026-03-31; leave it out for "
            "the balance including every entry posted so far.",
            field="as_at",
        )
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidRequest(
            f"as_at is {value}, which is not a date in the calendar. Check the month and day.",
            field="as_at",
        ) from None


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def account_json(account: Account) -> dict[str, Any]:
    return {
        "code": account.code,
        "name": account.name,
        "kind": account.kind.value,
        "active": account.active,
    }


def trial_balance_json(trial_balance: TrialBalance) -> dict[str, Any]:
    return {
        "as_at": _iso(trial_balance.as_at),
        "lines": [
            {
                "account_code": line.account_code,
                "name": line.name,
                "kind": line.kind.value,
                "balance_pence": line.balance_pence,
            }
            for line in trial_balance.lines
        ],
        "total_pence": trial_balance.total_pence,
    }


class AccountsResource:
    auth_scopes = LEDGER_SCOPES

    def __init__(self, ledger: LedgerService) -> None:
        self._ledger = ledger

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"accounts": [account_json(a) for a in self._ledger.list_accounts()]}


class AccountBalanceResource:
    auth_scopes = LEDGER_SCOPES

    def __init__(self, ledger: LedgerService) -> None:
        self._ledger = ledger

    def on_get(self, req: falcon.Request, resp: falcon.Response, account_code: str) -> None:
        as_at = parse_as_at(req.get_param("as_at"))
        balance_pence = self._ledger.balance(account_code, as_at)
        resp.media = {
            "account_code": account_code,
            "as_at": _iso(as_at),
            "balance_pence": balance_pence,
        }


class TrialBalanceResource:
    auth_scopes = LEDGER_SCOPES

    def __init__(self, ledger: LedgerService) -> None:
        self._ledger = ledger

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        as_at = parse_as_at(req.get_param("as_at"))
        resp.media = trial_balance_json(self._ledger.trial_balance(as_at))


# --- OpenAPI -------------------------------------------------------------------------------------

_KIND_SCHEMA = {"type": "string", "enum": ["asset", "liability", "income", "expense", "equity"]}
_AS_AT_RESULT_SCHEMA = {
    "type": ["string", "null"],
    "format": "date",
    "description": "The date asked for, or null when every entry posted so far was counted.",
}

AS_AT_PARAMETER = Parameter(
    name="as_at",
    location="query",
    description=(
        "Count only entries effective on or before this date (YYYY-MM-DD). Leave it out to count "
        "every entry posted so far, whatever its effective date."
    ),
    schema={"type": "string", "format": "date"},
)
ACCOUNT_CODE_PARAMETER = Parameter(
    name="account_code",
    location="path",
    description="The account's code in the chart of accounts.",
    schema={"type": "string", "maxLength": MAX_ACCOUNT_CODE_LEN},
)

LIST_ACCOUNTS = Operation(
    operation_id="listLedgerAccounts",
    summary="The chart of accounts",
    description=NEEDS_LEDGER_READ,
    errors=AUTH_REFUSALS,
    response_schema={
        "type": "object",
        "required": ["accounts"],
        "properties": {
            "accounts": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["code", "name", "kind", "active"],
                    "properties": {
                        "code": {"type": "string"},
                        "name": {"type": "string"},
                        "kind": _KIND_SCHEMA,
                        "active": {"type": "boolean"},
                    },
                },
            }
        },
    },
    tags=TAGS,
)

ACCOUNT_BALANCE = Operation(
    operation_id="getLedgerAccountBalance",
    summary="One account's balance, now or as at a date",
    description=(
        "The balance is signed integer pence: debits positive, credits negative. "
        + NEEDS_LEDGER_READ
    ),
    parameters=(ACCOUNT_CODE_PARAMETER, AS_AT_PARAMETER),
    response_schema={
        "type": "object",
        "required": ["account_code", "as_at", "balance_pence"],
        "properties": {
            "account_code": {"type": "string"},
            "as_at": _AS_AT_RESULT_SCHEMA,
            "balance_pence": {"type": "integer"},
        },
    },
    errors=(*AUTH_REFUSALS, InvalidRequest, ledger_errors.AccountNotFound),
    tags=TAGS,
)

TRIAL_BALANCE = Operation(
    operation_id="getLedgerTrialBalance",
    summary="Every account's balance, now or as at a date; the total is always zero",
    description=NEEDS_LEDGER_READ,
    parameters=(AS_AT_PARAMETER,),
    response_schema={
        "type": "object",
        "required": ["as_at", "lines", "total_pence"],
        "properties": {
            "as_at": _AS_AT_RESULT_SCHEMA,
            "lines": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["account_code", "name", "kind", "balance_pence"],
                    "properties": {
                        "account_code": {"type": "string"},
                        "name": {"type": "string"},
                        "kind": _KIND_SCHEMA,
                        "balance_pence": {"type": "integer"},
                    },
                },
            },
            "total_pence": {"type": "integer"},
        },
    },
    errors=(*AUTH_REFUSALS, InvalidRequest),
    tags=TAGS,
)


def register(registry: RouteRegistry, ledger: LedgerService) -> None:
    registry.add("/v1/ledger/accounts", AccountsResource(ledger), {"GET": LIST_ACCOUNTS})
    registry.add(
        "/v1/ledger/accounts/{account_code}/balance",
        AccountBalanceResource(ledger),
        {"GET": ACCOUNT_BALANCE},
    )
    registry.add("/v1/ledger/trial-balance", TrialBalanceResource(ledger), {"GET": TRIAL_BALANCE})
