"""The ledger's domain values and the pure checks made on them before anything is written.

Conventions, used everywhere in this package:
- money is integer pence (`int`), never float or Decimal;
- a posting's amount is signed: a debit is positive, a credit negative;
- an entry's postings sum to zero, there are at least two, and none is zero.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from ledger.errors import InvalidEntry, UnbalancedEntry

# A single posting may move at most £10 billion. Far above any council transaction (a large
# authority's whole annual budget is a few billion pounds) yet far inside a signed 64-bit column,
# so that no sum over millions of postings can overflow.
MAX_POSTING_PENCE = 1_000_000_000_000

# An entry is one journal transaction. A cash-network or bank file may post many lines at once,
# but beyond this a file should be posted as several entries so one commit stays short.
MAX_POSTINGS_PER_ENTRY = 5_000

# Column sizes, named so that the schema and the checks agree.
MAX_ACCOUNT_CODE_LEN = 32
MAX_ACCOUNT_NAME_LEN = 200
MAX_DESCRIPTION_LEN = 500
MAX_SOURCE_LEN = 64
MAX_SUB_ACCOUNT_KEY_LEN = 64
MAX_IDEMPOTENCY_KEY_LEN = 255
MAX_PERIOD_NAME_LEN = 32

DEFAULT_CURRENCY = "GBP"


class AccountKind(StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    INCOME = "income"
    EXPENSE = "expense"
    EQUITY = "equity"


@dataclass(frozen=True, slots=True)
class Account:
    code: str
    name: str
    kind: AccountKind
    active: bool


@dataclass(frozen=True, slots=True)
class PostingLine:
    """One leg of an entry as requested: debit positive, credit negative."""

    account_code: str
    amount_pence: int
    sub_account_key: str | None = None


@dataclass(frozen=True, slots=True)
class EntryRequest:
    effective_date: date
    description: str
    lines: tuple[PostingLine, ...]
    source: str = "manual"
    idempotency_key: str | None = None
    currency: str = DEFAULT_CURRENCY

    def request_hash(self) -> str:
        """A stable digest of everything that defines the request (not the key itself)."""
        return _digest(
            {
                "effective_date": self.effective_date.isoformat(),
                "description": self.description,
                "source": self.source,
                "currency": self.currency,
                "lines": [
                    [line.account_code, line.amount_pence, line.sub_account_key]
                    for line in self.lines
                ],
            }
        )


@dataclass(frozen=True, slots=True)
class ReversalRequest:
    entry_id: int
    effective_date: date
    description: str
    source: str = "reversal"
    idempotency_key: str | None = None

    def request_hash(self) -> str:
        return _digest(
            {
                "reverses": self.entry_id,
                "effective_date": self.effective_date.isoformat(),
                "description": self.description,
                "source": self.source,
            }
        )


@dataclass(frozen=True, slots=True)
class Posting:
    account_code: str
    amount_pence: int
    currency: str
    sub_account_key: str | None


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    effective_date: date
    posted_at: datetime
    description: str
    source: str
    idempotency_key: str | None
    reverses_entry_id: int | None
    postings: tuple[Posting, ...]
    # True when this is the original result returned again for a replayed idempotency key.
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class TrialBalanceLine:
    account_code: str
    name: str
    kind: AccountKind
    balance_pence: int


@dataclass(frozen=True, slots=True)
class TrialBalance:
    as_at: date | None
    lines: tuple[TrialBalanceLine, ...]
    total_pence: int = field(default=0)


def _digest(payload: object) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def check_entry_request(request: EntryRequest) -> None:
    """Refuse a malformed entry before anything is written. Pure: no I/O."""
    lines = request.lines
    if len(lines) < 2:
        raise InvalidEntry(
            f"An entry needs at least two postings; this one has {len(lines)}. "
            "Add the other side of the entry.",
            field="lines",
        )
    if len(lines) > MAX_POSTINGS_PER_ENTRY:
        raise InvalidEntry(
            f"An entry may have at most {MAX_POSTINGS_PER_ENTRY} postings; this one has "
            f"{len(lines)}. Split it into several entries.",
            field="lines",
        )
    for index, line in enumerate(lines):
        check_posting_line(line, index)
    total = sum(line.amount_pence for line in lines)
    if total != 0:
        side = "debits exceed credits" if total > 0 else "credits exceed debits"
        raise UnbalancedEntry(
            f"The postings must sum to zero, but they sum to {total} pence ({side}). "
            "Make debits (positive) equal credits (negative).",
            field="lines",
        )
    check_text(request.description, "description", MAX_DESCRIPTION_LEN)
    check_text(request.source, "source", MAX_SOURCE_LEN)
    check_currency(request.currency)
    if request.idempotency_key is not None:
        check_text(request.idempotency_key, "idempotency_key", MAX_IDEMPOTENCY_KEY_LEN)


def check_posting_line(line: PostingLine, index: int) -> None:
    where = f"lines[{index}]"
    if isinstance(line.amount_pence, bool) or not isinstance(line.amount_pence, int):
        raise InvalidEntry(
            f"{where}.amount_pence must be a whole number of pence, not "
            f"{type(line.amount_pence).__name__}.",
            field=f"{where}.amount_pence",
        )
    if line.amount_pence == 0:
        raise InvalidEntry(
            f"{where}.amount_pence is zero; a posting must move money. Remove the line.",
            field=f"{where}.amount_pence",
        )
    if abs(line.amount_pence) > MAX_POSTING_PENCE:
        raise InvalidEntry(
            f"{where}.amount_pence is {line.amount_pence}; a single posting may move at most "
            f"{MAX_POSTING_PENCE} pence. Split it across several entries.",
            field=f"{where}.amount_pence",
        )
    check_text(line.account_code, f"{where}.account_code", MAX_ACCOUNT_CODE_LEN)
    if line.sub_account_key is not None:
        check_text(line.sub_account_key, f"{where}.sub_account_key", MAX_SUB_ACCOUNT_KEY_LEN)


def check_text(value: str, name: str, max_len: int) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidEntry(f"{name} must not be empty.", field=name)
    if len(value) > max_len:
        raise InvalidEntry(
            f"{name} is {len(value)} characters long; at most {max_len} are allowed.",
            field=name,
        )


def check_currency(currency: str) -> None:
    if currency != DEFAULT_CURRENCY:
        raise InvalidEntry(
            f"currency {currency!r} is not supported; the ledger records {DEFAULT_CURRENCY} only.",
            field="currency",
        )


def reversal_lines(postings: Sequence[Posting]) -> tuple[PostingLine, ...]:
    """The postings that net an entry to zero, leg by leg."""
    return tuple(PostingLine(p.account_code, -p.amount_pence, p.sub_account_key) for p in postings)
