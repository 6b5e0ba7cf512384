"""`receipting ledger trial-balance`, `verify` and `seal` on real databases."""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy import text

from ledger import LedgerService
from ledger.db import make_engine
from tests.integration.receipting.cli.support import (
    MONDAY,
    TUESDAY,
    RunCli,
    card_payment,
    no_traceback,
)


def test_trial_balance_table_shows_pounds_in_debit_and_credit_columns_that_agree(
    two_days: LedgerService, run_cli: RunCli
) -> None:
    result = run_cli("ledger", "trial-balance")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Trial balance (all entries)"
    card = next(line for line in lines if line.startswith("CARD "))
    ctax = next(line for line in lines if line.startswith("CTAX "))
    pcn = next(line for line in lines if line.startswith("PCN "))
    total = next(line for line in lines if "Total" in line)
    assert card.split()[-1] == "1,244.49"
    assert ctax.split()[-1] == "1,234.50"
    assert pcn.split()[-1] == "9.99"
    assert total.split()[-2:] == ["1,244.49", "1,244.49"]
    assert "OUT OF BALANCE" not in result.output


def test_trial_balance_json_gives_pence_and_sums_to_zero(
    two_days: LedgerService, run_cli: RunCli
) -> None:
    result = run_cli("ledger", "trial-balance", "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    by_code = {line["account_code"]: line for line in document["lines"]}
    assert document["as_at"] is None
    assert document["currency"] == "GBP"
    assert by_code["CARD"]["balance_pence"] == 124_449
    assert by_code["CARD"]["debit_pence"] == 124_449
    assert by_code["CARD"]["credit_pence"] == 0
    assert by_code["CTAX"]["credit_pence"] == 123_450
    assert document["total_pence"] == 0
    assert document["total_debit_pence"] == document["total_credit_pence"] == 124_449


def test_trial_balance_csv_gives_plain_pounds_a_spreadsheet_reads_as_numbers(
    two_days: LedgerService, run_cli: RunCli
) -> None:
    result = run_cli("ledger", "trial-balance", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = {row["account_code"]: row for row in csv.DictReader(io.StringIO(result.output))}
    assert rows["CARD"] == {
        "account_code": "CARD",
        "name": "Card clearing",
        "kind": "asset",
        "debit": "1244.49",
        "credit": "",
    }
    assert rows["CTAX"]["credit"] == "1234.50"


def test_trial_balance_as_at_a_date_leaves_out_later_entries(
    two_days: LedgerService, run_cli: RunCli
) -> None:
    result = run_cli("ledger", "trial-balance", "--as-at", MONDAY.isoformat(), "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    by_code = {line["account_code"]: line["balance_pence"] for line in document["lines"]}
    assert document["as_at"] == "2026-11-02"
    assert by_code == {"CARD": 123_450, "CTAX": -123_450, "PCN": 0}

    table = run_cli("ledger", "trial-balance", "--as-at", MONDAY.isoformat())
    assert table.output.splitlines()[0] == "Trial balance as at 2026-11-02"


def test_trial_balance_refuses_a_date_that_is_not_iso(run_cli: RunCli) -> None:
    result = run_cli("ledger", "trial-balance", "--as-at", "02/11/2026")
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output


def test_trial_balance_of_a_ledger_after_sealing_is_unchanged(
    two_days: LedgerService, run_cli: RunCli
) -> None:
    before = run_cli("ledger", "trial-balance", "--format", "json").output
    two_days.seal_all()
    assert run_cli("ledger", "trial-balance", "--format", "json").output == before


# --- ledger verify and seal -------------------------------------------------------------------


def test_verify_passes_on_a_sound_ledger_and_summarises_it(
    two_days: LedgerService, run_cli: RunCli
) -> None:
    two_days.seal_all()
    card_payment(two_days, TUESDAY, 500)
    result = run_cli("ledger", "verify")
    assert result.exit_code == 0, result.output
    assert "3 entries, 6 postings, 2 sealed, 1 queued for sealing" in result.output
    assert "OK" in result.output


def tamper_with_postings_of(db_url: str, entry_id: int) -> None:
    """Redirect a sealed payment to another account reference, behind the ledger's back."""
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("DROP TRIGGER ledger_postings_no_update")
            else:
                conn.exec_driver_sql(
                    "ALTER TABLE ledger_postings DISABLE TRIGGER ledger_postings_append_only"
                )
            changed = conn.execute(
                text(
                    "UPDATE ledger_postings SET sub_account_key = '779999999' "
                    "WHERE entry_id = :entry_id AND sub_account_key IS NOT NULL"
                ),
                {"entry_id": entry_id},
            )
            assert changed.rowcount == 1
    finally:
        engine.dispose()


def test_verify_fails_naming_the_seal_link_and_entry_of_a_posting_changed_after_sealing(
    chart: LedgerService, db_url: str, run_cli: RunCli
) -> None:
    card_payment(chart, MONDAY, 1_000)
    altered = card_payment(chart, MONDAY, 2_000, ref="770045120")
    card_payment(chart, TUESDAY, 3_000)
    chart.seal_all()
    tamper_with_postings_of(db_url, altered.id)

    result = run_cli("ledger", "verify")
    assert result.exit_code == 1, result.output
    assert f"FAILED: seal chain: link 2 (entry {altered.id}) does not verify" in result.output
    assert no_traceback(result)


def test_seal_seals_everything_queued_and_says_how_long_the_chain_is(
    chart: LedgerService, run_cli: RunCli
) -> None:
    for pence in (100, 200, 300):
        card_payment(chart, MONDAY, pence)
    result = run_cli("ledger", "seal", "--batch-size", "2")
    assert result.exit_code == 0, result.output
    assert "Sealed 3 entries; the chain has 3 links." in result.output
    report = chart.verify()
    assert (report.ok, report.seals, report.queued) == (True, 3, 0)

    again = run_cli("ledger", "seal")
    assert "Sealed 0 entries; the chain has 3 links." in again.output
