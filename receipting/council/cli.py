"""Command line: `receipting council ...`."""

from __future__ import annotations

import click


@click.group("council")
def council() -> None:
    """The council configuration: funds, reference rules, VAT codes, methods of payment."""
