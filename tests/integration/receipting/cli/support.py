"""What the command-line tests share: running `receipting` in-process, a small chart of
accounts, and telling a clean refusal from a traceback."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

from click.testing import CliRunner, Result

from ledger import Entry, EntryRequest, LedgerService, PostingLine
from receipting.cli import cli
from tests.conftest import TEST_SEAL_KEY

MONDAY = date(2026, 11, 2)
TUESDAY = date(2026, 11, 3)

RunCli = Callable[..., Result]

# A command run as a process starts Python and imports the engine: a few seconds at most.
PROCESS_TIMEOUT_S = 60


def invoke(url: str, *args: str, **env: str) -> Result:
    base = {
        "RECEIPTING_DATABASE_URL": url,
        "RECEIPTING_SEAL_KEY": TEST_SEAL_KEY.decode(),
        "RECEIPTING_LOG_LEVEL": "WARNING",
    }
    return CliRunner().invoke(cli, list(args), env={**base, **env})


def card_payment(
    service: LedgerService, day: date, pence: int, fund: str = "CTAX", ref: str = "771234561"
) -> Entry:
    return service.post(
        EntryRequest(
            day, "card payment", (PostingLine("CARD", pence), PostingLine(fund, -pence, ref))
        )
    )


def no_traceback(result: Result) -> bool:
    """The command ended through an exit status, not an exception escaping it."""
    clean_exit = result.exception is None or isinstance(result.exception, SystemExit)
    return clean_exit and "Traceback" not in result.output


def receipting_command() -> list[str]:
    script = Path(sys.executable).with_name("receipting")
    return [str(script)] if script.exists() else [sys.executable, "-m", "receipting.cli"]
