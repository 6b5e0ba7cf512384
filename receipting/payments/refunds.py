"""How a refund is shared across the funds and VAT a payment was credited to. Pure: no I/O.

The rule (integer pence, so every penny is accounted for):

1. The payment's capture entry credited some components: each (ledger account, account
   reference) pair with its amount — fund lines net of VAT, and VAT output.
2. What each component can still give back is its captured amount less what earlier refunds
   already took from it (read from their ledger entries).
3. A refund of R takes from each component `floor(R * remaining_c / remaining_total)`; the pennies
   this leaves over go one at a time to the components in capture order that still have room.

So shares are never negative and never more than a component has left, they always add up to R,
and the refund that empties the payment returns exactly what each component still held: after a
full refund, by however many partial refunds, every fund and VAT is back to zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Component:
    account_code: str
    sub_account_key: str | None
    remaining_pence: int


def apportion(refund_pence: int, components: Sequence[Component]) -> list[int]:
    """Each component's share of `refund_pence`, in the order given."""
    total = sum(c.remaining_pence for c in components)
    if not 0 < refund_pence <= total:
        raise ValueError(
            f"A refund of {refund_pence} pence cannot be shared over {total} pence remaining."
        )
    shares = [refund_pence * c.remaining_pence // total for c in components]
    left = refund_pence - sum(shares)
    for index, component in enumerate(components):
        if left == 0:
            break
        if shares[index] < component.remaining_pence:
            shares[index] += 1
            left -= 1
    assert left == 0, "the pennies left over always fit: the room left is at least R"
    return shares
