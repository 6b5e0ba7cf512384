"""The sandbox's simulated settlement fee: pure integer arithmetic on pence.

The fee is modelled on a typical UK card acquirer's blended rate: a percentage of the amount plus
a fixed sum per transaction. Refunds are paid back in full and carry no fee (the fee on the
original payment is not returned), as most acquirers do.
"""

from __future__ import annotations

from datetime import date

# 1.5% of the amount, in basis points (hundredths of a percent) so that it stays an integer.
FEE_RATE_BASIS_POINTS = 150
BASIS_POINTS_PER_WHOLE = 10_000

# 20p on every payment, whatever its size.
FEE_FIXED_PENCE = 20

PAYOUT_REF_PREFIX = "sandbox-payout-"


def fee_pence_for(gross_pence: int) -> int:
    """The fee on a captured payment of `gross_pence`.

    The percentage is rounded to the nearest penny, halves up (150 basis points of 10p is 0.15p,
    which is 0p; of 30p, 0.45p → 0p; of 100p, 1.5p → 2p). The fee never exceeds the payment
    itself, so a tiny payment is paid out as nothing rather than as a debt.
    """
    if gross_pence < 0:
        raise ValueError(f"gross_pence is {gross_pence}; fees are charged on payments, not refunds")
    rate_part = (gross_pence * FEE_RATE_BASIS_POINTS + BASIS_POINTS_PER_WHOLE // 2) // (
        BASIS_POINTS_PER_WHOLE
    )
    return min(gross_pence, FEE_FIXED_PENCE + rate_part)


def payout_ref_for(settled_on: date) -> str:
    """One payout a day: every payment and refund settled that day shares its reference."""
    return f"{PAYOUT_REF_PREFIX}{settled_on.isoformat()}"
