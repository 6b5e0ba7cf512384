"""What the rest of the engine asks of the council's configuration, and loading it.

CONTRACT: the signatures of `Fund`, `ReferenceResult`, `VatSplit`, `get_fund`, `list_funds`,
`check_reference`, `vat_split`, `gateway_clearing_account` and `vat_output_account` are relied on
by payments; fields are only ever added to those dataclasses at the end, with defaults. Those
functions work inside the caller's session (its transaction) and never commit.
`load_council_config` is a use case of its own: it opens, and commits, one transaction.

Residents' pages also ask how to present the council (`council_presentation`: its names in English
and Welsh, colour and contact details) and each fund's Welsh texts (the `_cy` fields of `Fund`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ledger.accounts import ensure_account
from ledger.service import utc_now
from ledger.tables import AccountRow, PostingRow
from receipting.council import references, vat
from receipting.council.config import (
    DEFAULT_COLOUR,
    CouncilConfig,
    FundConfig,
    KeyLines,
    PaymentMethodConfig,
    VatCodeConfig,
    parse_config,
)
from receipting.council.errors import (
    ConcurrentLoad,
    ConfigProblem,
    CouncilConfigInvalid,
    CouncilNotConfigured,
    FundNotFound,
    NoVatRateOnDate,
    VatCodeNotFound,
)
from receipting.council.references import (
    CheckScheme,
    ReferenceProblem,
    ReferenceRule,
    SchemeKind,
    as_sentence,
)
from receipting.council.tables import (
    ConfigVersionRow,
    FundRow,
    GatewayRow,
    OnStopReferenceRow,
    PaymentMethodRow,
    ReferenceRuleRow,
    VatCodeRow,
    VatRateRow,
)

Clock = Callable[[], datetime]


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
    # The reference format in plain words, for forms ("9 digits starting 77"), when it has a rule.
    reference_description: str | None = None
    reference_hint: str | None = None
    # (reference, reason shown to the payer), references normalised.
    on_stop: tuple[tuple[str, str], ...] = ()
    # Welsh, for pages shown in Welsh; None when the configuration gives none (show the English).
    name_cy: str | None = None
    # Where to find the reference on the bill, as a sentence for the start page: the fund's own
    # guidance, else its rule's hint; None when neither is configured.
    guidance: str | None = None
    guidance_cy: str | None = None
    reference_description_cy: str | None = None
    reference_hint_cy: str | None = None


@dataclass(frozen=True, slots=True)
class ReferenceResult:
    valid: bool
    normalised: str  # upper-cased, spaces removed: what is stored and posted
    message: str | None  # why it is not valid, in words a resident understands (English)
    # Why it is not valid as a ReferenceProblem value ("wrong_length", "on_stop", ...), so a page
    # in another language can choose its own message; None when valid.
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class CouncilPresentation:
    """How residents' pages show the council: its name in the header, drawn in its colour."""

    name: str
    name_cy: str | None = None  # None: the English name is shown on Welsh pages too
    colour: str = DEFAULT_COLOUR  # "#rrggbb", dark enough for white text
    website_url: str | None = None
    phone: str | None = None


# Before any configuration is loaded (a new installation), pages still need something to show.
DEFAULT_PRESENTATION = CouncilPresentation(name="Council")


@dataclass(frozen=True, slots=True)
class VatSplit:
    vat_code: str
    rate_basis_points: int  # 2000 = 20%
    net_pence: int
    vat_pence: int
    rounding: str = vat.ROUND_HALF_UP_TO_PENNY


@dataclass(frozen=True, slots=True)
class ConfigVersion:
    version: int
    sha256: str
    council_name: str
    source: str
    loaded_at: datetime


@dataclass(frozen=True, slots=True)
class VatCode:
    code: str
    name: str
    retired: bool
    rates: tuple[vat.VatRate, ...]


@dataclass(frozen=True, slots=True)
class PaymentMethod:
    code: str
    name: str
    clearing_account_code: str
    refundable: bool
    retired: bool


