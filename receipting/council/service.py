"""What the rest of the engine asks of the council's configuration.

CONTRACT (signatures are relied on by payments; the bodies are filled in by the council work).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session


@dataclass(frozen=True, slots=True)
class Fund:
    code: str
    name: str
    gl_code: str
    ledger_account_code: str  # the income/control account credited with the net amount
    vat_code: str
    max_amount_pence: int
    allow_overpayment: bool
    payable_online: bool
    payable_by_phone: bool
    payable_at_counter: bool
    reference_rule: str | None
    back_office: str | None
    retired: bool


@dataclass(frozen=True, slots=True)
class ReferenceResult:
    valid: bool
    normalised: str  # upper-cased, spaces removed: what is stored and posted
    message: str | None  # why it is not valid, in words a resident understands


@dataclass(frozen=True, slots=True)
class VatSplit:
    vat_code: str
    rate_basis_points: int  # 2000 = 20%
    net_pence: int
    vat_pence: int


def get_fund(session: Session, code: str) -> Fund:
    """The fund, or FundNotFound naming the code."""
    raise NotImplementedError


def list_funds(session: Session) -> list[Fund]:
    raise NotImplementedError


def check_reference(session: Session, fund_code: str, reference: str) -> ReferenceResult:
    """Validate `reference` by the fund's rule and its on-stop list."""
    raise NotImplementedError


def vat_split(session: Session, vat_code: str, gross_pence: int, on: date) -> VatSplit:
    """VAT extracted from a VAT-inclusive amount at the rate in force on `on`."""
    raise NotImplementedError


def gateway_clearing_account(session: Session, gateway_name: str) -> str:
    """The ledger account debited with card payments taken through `gateway_name`."""
    raise NotImplementedError


def vat_output_account(session: Session) -> str:
    """The ledger account credited with output VAT."""
    raise NotImplementedError
