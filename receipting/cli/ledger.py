"""`receipting ledger ...`: verify, seal and report on the double-entry ledger."""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import date

import click
from sqlalchemy import func, select

from ledger import LedgerService, TrialBalance
from ledger.sealing import SEAL_BATCH_SIZE
from ledger.tables import SealQueueRow, SealRow
from receipting.cli.context import ledger_for, load_settings
from receipting.cli.exits import EXIT_PROBLEM_FOUND
from receipting.cli.output import debit_credit, format_pounds

TRIAL_BALANCE_FORMATS = ("table", "json", "csv")


def queued_for_sealing(service: LedgerService) -> int:
    with service.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(SealQueueRow)) or 0


def sealed_links(service: LedgerService) -> int:
    with service.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(SealRow)) or 0


@click.group()
def ledger() -> None:
    """Check, seal and report on the double-entry ledger."""


@ledger.command("verify")
def ledger_verify() -> None:
    """Recompute the seal chain and every invariant; exit 1 naming the first problem."""
    settings = load_settings()
    settings.warn_about_defaults()
    with ledger_for(settings) as service:
        report = service.verify()
    click.echo(
        f"Ledger: {report.entries} entries, {report.postings} postings, {report.seals} sealed, "
        f"{report.queued} queued for sealing."
    )
    if report.ok:
        click.echo("OK: the seal chain and every invariant verify.")
        return
    first, *others = report.problems
    click.echo(f"FAILED: {first}", err=True)
    for problem in others:
        click.echo(f"  also: {problem}", err=True)
    sys.exit(EXIT_PROBLEM_FOUND)


def parse_as_at(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD.") from None


@ledger.command("trial-balance")
@click.option(
    "--as-at",
    callback=parse_as_at,
    metavar="YYYY-MM-DD",
    help="Balances as at the end of this effective date (default: everything).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(TRIAL_BALANCE_FORMATS),
    default="table",
    show_default=True,
    help="table for people; json (pence) or csv (pounds) for other programs.",
)
def ledger_trial_balance(as_at: date | None, output_format: str) -> None:
    """Every account's balance in debit and credit columns; the columns always agree."""
    settings = load_settings()
    with ledger_for(settings) as service:
        balance = service.trial_balance(as_at)
    render = {"table": trial_balance_table, "json": trial_balance_json, "csv": trial_balance_csv}
    click.echo(render[output_format](balance), nl=False)


def trial_balance_table(balance: TrialBalance) -> str:
    heading = (
        f"Trial balance as at {balance.as_at.isoformat()}"
        if balance.as_at
        else "Trial balance (all entries)"
    )
    rows = []
    total_debit = total_credit = 0
    for line in balance.lines:
        debit, credit = debit_credit(line.balance_pence)
        total_debit += debit
        total_credit += credit
        rows.append(
            (
                line.account_code,
                line.name,
                line.kind.value,
                format_pounds(debit) if debit else "",
                format_pounds(credit) if credit else "",
            )
        )
    header = ("Code", "Account", "Kind", "Debit", "Credit")
    footer = ("", "Total", "", format_pounds(total_debit), format_pounds(total_credit))
    widths = [max(len(row[i]) for row in (header, footer, *rows)) for i in range(len(header))]

    def fmt(row: tuple[str, ...]) -> str:
        left = [cell.ljust(widths[i]) for i, cell in enumerate(row[:3])]
        right = [cell.rjust(widths[i + 3]) for i, cell in enumerate(row[3:])]
        return "  ".join(left + right).rstrip()

    rule = "  ".join("-" * width for width in widths)
    lines = [heading, "", fmt(header), rule, *(fmt(row) for row in rows), rule, fmt(footer)]
    if total_debit != total_credit:
        lines.append(
            f"OUT OF BALANCE by {format_pounds(total_debit - total_credit)}: "
            "run `receipting ledger verify`."
        )
    return "\n".join(lines) + "\n"


def trial_balance_json(balance: TrialBalance) -> str:
    lines = []
    total_debit = total_credit = 0
    for line in balance.lines:
        debit, credit = debit_credit(line.balance_pence)
        total_debit += debit
        total_credit += credit
        lines.append(
            {
                "account_code": line.account_code,
                "name": line.name,
                "kind": line.kind.value,
                "balance_pence": line.balance_pence,
                "debit_pence": debit,
                "credit_pence": credit,
            }
        )
    document = {
        "as_at": balance.as_at.isoformat() if balance.as_at else None,
        "currency": "GBP",
        "lines": lines,
        "total_debit_pence": total_debit,
        "total_credit_pence": total_credit,
        "total_pence": balance.total_pence,
    }
    return json.dumps(document, indent=2) + "\n"


def trial_balance_csv(balance: TrialBalance) -> str:
    # Pounds without thousands separators: spreadsheets read "1234.50" as a number.
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("account_code", "name", "kind", "debit", "credit"))
    for line in balance.lines:
        debit, credit = debit_credit(line.balance_pence)
        writer.writerow(
            (
                line.account_code,
                line.name,
                line.kind.value,
                format_pounds(debit, grouped=False) if debit else "",
                format_pounds(credit, grouped=False) if credit else "",
            )
        )
    return out.getvalue()


@ledger.command("seal")
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=SEAL_BATCH_SIZE,
    show_default=True,
    help="Entries sealed per transaction.",
)
def ledger_seal(batch_size: int) -> None:
    """Seal every entry waiting in the queue into the hash chain, now."""
    settings = load_settings()
    settings.warn_about_defaults()
    with ledger_for(settings) as service:
        waiting = queued_for_sealing(service)
        sealed = 0
        with click.progressbar(length=waiting, label="Sealing", file=sys.stderr) as progress:
            while batch := service.seal(batch_size):
                sealed += batch
                progress.update(batch)
        left = queued_for_sealing(service)
        links = sealed_links(service)
    click.echo(f"Sealed {sealed} entries; the chain has {links} links.")
    if left:
        click.echo(
            f"{left} entries are still queued: another sealer (a running worker) holds the "
            "chain and will seal them."
        )
