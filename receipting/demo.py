"""The demo: a chart of accounts and a week of takings for a fictional "Demo Borough Council".

Everything here is data plus one seeding function; the council's configuration (funds, reference
rules, VAT codes, methods of payment) is `receipting/council/demo_council.toml`, loaded by it.
Seeding is idempotent: accounts are ensured, the configuration is loaded only when it changed, and
every entry carries an idempotency key, so running the demo again writes nothing new. The
effective dates are fixed rather than "today" because an idempotency key replayed with a different
date is a different request, which the ledger rightly refuses.

References are shaped like real ones (see the council configurations in the reference notes on
check digits) and their check characters are valid under the demo council's reference rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from importlib.resources import files

from ledger import AccountKind, Entry, EntryRequest, LedgerService, PostingLine, ReversalRequest
from ledger.accounts import ensure_account, list_accounts
from ledger.service import Clock, utc_now
from receipting.council.service import apply_config_file
from receipting.errors import ReceiptingError

DEMO_COUNCIL_NAME = "Demo Borough Council"

# The council's configuration (funds, reference rules, VAT codes, methods of payment, gateways and
# this same chart of accounts), loaded by the demo as `receipting council load` would load it.
DEMO_COUNCIL_CONFIG = "demo_council.toml"

# Every demo idempotency key starts with this, so demo entries are easy to tell apart.
DEMO_KEY_PREFIX = "demo-borough:"
DEMO_SOURCE = "demo"


@dataclass(frozen=True, slots=True)
class DemoAccount:
    code: str
    name: str
    kind: AccountKind


# Card clearing is one account per gateway: each gateway pays out on its own schedule, and each
# clearing account must come back to zero when its payouts are matched.
CARD_SANDBOX = "CARD-CLR-SANDBOX"
CARD_GOVUK_PAY = "CARD-CLR-GOVUKPAY"
CARD_STRIPE = "CARD-CLR-STRIPE"
BANK = "BANK-MAIN"
CASH_IN_TILL = "CASH-TILL"
CHEQUES_IN_HAND = "CHEQUES-IN-HAND"
BANK_IN_TRANSIT = "BANK-IN-TRANSIT"
CASH_NETWORK_CLEARING = "CASHNET-CLR"
PLANNING_PORTAL_CLEARING = "PLANNING-PORTAL-CLR"
VAT_OUTPUT = "VAT-OUTPUT"
CARD_FEES = "CARD-FEES"
SUSPENSE = "SUSPENSE"
CASH_OVER_SHORT = "CASH-OVER-SHORT"
COUNCIL_TAX = "FUND-CTAX"
BUSINESS_RATES = "FUND-NNDR"
HOUSING_RENTS = "FUND-HRA-RENT"
PARKING_FINES = "FUND-PCN"
SUNDRY_DEBTORS = "FUND-SUNDRY"
PLANNING_FEES = "FUND-PLANNING"
PEST_CONTROL = "FUND-PEST-CONTROL"

DEMO_CHART: tuple[DemoAccount, ...] = (
    DemoAccount(CARD_SANDBOX, "Card clearing - sandbox gateway", AccountKind.ASSET),
    DemoAccount(CARD_GOVUK_PAY, "Card clearing - GOV.UK Pay", AccountKind.ASSET),
    DemoAccount(CARD_STRIPE, "Card clearing - Stripe", AccountKind.ASSET),
    DemoAccount(BANK, "Bank - main collection account", AccountKind.ASSET),
    DemoAccount(CASH_IN_TILL, "Cash in till", AccountKind.ASSET),
    DemoAccount(CHEQUES_IN_HAND, "Cheques in hand", AccountKind.ASSET),
    DemoAccount(
        BANK_IN_TRANSIT, "Bank in transit (banked takings not yet credited)", AccountKind.ASSET
    ),
    DemoAccount(
        CASH_NETWORK_CLEARING,
        "Cash-network clearing (allpay, PayPoint, Post Office)",
        AccountKind.ASSET,
    ),
    DemoAccount(PLANNING_PORTAL_CLEARING, "Planning Portal clearing", AccountKind.ASSET),
    DemoAccount(VAT_OUTPUT, "VAT output", AccountKind.LIABILITY),
    DemoAccount(CARD_FEES, "Card processing fees", AccountKind.EXPENSE),
    DemoAccount(SUSPENSE, "Suspense - receipts awaiting identification", AccountKind.LIABILITY),
    DemoAccount(CASH_OVER_SHORT, "Cash over and short", AccountKind.EXPENSE),
    # Council tax and business rates are collected on behalf of the collection fund (and, for
    # rates, central government and preceptors), so receipts go to a control account, not income.
    DemoAccount(COUNCIL_TAX, "Council tax - collection fund control", AccountKind.LIABILITY),
    DemoAccount(
        BUSINESS_RATES, "Business rates (NNDR) - collection fund control", AccountKind.LIABILITY
    ),
    DemoAccount(HOUSING_RENTS, "Housing rents - HRA rent account", AccountKind.INCOME),
    DemoAccount(PARKING_FINES, "Parking fines (PCNs)", AccountKind.INCOME),
    DemoAccount(SUNDRY_DEBTORS, "Sundry debtors control", AccountKind.ASSET),
    DemoAccount(PLANNING_FEES, "Planning application fees", AccountKind.INCOME),
    DemoAccount(PEST_CONTROL, "Pest control charges (standard-rated VAT)", AccountKind.INCOME),
)

# Account references with valid check characters for the formats named beside them.
CTAX_REF_1 = "771234561"  # council tax: 9 digits from 77, weighted modulus 10
CTAX_REF_2 = "770045120"
CTAX_REF_3 = "773109872"
NNDR_REF_1 = "560123456"  # business rates: 9 digits from 56, same scheme
NNDR_REF_2 = "560987618"
RENT_REF = "60012345672"  # housing rents: 11 digits from 6
PCN_REF = "BJ12345673"  # parking: BJ + 7 digits + modulus-11 check
SUNDRY_REF = "200345671"  # sundry debtors invoice
PLANNING_REF_1 = "PP-12345678"  # Planning Portal application references
PLANNING_REF_2 = "PP-12345679"

MONDAY = date(2026, 11, 2)
TUESDAY = date(2026, 11, 3)
WEDNESDAY = date(2026, 11, 4)
THURSDAY = date(2026, 11, 5)
FRIDAY = date(2026, 11, 6)


def _entry(key: str, day: date, description: str, *lines: PostingLine) -> EntryRequest:
    return EntryRequest(
        effective_date=day,
        description=description,
        lines=lines,
        source=DEMO_SOURCE,
        idempotency_key=DEMO_KEY_PREFIX + key,
    )


def _line(account_code: str, amount_pence: int, sub_account_key: str | None = None) -> PostingLine:
    return PostingLine(account_code, amount_pence, sub_account_key)


# A week at the council: debits positive, credits negative, in pence.
DEMO_ENTRIES: tuple[EntryRequest, ...] = (
    _entry(
        "card-ctax-1",
        MONDAY,
        "Online card payment: council tax",
        _line(CARD_SANDBOX, 12_850),
        _line(COUNCIL_TAX, -12_850, CTAX_REF_1),
    ),
    _entry(
        "card-nndr-1",
        MONDAY,
        "Online card payment: business rates",
        _line(CARD_SANDBOX, 245_000),
        _line(BUSINESS_RATES, -245_000, NNDR_REF_1),
    ),
    _entry(
        "card-pcn-1",
        TUESDAY,
        "Online card payment: parking fine at the discounted rate",
        _line(CARD_SANDBOX, 3_500),
        _line(PARKING_FINES, -3_500, PCN_REF),
    ),
    _entry(
        "card-basket-1",
        TUESDAY,
        "Online card payment, one basket: rent, sundry invoice, pest control treatment",
        _line(CARD_SANDBOX, 27_500),
        _line(HOUSING_RENTS, -9_500, RENT_REF),
        _line(SUNDRY_DEBTORS, -9_000, SUNDRY_REF),
        # £90 charged VAT-inclusive at 20%: £75 net to the fund, £15 to VAT output.
        _line(PEST_CONTROL, -7_500),
        _line(VAT_OUTPUT, -1_500),
    ),
    _entry(
        "counter-cash-1",
        TUESDAY,
        "Cash at the customer service centre counter: council tax",
        _line(CASH_IN_TILL, 4_000),
        _line(COUNCIL_TAX, -4_000, CTAX_REF_2),
    ),
    _entry(
        "counter-cheque-1",
        TUESDAY,
        "Cheque at the customer service centre counter: business rates",
        _line(CHEQUES_IN_HAND, 25_000),
        _line(BUSINESS_RATES, -25_000, NNDR_REF_2),
    ),
    _entry(
        "card-pcn-duplicate",
        WEDNESDAY,
        "Online card payment: parking fine paid a second time",
        _line(CARD_SANDBOX, 3_500),
        _line(PARKING_FINES, -3_500, PCN_REF),
    ),
    _entry(
        "cashnet-1",
        WEDNESDAY,
        "Post Office payment from the cash-network file: council tax",
        _line(CASH_NETWORK_CLEARING, 6_500),
        _line(COUNCIL_TAX, -6_500, CTAX_REF_3),
    ),
    _entry(
        "planning-portal-transfer-1",
        WEDNESDAY,
        "Planning Portal daily transfer received",
        _line(BANK, 57_800),
        _line(PLANNING_PORTAL_CLEARING, -57_800),
    ),
    _entry(
        "planning-portal-remittance-1",
        WEDNESDAY,
        "Planning Portal remittance: fees allocated to their applications",
        _line(PLANNING_PORTAL_CLEARING, 57_800),
        _line(PLANNING_FEES, -25_800, PLANNING_REF_1),
        _line(PLANNING_FEES, -32_000, PLANNING_REF_2),
    ),
    _entry(
        "cash-up-1",
        WEDNESDAY,
        "Cashier banks Tuesday's takings: cash counted 5p short",
        _line(BANK_IN_TRANSIT, 28_995),
        _line(CASH_OVER_SHORT, 5),
        _line(CASH_IN_TILL, -4_000),
        _line(CHEQUES_IN_HAND, -25_000),
    ),
    _entry(
        "payout-sandbox-1",
        THURSDAY,
        "Sandbox gateway payout for Monday's card payments, net of fees",
        _line(BANK, 256_560),
        _line(CARD_FEES, 1_290),
        _line(CARD_SANDBOX, -257_850),
    ),
    _entry(
        "bank-unidentified-1",
        FRIDAY,
        "Bank credit with no usable reference (BGC J SMITH)",
        _line(BANK, 15_000),
        _line(SUSPENSE, -15_000),
    ),
)


@dataclass(frozen=True, slots=True)
class DemoReversal:
    key: str
    reverses_key: str
    effective_date: date
    description: str


DEMO_REVERSALS: tuple[DemoReversal, ...] = (
    DemoReversal(
        key="refund-pcn-duplicate",
        reverses_key=DEMO_KEY_PREFIX + "card-pcn-duplicate",
        effective_date=FRIDAY,
        description="Refund to card: parking fine paid twice",
    ),
)


@dataclass(frozen=True, slots=True)
class SeedReport:
    accounts: int
    accounts_opened: int
    entries_posted: int
    entries_already_present: int
    # The council configuration's version, and whether this run loaded it (False: already there).
    council_config_version: int = 0
    council_config_loaded: bool = False


def demo_council_config() -> bytes:
    """The demo council's configuration file, as shipped with the package."""
    return files("receipting.council").joinpath(DEMO_COUNCIL_CONFIG).read_bytes()


