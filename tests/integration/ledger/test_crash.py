"""A writer killed mid-flight (SIGKILL) loses nothing it acknowledged and leaves nothing half-done.

A child process posts entries as fast as it can and prints each entry id once `post` has
returned (committed). It is killed without warning; afterwards every printed id must be in the
ledger, every entry must be whole, and the ledger must verify. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from ledger import AccountKind, LedgerService

# The child is killed once it has acknowledged this many entries (enough to be sure it was
# killed mid-stream), or when this long has passed on a machine too busy to get there.
ACKNOWLEDGED_BEFORE_KILL = 25
WRITE_BEFORE_KILL_TIMEOUT_S = 60.0

WRITER = textwrap.dedent(
    """
    import sys
    from datetime import date
    from ledger import EntryRequest, LedgerService, PostingLine
    from ledger.db import make_engine, make_session_factory

    ledger = LedgerService(make_session_factory(make_engine(sys.argv[1])), seal_key=b"x" * 40)
    n = 0
    while True:
        n += 1
        entry = ledger.post(EntryRequest(
            date(2026, 11, 24), "crash test",
            (PostingLine("CARD", n), PostingLine("CTAX", -n, f"REF{n % 7}")),
            idempotency_key=f"crash-{n}",
        ))
        print(entry.id, flush=True)
    """
)


def test_a_killed_writer_loses_no_acknowledged_entry(
    ledger_service: LedgerService, db_url: str, tmp_path: Path
) -> None:
    ledger_service.open_account("CARD", "Card clearing", AccountKind.ASSET)
    ledger_service.open_account("CTAX", "Council tax", AccountKind.INCOME)
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    out = tmp_path / "acknowledged.txt"
    root = Path(__file__).resolve().parents[3]
    with out.open("w") as sink:
        child = subprocess.Popen(
            [sys.executable, str(script), db_url],
            stdout=sink,
            env={**os.environ, "PYTHONPATH": str(root)},
        )
        deadline = time.monotonic() + WRITE_BEFORE_KILL_TIMEOUT_S
        while time.monotonic() < deadline and child.poll() is None:
            if len(out.read_text().split()) >= ACKNOWLEDGED_BEFORE_KILL:
                break
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait()
    acknowledged = [int(line) for line in out.read_text().split()]
    assert len(acknowledged) >= ACKNOWLEDGED_BEFORE_KILL, "the writer never got going"

    report = ledger_service.verify()
    assert report.ok, report.problems
    assert report.entries >= len(acknowledged)  # the last one may have committed unprinted
    for entry_id in acknowledged:
        assert ledger_service.get_entry(entry_id).postings
    ledger_service.seal_all()
    assert ledger_service.verify().ok
    assert ledger_service.trial_balance().total_pence == 0