@dataclass(frozen=True, slots=True)
class LoadReport:
    version: int
    changed: bool  # False: the identical file was already the current configuration
    council_name: str
    funds: int
    funds_retired: tuple[str, ...] = ()  # retired now because the file left them out
    accounts: int = 0


# --- reading the configuration (inside the caller's transaction) ------------------------------


def get_fund(session: Session, code: str) -> Fund:
    """The fund, or FundNotFound naming the code."""
    row = session.scalars(select(FundRow).where(FundRow.code == code)).first()
    if row is None:
        raise FundNotFound(code)
    return _fund(session, row)


def list_funds(session: Session) -> list[Fund]:
    """Every fund, retired ones too (see `Fund.retired`), by code."""
    rows = session.scalars(select(FundRow).order_by(FundRow.code)).all()
    return [_fund(session, row) for row in rows]


def check_reference(session: Session, fund_code: str, reference: str) -> ReferenceResult:
    """Validate `reference` by the fund's rule and its on-stop list."""
    fund = session.scalars(select(FundRow).where(FundRow.code == fund_code)).first()
    if fund is None:
        raise FundNotFound(fund_code)
    normalised = references.normalise(reference)
    if fund.retired:
        return ReferenceResult(
            False,
            normalised,
            f"{fund.name} can no longer be paid here. Contact the council.",
            ReferenceProblem.FUND_RETIRED.value,
        )
    verdict = references.validate(_rule_of(session, fund), reference)
    if not verdict.valid:
        problem = verdict.problem.value if verdict.problem is not None else None
        return ReferenceResult(False, verdict.normalised, verdict.message, problem)
    reason = session.scalar(
        select(OnStopReferenceRow.reason).where(
            OnStopReferenceRow.fund_id == fund.id, OnStopReferenceRow.reference == normalised
        )
    )
    if reason is not None:
        return ReferenceResult(False, normalised, reason, ReferenceProblem.ON_STOP.value)
    return ReferenceResult(True, normalised, None)


def vat_split(session: Session, vat_code: str, gross_pence: int, on: date) -> VatSplit:
    """VAT extracted from a VAT-inclusive amount at the rate in force on `on`."""
    code = _vat_code_row(session, vat_code)
    rates = _rates(session, code.id)
    try:
        rate = vat.rate_on(rates, on)
    except vat.NoRateInForce:
        raise NoVatRateOnDate(vat_code, on) from None
    extraction = vat.extract_vat(gross_pence, rate.rate_basis_points)
    return VatSplit(
        vat_code, extraction.rate_basis_points, extraction.net_pence, extraction.vat_pence
    )


def gateway_clearing_account(session: Session, gateway_name: str) -> str:
    """The ledger account debited with card payments taken through `gateway_name`."""
    account = session.scalar(
        select(GatewayRow.clearing_account).where(GatewayRow.name == gateway_name)
    )
    if account is None:
        raise CouncilNotConfigured(
            f"The council's configuration names no clearing account for gateway "
            f'{gateway_name!r}. Add `{gateway_name} = "ACCOUNT-CODE"` under [gateways] and '
            "load it with `receipting council load`."
        )
    return account


def vat_output_account(session: Session) -> str:
    """The ledger account credited with output VAT."""
    return _current_row(session).vat_output_account


def suspense_account(session: Session) -> str:
    """The ledger account that holds money whose fund or reference is not known yet."""
    return _current_row(session).suspense_account


def card_fees_account(session: Session) -> str:
    """The ledger account debited with the gateways' processing fees."""
    return _current_row(session).card_fees_account


def council_presentation(session: Session) -> CouncilPresentation:
    """The council's names, colour and contact details from the current configuration, or
    DEFAULT_PRESENTATION when none has been loaded yet."""
    row = _latest_row(session)
    if row is None:
        return DEFAULT_PRESENTATION
    return CouncilPresentation(
        name=row.council_name,
        name_cy=row.council_name_cy,
        colour=row.colour or DEFAULT_COLOUR,
        website_url=row.website_url,
        phone=row.phone,
    )


