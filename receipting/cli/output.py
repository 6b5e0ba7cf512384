"""What the commands print, formatted the same way everywhere: money in pounds, by integers."""

from __future__ import annotations


def format_pounds(pence: int, *, grouped: bool = True) -> str:
    """Pence as pounds with two decimals ("1,234.50"), by integer arithmetic only."""
    sign = "-" if pence < 0 else ""
    pounds, remainder = divmod(abs(pence), 100)
    whole = f"{pounds:,}" if grouped else str(pounds)
    return f"{sign}{whole}.{remainder:02d}"


def debit_credit(balance_pence: int) -> tuple[int, int]:
    """A signed balance as its (debit, credit) columns, both non-negative."""
    return (balance_pence, 0) if balance_pence > 0 else (0, -balance_pence)
