"""A double-entry ledger: accounts, balanced entries of signed integer-pence postings, reversals,
closed periods, idempotent posting, derived balances and a sealed hash chain.

It knows nothing of councils, HTTP or channels; `receipting` builds on it.
"""

from ledger.errors import LedgerError, LedgerInvariantBroken
from ledger.model import (
    Account,
    AccountKind,
    Entry,
    EntryRequest,
    Posting,
    PostingLine,
    ReversalRequest,
    TrialBalance,
    TrialBalanceLine,
)
from ledger.service import LedgerService

__all__ = [
    "Account",
    "AccountKind",
    "Entry",
    "EntryRequest",
    "LedgerError",
    "LedgerInvariantBroken",
    "LedgerService",
    "Posting",
    "PostingLine",
    "ReversalRequest",
    "TrialBalance",
    "TrialBalanceLine",
]