def current_version(session: Session) -> ConfigVersion | None:
    row = _latest_row(session)
    if row is None:
        return None
    return ConfigVersion(row.version, row.sha256, row.council_name, row.source, row.loaded_at)


def list_vat_codes(session: Session) -> list[VatCode]:
    rows = session.scalars(select(VatCodeRow).order_by(VatCodeRow.code)).all()
    return [VatCode(r.code, r.name, r.retired, tuple(_rates(session, r.id))) for r in rows]


def list_payment_methods(session: Session) -> list[PaymentMethod]:
    rows = session.scalars(select(PaymentMethodRow).order_by(PaymentMethodRow.code)).all()
    return [_method(row) for row in rows]


def get_payment_method(session: Session, code: str) -> PaymentMethod:
    row = session.scalars(select(PaymentMethodRow).where(PaymentMethodRow.code == code)).first()
    if row is None:
        raise CouncilNotConfigured(
            f"The council's configuration has no method of payment {code!r}. Add "
            f"[payment_methods.{code}] and load it with `receipting council load`."
        )
    return _method(row)


def list_gateways(session: Session) -> list[tuple[str, str]]:
    rows = session.execute(
        select(GatewayRow.name, GatewayRow.clearing_account).order_by(GatewayRow.name)
    )
    return [(name, account) for name, account in rows]


def fund_has_payments(session: Session, fund_code: str) -> bool:
    """Whether money has been posted to the fund's ledger account (for now, the simple test)."""
    row = session.scalars(select(FundRow).where(FundRow.code == fund_code)).first()
    if row is None:
        raise FundNotFound(fund_code)
    return _account_has_postings(session, row.ledger_account)


def _account_has_postings(session: Session, account_code: str) -> bool:
    found = session.scalar(
        select(PostingRow.id)
        .join(AccountRow, AccountRow.id == PostingRow.account_id)
        .where(AccountRow.code == account_code)
        .limit(1)
    )
    return found is not None


def _fund(session: Session, row: FundRow) -> Fund:
    rule = (
        session.scalars(
            select(ReferenceRuleRow).where(ReferenceRuleRow.code == row.reference_rule)
        ).first()
        if row.reference_rule
        else None
    )
    on_stop = session.execute(
        select(OnStopReferenceRow.reference, OnStopReferenceRow.reason)
        .where(OnStopReferenceRow.fund_id == row.id)
        .order_by(OnStopReferenceRow.reference)
    )
    return Fund(
        code=row.code,
        name=row.name,
        gl_code=row.gl_code,
        ledger_account_code=row.ledger_account,
        vat_code=row.vat_code,
        max_amount_pence=row.max_amount_pence,
        allow_overpayment=row.allow_overpayment,
        payable_online=row.payable_online,
        payable_by_phone=row.payable_by_phone,
        payable_at_counter=row.payable_at_counter,
        reference_rule=row.reference_rule,
        back_office=row.back_office,
        retired=row.retired,
        reference_description=rule.description if rule else None,
        reference_hint=rule.hint if rule else None,
        on_stop=tuple((reference, reason) for reference, reason in on_stop),
        name_cy=row.name_cy,
        guidance=row.guidance or _hint_as_guidance(rule.hint if rule else None),
        guidance_cy=row.guidance_cy or _hint_as_guidance(rule.hint_cy if rule else None),
        reference_description_cy=rule.description_cy if rule else None,
        reference_hint_cy=rule.hint_cy if rule else None,
    )


def _hint_as_guidance(hint: str | None) -> str | None:
    # A hint is written to follow the format in a sentence ("check the top right of your bill");
    # standing alone on the start page it needs a capital and a full stop.
    return as_sentence(hint) if hint else None


# A fund without a rule still needs something to post as the sub-account key.
ANY_REFERENCE = ReferenceRule(
    code="",
    description=(
        f"Enter the reference from your bill or letter (at most {references.MAX_REFERENCE_LEN} "
        "characters)"
    ),
)


