"""Command line: `receipting council load FILE` and `receipting council show`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from receipting.cli.context import migrated_sessions
from receipting.council import service
from receipting.council.config import MAX_CONFIG_BYTES
from receipting.council.service import CouncilPresentation, Fund, LoadReport


@click.group("council")
def council() -> None:
    """The council configuration: funds, reference rules, VAT codes, methods of payment."""


@council.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def load(file: Path) -> None:
    """Check FILE (TOML) and make it the council's configuration, all of it or nothing.

    Funds left out of FILE are retired, never deleted. Loading the file that is already the
    current configuration changes nothing.
    """
    if file.stat().st_size > MAX_CONFIG_BYTES:
        raise click.ClickException(
            f"{file} is larger than {MAX_CONFIG_BYTES} bytes; a council's configuration is far "
            "smaller. Check that this is the right file."
        )
    data = file.read_bytes()
    with migrated_sessions() as sessions:
        report = service.load_council_config(sessions, data, file.name)
    click.echo(load_summary(report))


def load_summary(report: LoadReport) -> str:
    if not report.changed:
        return (
            f"{report.council_name}: this file is already the current configuration "
            f"(version {report.version}); nothing changed."
        )
    lines = [
        f"{report.council_name}: configuration version {report.version} loaded: "
        f"{report.funds} funds, {report.accounts} accounts in the chart."
    ]
    if report.funds_retired:
        lines.append(
            f"Retired (left out of the file; kept for history): {', '.join(report.funds_retired)}."
        )
    return "\n".join(lines)


@council.command("show")
def show() -> None:
    """Show the current configuration: its version, funds, VAT codes, methods and gateways."""
    with migrated_sessions() as sessions, sessions() as session, session.begin():
        version = service.current_version(session)
        if version is None:
            click.echo(
                "No council configuration is loaded. Load one with `receipting council load FILE`."
            )
            return
        click.echo(
            f"{version.council_name}: configuration version {version.version}, loaded "
            f"{version.loaded_at:%Y-%m-%d %H:%M} UTC from {version.source} "
            f"(sha256 {version.sha256[:12]}...)."
        )
        click.echo(presentation_line(service.council_presentation(session)))
        click.echo("")
        click.echo(funds_table(service.list_funds(session)))
        click.echo("")
        click.echo("VAT codes:")
        for code in service.list_vat_codes(session):
            rates = ", ".join(
                f"{_percent(r.rate_basis_points)} from {r.effective_from.isoformat()}"
                for r in code.rates
            )
            retired = " (retired)" if code.retired else ""
            click.echo(f"  {code.code:<8} {code.name}{retired}: {rates}")
        click.echo("Methods of payment:")
        for method in service.list_payment_methods(session):
            flags = "refundable" if method.refundable else "not refundable"
            retired = ", retired" if method.retired else ""
            click.echo(
                f"  {method.code:<16} {method.name} -> {method.clearing_account_code} "
                f"({flags}{retired})"
            )
        click.echo("Card gateways:")
        for name, account in service.list_gateways(session):
            click.echo(f"  {name:<16} clearing account {account}")
        click.echo(
            f"VAT output: {service.vat_output_account(session)}; suspense: "
            f"{service.suspense_account(session)}; card fees: {service.card_fees_account(session)}."
        )


def presentation_line(presentation: CouncilPresentation) -> str:
    welsh = presentation.name_cy or "no Welsh name"
    details = [f"colour {presentation.colour}"]
    if presentation.website_url:
        details.append(presentation.website_url)
    if presentation.phone:
        details.append(f"phone {presentation.phone}")
    return f"Residents see: {presentation.name} / {welsh}; {', '.join(details)}."


def _percent(basis_points: int) -> str:
    whole, fraction = divmod(basis_points, 100)
    return f"{whole}%" if fraction == 0 else f"{whole}.{fraction:02d}".rstrip("0") + "%"


def _pounds(pence: int) -> str:
    pounds, remainder = divmod(pence, 100)
    return f"£{pounds:,}.{remainder:02d}"


def _channels(fund: Fund) -> str:
    doors = [
        name
        for name, on in (
            ("online", fund.payable_online),
            ("phone", fund.payable_by_phone),
            ("counter", fund.payable_at_counter),
        )
        if on
    ]
    return "/".join(doors) or "none"


FUND_COLUMNS = ("code", "name", "account", "VAT", "maximum", "payable", "rule", "status")


def funds_table(funds: Sequence[Fund]) -> str:
    rows = [FUND_COLUMNS] + [
        (
            fund.code,
            fund.name,
            fund.ledger_account_code,
            fund.vat_code,
            _pounds(fund.max_amount_pence),
            _channels(fund),
            fund.reference_rule or "-",
            "retired" if fund.retired else "active",
        )
        for fund in funds
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(FUND_COLUMNS))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )
