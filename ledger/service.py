"""The ledger's use cases, each one transaction, opened and committed here and nowhere below.

Other packages that need a ledger write inside a bigger use case call the functions in
`ledger.journal` etc. with their own session instead; this facade is for use cases that are
purely the ledger's (finance queries, the CLI, the worker's sealing pass, tests and benchmarks).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ledger import accounts, balances, errors, journal, periods, sealing, verify
from ledger.model import Account, AccountKind, Entry, EntryRequest, ReversalRequest, TrialBalance

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class LedgerService:
    def __init__(
        self, session_factory: sessionmaker[Session], *, seal_key: bytes, clock: Clock = utc_now
    ) -> None:
        self._sessions = session_factory
        self._seal_key = seal_key
        self._clock = clock

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One transaction: commit on success, roll back on any error.

        A refusal that only surfaces at commit (PostgreSQL's deferred checks) passed every check
        the code made first, so it is reported as a broken invariant, not as bad input.
        """
        with self._sessions() as session, session.begin():
            yield session
            try:
                session.flush()
            except IntegrityError as exc:
                raise errors.LedgerInvariantBroken(str(exc.orig)) from exc

    def open_account(self, code: str, name: str, kind: AccountKind) -> Account:
        with self.unit_of_work() as session:
            return accounts.open_account(session, code, name, kind, now=self._clock())

    def set_account_active(self, code: str, active: bool) -> Account:
        with self.unit_of_work() as session:
            return accounts.set_active(session, code, active)

    def list_accounts(self) -> list[Account]:
        with self.unit_of_work() as session:
            return accounts.list_accounts(session)

    def post(self, request: EntryRequest) -> Entry:
        with self.unit_of_work() as session:
            return journal.post_entry(session, request, now=self._clock())

    def reverse(self, request: ReversalRequest) -> Entry:
        with self.unit_of_work() as session:
            return journal.reverse_entry(session, request, now=self._clock())

    def get_entry(self, entry_id: int) -> Entry:
        with self.unit_of_work() as session:
            return journal.get_entry(session, entry_id)

    def define_period(self, name: str, starts_on: date, ends_on: date) -> periods.Period:
        with self.unit_of_work() as session:
            return periods.define_period(session, name, starts_on, ends_on)

    def close_period(self, name: str) -> periods.Period:
        with self.unit_of_work() as session:
            return periods.close_period(session, name, clock=self._clock)

    def balance(self, account_code: str, as_at: date | None = None) -> int:
        with self.unit_of_work() as session:
            return balances.account_balance(session, account_code, as_at)

    def sub_account_balance(
        self, account_code: str, sub_account_key: str, as_at: date | None = None
    ) -> int:
        with self.unit_of_work() as session:
            return balances.sub_account_balance(session, account_code, sub_account_key, as_at)

    def trial_balance(self, as_at: date | None = None) -> TrialBalance:
        with self.unit_of_work() as session:
            return balances.trial_balance(session, as_at)

    def seal(self, batch_size: int = sealing.SEAL_BATCH_SIZE) -> int:
        """One sealing pass; returns how many entries it sealed."""
        with self.unit_of_work() as session:
            return sealing.seal_pending(
                session, self._seal_key, now=self._clock(), batch_size=batch_size
            )

    def seal_all(self) -> int:
        total = 0
        while sealed := self.seal():
            total += sealed
        return total

    def verify(self) -> verify.VerifyReport:
        with self.unit_of_work() as session:
            return verify.verify_ledger(session, self._seal_key)