def _rule_of(session: Session, fund: FundRow) -> ReferenceRule:
    if fund.reference_rule is None:
        return ANY_REFERENCE
    row = session.scalars(
        select(ReferenceRuleRow).where(ReferenceRuleRow.code == fund.reference_rule)
    ).one()
    return ReferenceRule(
        code=row.code,
        description=row.description,
        hint=row.hint,
        mask=row.mask,
        pattern=row.pattern,
        min_length=row.min_length,
        max_length=row.max_length,
        check=scheme_from_json(row.check_scheme),
        description_cy=row.description_cy,
        hint_cy=row.hint_cy,
    )


def _vat_code_row(session: Session, code: str) -> VatCodeRow:
    row = session.scalars(select(VatCodeRow).where(VatCodeRow.code == code)).first()
    if row is None:
        raise VatCodeNotFound(code)
    return row


def _rates(session: Session, vat_code_id: int) -> list[vat.VatRate]:
    rows = session.scalars(
        select(VatRateRow)
        .where(VatRateRow.vat_code_id == vat_code_id)
        .order_by(VatRateRow.effective_from)
    )
    return [vat.VatRate(row.effective_from, row.rate_basis_points) for row in rows]


def _method(row: PaymentMethodRow) -> PaymentMethod:
    return PaymentMethod(row.code, row.name, row.clearing_account, row.refundable, row.retired)


def _latest_row(session: Session) -> ConfigVersionRow | None:
    return session.scalars(
        select(ConfigVersionRow).order_by(ConfigVersionRow.version.desc()).limit(1)
    ).first()


def _current_row(session: Session) -> ConfigVersionRow:
    row = _latest_row(session)
    if row is None:
        raise CouncilNotConfigured(
            "No council configuration has been loaded into this database. Load one with "
            "`receipting council load FILE` (the demo's is receipting/council/demo_council.toml)."
        )
    return row


# --- check schemes as stored --------------------------------------------------------------------


def scheme_to_json(scheme: CheckScheme | None) -> str | None:
    if scheme is None:
        return None
    payload: dict[str, Any] = {"scheme": scheme.kind.value}
    if scheme.kind is SchemeKind.WEIGHTED:
        payload.update(
            modulus=scheme.modulus,
            weights=list(scheme.weights),
            subtract=scheme.subtract,
            prefix=dict(scheme.prefix_substitutions),
            map={str(value): char for value, char in sorted(scheme.result_map.items())},
        )
    return json.dumps(payload, sort_keys=True)


def scheme_from_json(text: str | None) -> CheckScheme | None:
    if text is None:
        return None
    payload = json.loads(text)
    kind = SchemeKind(payload["scheme"])
    if kind is SchemeKind.LUHN:
        return CheckScheme(kind)
    return CheckScheme(
        kind,
        modulus=int(payload["modulus"]),
        weights=tuple(int(w) for w in payload["weights"]),
        subtract=bool(payload["subtract"]),
        prefix_substitutions={str(k): str(v) for k, v in payload["prefix"].items()},
        result_map={int(k): str(v) for k, v in payload["map"].items()},
    )


# --- loading a configuration file -------------------------------------------------------------


def load_council_config(
    session_factory: sessionmaker[Session],
    data: bytes,
    source: str,
    *,
    clock: Clock = utc_now,
) -> LoadReport:
    """Check the file and make it the council's configuration, all of it or nothing, in one
    transaction. Loading the file that is already current changes nothing and says so."""
    try:
        with session_factory() as session, session.begin():
            return apply_config_file(session, data, source, now=clock())
    except IntegrityError as exc:
        # Every reference and limit was checked first, so a unique key clashing here means
        # another load inserted the same version number or new fund at the same time.
        raise ConcurrentLoad(source) from exc


