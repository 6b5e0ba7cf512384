"""Random sequences of ledger operations against a tiny in-memory model.

After every step the real ledger must agree with the model and with itself (invariants 1-8 of
the ledger invariants): balances from the fast path equal the model and a recompute from raw
postings; the trial balance is zero now and as at past dates; refused operations change nothing;
idempotent replays return the original; closed periods take nothing; a reversal happens once; the
sealed chain verifies.

Each example runs on a fresh database; the test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from ledger import AccountKind, EntryRequest, LedgerService, PostingLine, ReversalRequest, errors
from ledger.balances import recomputed_balances
from ledger.db import make_engine, make_session_factory
from tests.conftest import TEST_SEAL_KEY
from tests.integration.ledger import rawsql
from tests.support.databases import DatabaseFactory

ACCOUNTS = {
    "CARD": AccountKind.ASSET,
    "CTAX": AccountKind.INCOME,
    "VAT": AccountKind.LIABILITY,
    "FEES": AccountKind.EXPENSE,
}
YEAR = 2026
CHECK_DATES = [date(YEAR, 3, 31), date(YEAR, 6, 30), date(YEAR, 9, 30)]
KEYS = st.one_of(st.none(), st.sampled_from(["k1", "k2", "k3", "k4"]))
DAYS = st.dates(min_value=date(YEAR, 1, 1), max_value=date(YEAR, 12, 31))
SUB_KEYS = st.sampled_from([None, "R1", "R2"])


@st.composite
def legs(draw: st.DrawFn, balanced: bool = True) -> tuple[PostingLine, ...]:
    count = draw(st.integers(min_value=2, max_value=4))
    amounts = draw(
        st.lists(
            st.integers(min_value=-1_000_000, max_value=1_000_000).filter(bool),
            min_size=count - 1,
            max_size=count - 1,
        )
    )
    last = -sum(amounts)
    if not balanced:
        last += draw(st.integers(min_value=-500, max_value=500).filter(bool))
    if last == 0 or abs(last) > 10**12:
        last = draw(st.sampled_from([1, -1]))
        amounts = [*amounts[:-1], amounts[-1] - last] if balanced else amounts
        if balanced and (amounts[-1] == 0):
            amounts[-1], last = 7, -(sum(amounts[:-1]) + 7)
    values = [*amounts, last]
    codes = draw(st.lists(st.sampled_from(sorted(ACCOUNTS)), min_size=count, max_size=count))
    subs = draw(st.lists(SUB_KEYS, min_size=count, max_size=count))
    return tuple(PostingLine(c, v, s) for c, v, s in zip(codes, values, subs, strict=True))


@dataclass
class ModelEntry:
    effective_date: date
    lines: tuple[PostingLine, ...]
    reversed_by: int | None = None


def ledger_machine(databases: DatabaseFactory) -> type[RuleBasedStateMachine]:
    class LedgerMachine(RuleBasedStateMachine):
        entries = Bundle("entries")

        def __init__(self) -> None:
            super().__init__()
            self.url = databases.url()
            self.engine = make_engine(self.url)
            self.ledger = LedgerService(make_session_factory(self.engine), seal_key=TEST_SEAL_KEY)
            self.model: dict[int, ModelEntry] = {}
            self.keys: dict[str, tuple[str, int]] = {}
            self.closed: set[int] = set()

        def teardown(self) -> None:
            self.engine.dispose()
            databases.drop(self.url)

        @initialize()
        def chart_and_periods(self) -> None:
            for code, kind in ACCOUNTS.items():
                self.ledger.open_account(code, code.title(), kind)
            for month in range(1, 13):
                last = calendar.monthrange(YEAR, month)[1]
                self.ledger.define_period(
                    f"{YEAR}-{month:02}", date(YEAR, month, 1), date(YEAR, month, last)
                )

        # --- helpers ----------------------------------------------------------------------

        def refused(self, error: type[errors.LedgerError], operation: object) -> None:
            before = rawsql.table_snapshot(self.engine)
            try:
                operation()  # type: ignore[operator]
            except error:
                pass
            else:
                raise AssertionError(f"expected {error.__name__}")
            assert rawsql.table_snapshot(self.engine) == before, "a refusal changed the database"

        def is_closed(self, day: date) -> bool:
            return day.month in self.closed

        def record(
            self, key: str | None, request_hash: str, entry_id: int, entry: ModelEntry
        ) -> None:
            assert entry_id not in self.model
            self.model[entry_id] = entry
            if key is not None:
                self.keys[key] = (request_hash, entry_id)

        # --- rules ------------------------------------------------------------------------

        @rule(target=entries, lines=legs(), day=DAYS, key=KEYS)
        def post(self, lines: tuple[PostingLine, ...], day: date, key: str | None):  # type: ignore[no-untyped-def]
            request = EntryRequest(day, "random entry", lines, idempotency_key=key)
            if key in self.keys:
                known_hash, known_id = self.keys[key]
                if known_hash != request.request_hash():
                    self.refused(errors.IdempotencyKeyReused, lambda: self.ledger.post(request))
                    return multiple()
                replay = self.ledger.post(request)
                assert replay.replayed and replay.id == known_id
                return multiple()
            if self.is_closed(day):
                self.refused(errors.PeriodClosed, lambda: self.ledger.post(request))
                return multiple()
            entry = self.ledger.post(request)
            assert not entry.replayed
            self.record(key, request.request_hash(), entry.id, ModelEntry(day, lines))
            return entry.id

        @rule(lines=legs(balanced=False), day=DAYS)
        def post_unbalanced(self, lines: tuple[PostingLine, ...], day: date) -> None:
            request = EntryRequest(day, "unbalanced", lines)
            self.refused(errors.UnbalancedEntry, lambda: self.ledger.post(request))

        @rule(target=entries, entry_id=entries, day=DAYS, key=KEYS)
        def reverse(self, entry_id: int, day: date, key: str | None):  # type: ignore[no-untyped-def]
            request = ReversalRequest(entry_id, day, "reversal", idempotency_key=key)
            if key in self.keys:
                known_hash, known_id = self.keys[key]
                if known_hash != request.request_hash():
                    self.refused(errors.IdempotencyKeyReused, lambda: self.ledger.reverse(request))
                    return multiple()
                assert self.ledger.reverse(request).id == known_id
                return multiple()
            original = self.model[entry_id]
            if original.reversed_by is not None:
                self.refused(errors.AlreadyReversed, lambda: self.ledger.reverse(request))
                return multiple()
            if self.is_closed(day):
                self.refused(errors.PeriodClosed, lambda: self.ledger.reverse(request))
                return multiple()
            reversal = self.ledger.reverse(request)
            assert reversal.reverses_entry_id == entry_id
            original.reversed_by = reversal.id
            lines = tuple(
                PostingLine(p.account_code, -p.amount_pence, p.sub_account_key)
                for p in original.lines
            )
            self.record(key, request.request_hash(), reversal.id, ModelEntry(day, lines))
            return reversal.id

        @rule(entry_id=st.integers(min_value=10_000, max_value=20_000), day=DAYS)
        def reverse_missing(self, entry_id: int, day: date) -> None:
            request = ReversalRequest(entry_id, day, "reversal")
            self.refused(errors.EntryNotFound, lambda: self.ledger.reverse(request))

        @rule(month=st.integers(min_value=1, max_value=12))
        def close_period(self, month: int) -> None:
            self.ledger.close_period(f"{YEAR}-{month:02}")
            self.closed.add(month)

        @rule(batch=st.integers(min_value=1, max_value=5))
        def seal(self, batch: int) -> None:
            self.ledger.seal(batch_size=batch)

        # --- invariants ---------------------------------------------------------------------

        def model_balances(self, as_at: date | None = None) -> dict[str, int]:
            totals: dict[str, int] = defaultdict(int)
            for entry in self.model.values():
                if as_at is None or entry.effective_date <= as_at:
                    for line in entry.lines:
                        totals[line.account_code] += line.amount_pence
            return {code: totals.get(code, 0) for code in ACCOUNTS}

        @invariant()
        def balances_agree_with_the_model_and_a_recompute(self) -> None:
            for as_at in (None, *CHECK_DATES):
                expected = self.model_balances(as_at)
                trial = self.ledger.trial_balance(as_at)
                assert trial.total_pence == 0
                assert {line.account_code: line.balance_pence for line in trial.lines} == expected
            with self.ledger.unit_of_work() as session:
                raw = recomputed_balances(session)
            assert {code: raw.get(code, 0) for code in ACCOUNTS} == self.model_balances()

        @invariant()
        def reference_balances_agree_with_the_model(self) -> None:
            expected = sum(
                line.amount_pence
                for entry in self.model.values()
                for line in entry.lines
                if line.account_code == "CTAX" and line.sub_account_key == "R1"
            )
            assert self.ledger.sub_account_balance("CTAX", "R1") == expected

        @invariant()
        def the_ledger_verifies(self) -> None:
            report = self.ledger.verify()
            assert report.ok, report.problems
            assert report.entries == len(self.model)

    return LedgerMachine


def test_random_operation_sequences_keep_every_invariant(databases: DatabaseFactory) -> None:
    machine = ledger_machine(databases)
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=30 if databases.kind == "sqlite" else 20,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            print_blob=True,
        ),
    )
