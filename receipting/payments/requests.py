"""Reading request bodies into typed values, refusing anything wrong with a P-code and the field.
Pure: no I/O. Checks against the council's configuration (funds, references) are in service.py.

Routing money (documented in the API): a client that knows only GOV.UK Pay pays into one fund by
putting `fund_code` and `account_reference` in `metadata`. Our extension `allocations` (a list of
`{fund_code, account_reference, amount, narrative?}`) splits one payment across funds; its amounts
must add up to `amount`.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from receipting.payments.errors import InvalidField, MissingField
from receipting.payments.limits import (
    MAX_ALLOCATIONS,
    MAX_AMOUNT_PENCE,
    MAX_DESCRIPTION_LEN,
    MAX_EMAIL_LEN,
    MAX_IDEMPOTENCY_KEY_LEN,
    MAX_METADATA_KEY_LEN,
    MAX_METADATA_KEYS,
    MAX_METADATA_VALUE_LEN,
    MAX_NARRATIVE_LEN,
    MAX_REFERENCE_LEN,
    MAX_RETURN_URL_LEN,
    MIN_AMOUNT_PENCE,
)

FUND_CODE_METADATA_KEY = "fund_code"
ACCOUNT_REFERENCE_METADATA_KEY = "account_reference"

# Fields GOV.UK Pay accepts on create that this engine understands; anything else is refused.
CREATE_FIELDS = frozenset(
    {
        "amount",
        "reference",
        "description",
        "return_url",
        "language",
        "email",
        "prefilled_cardholder_details",
        "delayed_capture",
        "moto",
        "metadata",
        "allocations",
    }
)
ALLOCATION_FIELDS = frozenset({"fund_code", "account_reference", "amount", "narrative"})
REFUND_FIELDS = frozenset({"amount", "refund_amount_available"})

# GOV.UK Pay's rule for an Idempotency-Key header.
_IDEMPOTENCY_KEY = re.compile(rf"[A-Za-z0-9-]{{1,{MAX_IDEMPOTENCY_KEY_LEN}}}")


@dataclass(frozen=True, slots=True)
class Allocation:
    fund_code: str
    account_reference: str
    amount_pence: int
    narrative: str | None


@dataclass(frozen=True, slots=True)
class CreatePayment:
    amount_pence: int
    reference: str
    description: str
    return_url: str
    language: str
    email: str | None
    cardholder_name: str | None
    delayed_capture: bool
    moto: bool
    metadata: dict[str, str | int | float | bool] | None
    allocations: tuple[Allocation, ...]
    # True when the fund and reference came from metadata (so errors name metadata's keys).
    routed_by_metadata: bool


@dataclass(frozen=True, slots=True)
class CreateRefund:
    amount_pence: int
    refund_amount_available: int | None


def body_hash(body: object) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def check_idempotency_key(value: str | None) -> str | None:
    if value is None:
        return None
    if not _IDEMPOTENCY_KEY.fullmatch(value):
        raise InvalidField(
            f"The Idempotency-Key header must be 1 to {MAX_IDEMPOTENCY_KEY_LEN} letters, digits "
            "or hyphens; send a fresh random key (a UUID works) with each new payment.",
            field="Idempotency-Key",
        )
    return value


def parse_create(body: object) -> CreatePayment:
    fields = _object(body, "body")
    _refuse_unknown(fields, CREATE_FIELDS, "")
    amount = _amount(fields, "amount", minimum=MIN_AMOUNT_PENCE)
    metadata = _metadata(fields.get("metadata"))
    allocations = _allocations(fields, amount, metadata)
    return CreatePayment(
        amount_pence=amount,
        reference=_text(fields, "reference", MAX_REFERENCE_LEN),
        description=_text(fields, "description", MAX_DESCRIPTION_LEN),
        return_url=_return_url(fields),
        language=_language(fields.get("language", "en")),
        email=_optional_text(fields, "email", MAX_EMAIL_LEN),
        cardholder_name=_cardholder_name(fields.get("prefilled_cardholder_details")),
        delayed_capture=_flag(fields, "delayed_capture"),
        moto=_flag(fields, "moto"),
        metadata=metadata,
        allocations=allocations,
        routed_by_metadata="allocations" not in fields,
    )


def parse_refund(body: object) -> CreateRefund:
    fields = _object(body, "body", missing_code="P0601", invalid_code="P0602")
    _refuse_unknown(fields, REFUND_FIELDS, "", code="P0602")
    amount = _amount(fields, "amount", minimum=MIN_AMOUNT_PENCE, missing="P0601", bad="P0602")
    available = None
    if "refund_amount_available" in fields:
        available = _amount(
            fields, "refund_amount_available", minimum=0, missing="P0601", bad="P0602"
        )
    return CreateRefund(amount, available)


# --- leaves ----------------------------------------------------------------------------------


def _object(
    value: object, name: str, *, missing_code: str = "P0101", invalid_code: str = "P0102"
) -> dict[str, Any]:
    if value is None:
        raise MissingField("Send a JSON object in the request body.", field=name, code=missing_code)
    if not isinstance(value, dict):
        raise InvalidField(
            f"The {name} must be a JSON object, not {_kind(value)}.", field=name, code=invalid_code
        )
    return value


def _refuse_unknown(
    fields: dict[str, Any], known: frozenset[str], prefix: str, *, code: str = "P0102"
) -> None:
    unknown = sorted(set(fields) - known)
    if unknown:
        raise InvalidField(
            f"Unknown field {prefix}{unknown[0]}. Accepted fields are: {', '.join(sorted(known))}.",
            field=f"{prefix}{unknown[0]}",
            code=code,
        )


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _amount(
    fields: dict[str, Any],
    name: str,
    *,
    minimum: int,
    prefix: str = "",
    missing: str = "P0101",
    bad: str = "P0102",
) -> int:
    where = f"{prefix}{name}"
    if name not in fields:
        raise MissingField(
            f"{where} is required: a whole number of pence.", field=where, code=missing
        )
    value = fields[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidField(
            f"{where} must be a whole number of pence (e.g. 1250 for £12.50), not {_kind(value)}"
            f"{' ' + repr(value) if isinstance(value, float) else ''}.",
            field=where,
            code=bad,
        )
    if not minimum <= value <= MAX_AMOUNT_PENCE:
        raise InvalidField(
            f"{where} is {value}; it must be between {minimum} and {MAX_AMOUNT_PENCE} pence "
            f"(£{MAX_AMOUNT_PENCE // 100:,}).",
            field=where,
            code=bad,
        )
    return value


def _text(fields: dict[str, Any], name: str, max_len: int, prefix: str = "") -> str:
    where = f"{prefix}{name}"
    if name not in fields or fields[name] is None:
        raise MissingField(f"{where} is required.", field=where)
    value = fields[name]
    if not isinstance(value, str):
        raise InvalidField(f"{where} must be a string, not {_kind(value)}.", field=where)
    if not value.strip():
        raise InvalidField(f"{where} must not be empty.", field=where)
    if len(value) > max_len:
        raise InvalidField(
            f"{where} is {len(value)} characters long; at most {max_len} are allowed.",
            field=where,
        )
    return value


def _optional_text(fields: dict[str, Any], name: str, max_len: int, prefix: str = "") -> str | None:
    if fields.get(name) is None:
        return None
    return _text(fields, name, max_len, prefix)


def _return_url(fields: dict[str, Any]) -> str:
    url = _text(fields, "return_url", MAX_RETURN_URL_LEN)
    if not url.startswith(("https://", "http://")):
        raise InvalidField(
            "return_url must be an http:// or https:// address where the payer is sent back, "
            "for example https://www.example-council.gov.uk/payments/done",
            field="return_url",
        )
    return url


def _language(value: object) -> str:
    if value not in ("en", "cy"):
        raise InvalidField('language must be "en" or "cy".', field="language")
    assert isinstance(value, str)
    return value


def _flag(fields: dict[str, Any], name: str) -> bool:
    value = fields.get(name, False)
    if not isinstance(value, bool):
        raise InvalidField(f"{name} must be true or false, not {_kind(value)}.", field=name)
    return value


def _cardholder_name(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidField(
            "prefilled_cardholder_details must be an object.", field="prefilled_cardholder_details"
        )
    name = value.get("cardholder_name")
    if name is not None and not isinstance(name, str):
        raise InvalidField(
            "prefilled_cardholder_details.cardholder_name must be a string.",
            field="prefilled_cardholder_details.cardholder_name",
        )
    return name


def _metadata(value: object) -> dict[str, str | int | float | bool] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidField("metadata must be an object of keys and values.", field="metadata")
    if not 1 <= len(value) <= MAX_METADATA_KEYS:
        raise InvalidField(
            f"metadata has {len(value)} keys; it must have 1 to {MAX_METADATA_KEYS}.",
            field="metadata",
        )
    if len({key.lower() for key in value}) != len(value):
        raise InvalidField("metadata keys must be unique ignoring case.", field="metadata")
    for key, item in value.items():
        if not 1 <= len(key) <= MAX_METADATA_KEY_LEN:
            raise InvalidField(
                f"metadata key {key!r} must be 1 to {MAX_METADATA_KEY_LEN} characters.",
                field="metadata",
            )
        if isinstance(item, str):
            if len(item) > MAX_METADATA_VALUE_LEN:
                raise InvalidField(
                    f"metadata.{key} is {len(item)} characters; at most "
                    f"{MAX_METADATA_VALUE_LEN} are allowed.",
                    field=f"metadata.{key}",
                )
        elif not isinstance(item, int | float | bool):
            raise InvalidField(
                f"metadata.{key} must be a string, number or boolean, not {_kind(item)}.",
                field=f"metadata.{key}",
            )
    return dict(value)


def _allocations(
    fields: dict[str, Any], amount: int, metadata: dict[str, Any] | None
) -> tuple[Allocation, ...]:
    if "allocations" in fields:
        lines = _allocation_list(fields["allocations"])
    else:
        lines = (_allocation_from_metadata(metadata, amount),)
    total = sum(line.amount_pence for line in lines)
    if total != amount:
        raise InvalidField(
            f"The allocations add up to {total} pence but amount is {amount}; make the lines' "
            "amounts add up to amount.",
            field="allocations",
        )
    return lines


def _allocation_from_metadata(metadata: dict[str, Any] | None, amount: int) -> Allocation:
    metadata = metadata or {}
    fund = metadata.get(FUND_CODE_METADATA_KEY)
    reference = metadata.get(ACCOUNT_REFERENCE_METADATA_KEY)
    if fund is None:
        raise MissingField(
            "Say which fund the payment is for: put fund_code and account_reference in metadata, "
            "or send allocations (a list of fund_code, account_reference and amount).",
            field=f"metadata.{FUND_CODE_METADATA_KEY}",
        )
    if reference is None:
        raise MissingField(
            "Put the account reference being paid (e.g. the council tax account number) in "
            "metadata.account_reference.",
            field=f"metadata.{ACCOUNT_REFERENCE_METADATA_KEY}",
        )
    for key, value in ((FUND_CODE_METADATA_KEY, fund), (ACCOUNT_REFERENCE_METADATA_KEY, reference)):
        if not isinstance(value, str) or not value.strip():
            raise InvalidField(
                f"metadata.{key} must be a non-empty string.", field=f"metadata.{key}"
            )
    return Allocation(str(fund), str(reference), amount, None)


def _allocation_list(value: object) -> tuple[Allocation, ...]:
    if not isinstance(value, list) or not value:
        raise InvalidField(
            "allocations must be a non-empty list of {fund_code, account_reference, amount}.",
            field="allocations",
        )
    if len(value) > MAX_ALLOCATIONS:
        raise InvalidField(
            f"allocations has {len(value)} lines; at most {MAX_ALLOCATIONS} are allowed in one "
            "payment. Split the basket into several payments.",
            field="allocations",
        )
    return tuple(_allocation(item, index) for index, item in enumerate(value))


def _allocation(item: object, index: int) -> Allocation:
    prefix = f"allocations[{index}]."
    if not isinstance(item, dict):
        raise InvalidField(
            f"allocations[{index}] must be an object, not {_kind(item)}.",
            field=f"allocations[{index}]",
        )
    _refuse_unknown(item, ALLOCATION_FIELDS, prefix)
    return Allocation(
        fund_code=_text(item, "fund_code", 32, prefix),
        account_reference=_text(item, "account_reference", 64, prefix),
        amount_pence=_amount(item, "amount", minimum=MIN_AMOUNT_PENCE, prefix=prefix),
        narrative=_optional_text(item, "narrative", MAX_NARRATIVE_LEN, prefix),
    )