def apply_config_file(session: Session, data: bytes, source: str, *, now: datetime) -> LoadReport:
    """`load_council_config` inside the caller's transaction (the demo seeds in one)."""
    text = _decode(data, source)
    config = parse_config(text, source)
    sha256 = hashlib.sha256(data).hexdigest()
    latest = _latest_row(session)
    if latest is not None and latest.sha256 == sha256:
        funds = session.scalar(select(func.count()).select_from(FundRow)) or 0
        return LoadReport(latest.version, False, latest.council_name, funds)
    _refuse_account_changes_after_payments(session, config, KeyLines(text), source)
    for account in config.chart:
        ensure_account(session, account.code, account.name, account.kind, now=now)
    session.flush()
    _apply_vat_codes(session, config.vat_codes)
    _apply_rules(session, config.reference_rules)
    retired = _apply_funds(session, config.funds)
    _remove_unused_rules(session, {rule.code for rule in config.reference_rules})
    _apply_methods(session, config.payment_methods)
    _apply_gateways(session, config.gateways)
    version = (latest.version if latest is not None else 0) + 1
    session.add(
        ConfigVersionRow(
            version=version,
            sha256=sha256,
            council_name=config.council_name,
            source=source[-500:],
            vat_output_account=config.vat_output_account,
            suspense_account=config.suspense_account,
            card_fees_account=config.card_fees_account,
            loaded_at=now,
            council_name_cy=config.council_name_cy,
            colour=config.colour,
            website_url=config.website_url,
            phone=config.phone,
        )
    )
    session.flush()
    return LoadReport(
        version, True, config.council_name, len(config.funds), retired, len(config.chart)
    )


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CouncilConfigInvalid(
            source,
            [ConfigProblem("", f"is not UTF-8 text (byte {exc.start}); save it as UTF-8.")],
        ) from None


def _refuse_account_changes_after_payments(
    session: Session, config: CouncilConfig, lines: KeyLines, source: str
) -> None:
    """A fund's ledger account cannot move once money is posted to it: history would split."""
    existing = {row.code: row for row in session.scalars(select(FundRow))}
    problems = []
    for fund in config.funds:
        row = existing.get(fund.code)
        if row is None or row.ledger_account == fund.ledger_account:
            continue
        if _account_has_postings(session, row.ledger_account):
            path = ("funds", fund.code, "ledger_account")
            problems.append(
                ConfigProblem(
                    ".".join(path),
                    f"was {row.ledger_account!r}, and payments have been posted to it, so it "
                    f"cannot change to {fund.ledger_account!r}. Keep {row.ledger_account!r}, or "
                    "retire this fund (retired = true) and add a new fund with the new account.",
                    lines.line_of(path),
                )
            )
    if problems:
        raise CouncilConfigInvalid(source, problems)


def _apply_vat_codes(session: Session, codes: Sequence[VatCodeConfig]) -> None:
    rows = {row.code: row for row in session.scalars(select(VatCodeRow))}
    for code in codes:
        row = rows.get(code.code)
        if row is None:
            row = VatCodeRow(code=code.code, name=code.name, retired=False)
            session.add(row)
            session.flush()
        row.name, row.retired = code.name, False
        session.execute(delete(VatRateRow).where(VatRateRow.vat_code_id == row.id))
        for rate in code.rates:
            session.add(
                VatRateRow(
                    vat_code_id=row.id,
                    effective_from=rate.effective_from,
                    rate_basis_points=rate.rate_basis_points,
                )
            )
    kept = {code.code for code in codes}
    for code_name, row in rows.items():
        if code_name not in kept:
            row.retired = True
    session.flush()


def _apply_rules(session: Session, rules: Sequence[ReferenceRule]) -> None:
    rows = {row.code: row for row in session.scalars(select(ReferenceRuleRow))}
    for rule in rules:
        row = rows.get(rule.code)
        if row is None:
            row = ReferenceRuleRow(code=rule.code)
            session.add(row)
        row.description = rule.description
        row.hint = rule.hint
        row.description_cy = rule.description_cy
        row.hint_cy = rule.hint_cy
        row.mask = rule.mask
        row.pattern = rule.pattern
        row.min_length = rule.min_length
        row.max_length = rule.max_length
        row.check_scheme = scheme_to_json(rule.check)
    session.flush()