class NotADemoDatabase(ReceiptingError):
    code = "NOT_A_DEMO_DATABASE"

    def __init__(self, foreign_codes: list[str]) -> None:
        shown = ", ".join(foreign_codes[:5])
        super().__init__(
            f"This database already holds a ledger that is not the demo's (accounts {shown}). "
            "Ledger rows can never be removed, so the demo will not add to it. Point the demo at "
            "a new file with --database, or leave --database out to use the default demo file."
        )


def seed_demo(service: LedgerService, *, clock: Clock = utc_now) -> SeedReport:
    """Open the demo chart of accounts and post the demo week, writing only what is missing."""
    demo_codes = {account.code for account in DEMO_CHART}
    with service.unit_of_work() as session:
        existing = {account.code for account in list_accounts(session)}
        foreign = sorted(existing - demo_codes)
        if foreign:
            raise NotADemoDatabase(foreign)
        now = clock()
        for account in DEMO_CHART:
            ensure_account(session, account.code, account.name, account.kind, now=now)
        council = apply_config_file(session, demo_council_config(), DEMO_COUNCIL_CONFIG, now=now)
    posted: dict[str, Entry] = {}
    for request in DEMO_ENTRIES:
        assert request.idempotency_key is not None
        posted[request.idempotency_key] = service.post(request)
    for reversal in DEMO_REVERSALS:
        original = posted[reversal.reverses_key]
        posted[DEMO_KEY_PREFIX + reversal.key] = service.reverse(
            ReversalRequest(
                entry_id=original.id,
                effective_date=reversal.effective_date,
                description=reversal.description,
                source=DEMO_SOURCE,
                idempotency_key=DEMO_KEY_PREFIX + reversal.key,
            )
        )
    replayed = sum(1 for entry in posted.values() if entry.replayed)
    return SeedReport(
        accounts=len(DEMO_CHART),
        accounts_opened=len(demo_codes - existing),
        entries_posted=len(posted) - replayed,
        entries_already_present=replayed,
        council_config_version=council.version,
        council_config_loaded=council.changed,
    )
