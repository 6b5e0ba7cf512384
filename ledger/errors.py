"""What can go wrong in the ledger, each error saying what was wrong and how to fix it.

These are domain refusals: the caller asked for something the ledger will not do. A broken
invariant discovered *after* the domain checks passed is not one of these; it is a bug and
surfaces as `LedgerInvariantBroken` (which the API maps to a 500, never a 4xx).
"""

from __future__ import annotations


class LedgerError(Exception):
    """Base class. `field` names the input at fault, when there is one."""

    code: str = "LEDGER_ERROR"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidEntry(LedgerError):
    code = "INVALID_ENTRY"


class UnbalancedEntry(InvalidEntry):
    code = "UNBALANCED_ENTRY"


class AccountNotFound(LedgerError):
    code = "ACCOUNT_NOT_FOUND"

    def __init__(self, account_code: str, *, field: str | None = "account_code") -> None:
        super().__init__(
            f"There is no ledger account with code {account_code!r}. "
            "Check the code against the chart of accounts (GET /v1/ledger/accounts).",
            field=field,
        )
        self.account_code = account_code


class AccountInactive(LedgerError):
    code = "ACCOUNT_INACTIVE"

    def __init__(self, account_code: str, *, field: str | None = "account_code") -> None:
        super().__init__(
            f"Ledger account {account_code!r} is inactive and cannot take new postings. "
            "Post to its replacement, or reactivate it in the chart of accounts.",
            field=field,
        )


class DuplicateAccount(LedgerError):
    code = "DUPLICATE_ACCOUNT"

    def __init__(self, account_code: str) -> None:
        super().__init__(
            f"A ledger account with code {account_code!r} already exists. "
            "Choose a different code, or update the existing account instead.",
            field="code",
        )


class EntryNotFound(LedgerError):
    code = "ENTRY_NOT_FOUND"

    def __init__(self, entry_id: int) -> None:
        super().__init__(
            f"There is no ledger entry with id {entry_id}. Check the id you were given "
            "when the entry was posted.",
            field="entry_id",
        )


class AlreadyReversed(LedgerError):
    code = "ALREADY_REVERSED"

    def __init__(self, entry_id: int, reversal_id: int | None) -> None:
        by = f" by entry {reversal_id}" if reversal_id is not None else ""
        super().__init__(
            f"Entry {entry_id} has already been reversed{by}; an entry can be reversed once. "
            "To correct it further, post a new entry.",
            field="entry_id",
        )


class PeriodClosed(LedgerError):
    code = "PERIOD_CLOSED"

    def __init__(self, effective_date: str, period_name: str) -> None:
        super().__init__(
            f"The effective date {effective_date} falls in period {period_name!r}, which is "
            "closed. Post with an effective date in an open period.",
            field="effective_date",
        )


class PeriodNotFound(LedgerError):
    code = "PERIOD_NOT_FOUND"

    def __init__(self, name: str) -> None:
        super().__init__(
            f"There is no accounting period named {name!r}. Define it before closing it.",
            field="period",
        )


class InvalidPeriod(LedgerError):
    code = "INVALID_PERIOD"


class IdempotencyKeyReused(LedgerError):
    code = "IDEMPOTENCY_KEY_REUSED"

    def __init__(self, key: str, original_entry_id: int) -> None:
        super().__init__(
            f"The idempotency key {key!r} was already used for a different request "
            f"(entry {original_entry_id}). Use a new key for a new request, or resend the "
            "original request unchanged to get its result.",
            field="idempotency_key",
        )


class LedgerInvariantBroken(Exception):
    """A check that must never fail did. This is a bug or tampering, never user error."""