def _remove_unused_rules(session: Session, kept: set[str]) -> None:
    in_use = set(
        session.scalars(select(FundRow.reference_rule).where(FundRow.reference_rule.is_not(None)))
    )
    removable = set(session.scalars(select(ReferenceRuleRow.code))) - kept - in_use
    if removable:
        session.execute(delete(ReferenceRuleRow).where(ReferenceRuleRow.code.in_(removable)))
        session.flush()


def _apply_funds(session: Session, funds: Sequence[FundConfig]) -> tuple[str, ...]:
    """Add and update the file's funds; retire (never delete) those it leaves out."""
    rows = {row.code: row for row in session.scalars(select(FundRow))}
    for fund in funds:
        row = rows.get(fund.code)
        if row is None:
            row = FundRow(code=fund.code)
            session.add(row)
        _fill_fund(row, fund)
        session.flush()
        session.execute(delete(OnStopReferenceRow).where(OnStopReferenceRow.fund_id == row.id))
        for reference, reason in fund.on_stop:
            session.add(OnStopReferenceRow(fund_id=row.id, reference=reference, reason=reason))
    kept = {fund.code for fund in funds}
    retired = []
    for code, row in sorted(rows.items()):
        if code not in kept and not row.retired:
            row.retired = True
            retired.append(code)
    session.flush()
    return tuple(retired)


def _fill_fund(row: FundRow, fund: FundConfig) -> None:
    row.name = fund.name
    row.gl_code = fund.gl_code
    row.ledger_account = fund.ledger_account
    row.vat_code = fund.vat_code
    row.max_amount_pence = fund.max_amount_pence
    row.allow_overpayment = fund.allow_overpayment
    row.payable_online = fund.payable_online
    row.payable_by_phone = fund.payable_by_phone
    row.payable_at_counter = fund.payable_at_counter
    row.reference_rule = fund.reference_rule
    row.back_office = fund.back_office
    row.retired = fund.retired
    row.name_cy = fund.name_cy
    row.guidance = fund.guidance
    row.guidance_cy = fund.guidance_cy


def _apply_methods(session: Session, methods: Sequence[PaymentMethodConfig]) -> None:
    rows = {row.code: row for row in session.scalars(select(PaymentMethodRow))}
    for method in methods:
        row = rows.get(method.code)
        if row is None:
            row = PaymentMethodRow(code=method.code)
            session.add(row)
        row.name = method.name
        row.clearing_account = method.clearing_account
        row.refundable = method.refundable
        row.retired = False
    kept = {method.code for method in methods}
    for code, row in rows.items():
        if code not in kept:
            row.retired = True
    session.flush()


def _apply_gateways(session: Session, gateways: Sequence[tuple[str, str]]) -> None:
    wanted = dict(gateways)
    for row in session.scalars(select(GatewayRow)):
        if row.name in wanted:
            row.clearing_account = wanted.pop(row.name)
        else:
            session.delete(row)
    for name, account in wanted.items():
        session.add(GatewayRow(name=name, clearing_account=account))
    session.flush()


# --- use cases for the API: each one transaction ------------------------------------------------


class CouncilService:
    """The council configuration's read-only use cases, each in a transaction of its own."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory

    def funds(self, *, include_retired: bool = False) -> list[Fund]:
        with self._sessions() as session, session.begin():
            return [f for f in list_funds(session) if include_retired or not f.retired]

    def fund(self, code: str) -> Fund:
        with self._sessions() as session, session.begin():
            return get_fund(session, code)

    def check_reference(self, fund_code: str, reference: str) -> ReferenceResult:
        with self._sessions() as session, session.begin():
            return check_reference(session, fund_code, reference)

    def council_presentation(self) -> CouncilPresentation:
        with self._sessions() as session, session.begin():
            return council_presentation(session)
