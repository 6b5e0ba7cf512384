"""VAT: rates with the dates they took effect, and VAT extracted from VAT-inclusive amounts.

Pure, integer arithmetic only. Rates are basis points (2000 = 20%), amounts integer pence.

Rounding rule, `ROUND_HALF_UP_TO_PENNY`: the VAT in a VAT-inclusive amount is
`gross * rate / (10000 + rate)`, rounded to the nearest penny with exact halves rounded up (away
from zero for negative amounts, so a refund extracts exactly the VAT its payment did). HMRC
accepts rounding VAT to the nearest penny on each line (VAT Notice 700, section 17); the net is
always `gross - VAT`, so the two always add up to what was paid.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

ROUND_HALF_UP_TO_PENNY = "half_up_to_penny"

BASIS_POINTS_PER_WHOLE = 10_000

# No UK VAT rate has come near 100%; a higher figure is a typing error (2000 meant as 20%?).
MAX_VAT_RATE_BASIS_POINTS = BASIS_POINTS_PER_WHOLE


@dataclass(frozen=True, slots=True)
class VatRate:
    effective_from: date
    rate_basis_points: int


@dataclass(frozen=True, slots=True)
class Extraction:
    rate_basis_points: int
    net_pence: int
    vat_pence: int
    rounding: str = ROUND_HALF_UP_TO_PENNY


class NoRateInForce(LookupError):
    """No rate of the code had taken effect on the date asked about."""


def rate_on(rates: Iterable[VatRate], on: date) -> VatRate:
    """The rate in force on `on`: the one that took effect most recently, on or before it."""
    in_force = [rate for rate in rates if rate.effective_from <= on]
    if not in_force:
        raise NoRateInForce(on)
    return max(in_force, key=lambda rate: rate.effective_from)


def extract_vat(gross_pence: int, rate_basis_points: int) -> Extraction:
    """Split a VAT-inclusive amount into net and VAT by `ROUND_HALF_UP_TO_PENNY`."""
    if rate_basis_points < 0 or rate_basis_points > MAX_VAT_RATE_BASIS_POINTS:
        raise ValueError(f"VAT rate {rate_basis_points} basis points is out of range")
    vat = _vat_in(abs(gross_pence), rate_basis_points)
    vat = -vat if gross_pence < 0 else vat
    return Extraction(rate_basis_points, gross_pence - vat, vat)


def _vat_in(gross_pence: int, rate_basis_points: int) -> int:
    numerator = gross_pence * rate_basis_points
    denominator = BASIS_POINTS_PER_WHOLE + rate_basis_points
    # Nearest whole number, halves up: floor((2n + d) / 2d).
    return (2 * numerator + denominator) // (2 * denominator)


def duplicate_dates(rates: Sequence[VatRate]) -> list[date]:
    seen: set[date] = set()
    twice: list[date] = []
    for rate in rates:
        if rate.effective_from in seen:
            twice.append(rate.effective_from)
        seen.add(rate.effective_from)
    return twice
