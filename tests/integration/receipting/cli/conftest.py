"""Fixtures of the command-line tests: `run_cli` on the test's database, and a chart of accounts."""

from __future__ import annotations

import pytest
from click.testing import Result

from ledger import AccountKind, LedgerService
from tests.integration.receipting.cli.support import MONDAY, TUESDAY, RunCli, card_payment, invoke


@pytest.fixture
def run_cli(db_url: str) -> RunCli:
    def run(*args: str, **env: str) -> Result:
        return invoke(db_url, *args, **env)

    return run


@pytest.fixture
def chart(ledger_service: LedgerService) -> LedgerService:
    ledger_service.open_account("CARD", "Card clearing", AccountKind.ASSET)
    ledger_service.open_account("CTAX", "Council tax", AccountKind.LIABILITY)
    ledger_service.open_account("PCN", "Parking fines", AccountKind.INCOME)
    return ledger_service


@pytest.fixture
def two_days(chart: LedgerService) -> LedgerService:
    card_payment(chart, MONDAY, 123_450)
    card_payment(chart, TUESDAY, 999, fund="PCN", ref="BJ12345673")
    return chart
