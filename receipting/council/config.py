"""The council's configuration file: TOML parsed and checked into plain values. Pure: no I/O
beyond the text it is given, nothing written.

Every problem is collected (not just the first) and names its key path, such as
`funds.CTAX.reference_rule`, and the line it is on. tomllib gives line numbers for syntax errors
only, so for the rest the line is found by scanning the text for the key (best effort: a key
inside an inline table is reported at the line of the table).

The layout (see demo_council.toml for a full example):

    [council]            name, vat_output_account, suspense_account, card_fees_account,
                         name_cy, colour, website_url, phone
    [chart.CODE]         name, kind (asset | liability | income | expense | equity)
    [gateways]           gateway name = its card clearing account
    [vat_codes.CODE]     name, rates = [{ effective_from = 2011-01-04, rate_basis_points = 2000 }]
    [payment_methods.CODE]  name, clearing_account, refundable
    [reference_rules.CODE]  description, hint, description_cy, hint_cy, mask, pattern,
                            min_length, max_length,
                            check = { scheme, modulus, weights, subtract, prefix, map }
    [funds.CODE]         name, name_cy, gl_code, ledger_account, vat_code, max_amount_pence,
                         allow_overpayment, payable_online, payable_by_phone, payable_at_counter,
                         reference_rule, back_office, retired, guidance, guidance_cy,
                         on_stop = { REFERENCE = reason }

Keys ending `_cy` are the Welsh for the key without it: councils in Wales must offer residents
both languages, and a page shown in Welsh falls back to the English when a text is not translated.
"""

from __future__ import annotations

import difflib
import re
import tomllib
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ledger.model import MAX_ACCOUNT_CODE_LEN, MAX_ACCOUNT_NAME_LEN, MAX_POSTING_PENCE, AccountKind
from receipting.council.errors import ConfigProblem, CouncilConfigInvalid
from receipting.council.references import (
    MASK_CHECK,
    MAX_REFERENCE_LEN,
    SUPPORTED_MODULI,
    CheckScheme,
    ReferenceRule,
    SchemeKind,
    normalise,
)
from receipting.council.vat import MAX_VAT_RATE_BASIS_POINTS, VatRate, duplicate_dates

# Column sizes, named so that the schema and the checks agree.
MAX_CODE_LEN = 32  # fund, VAT, method and rule codes: short, and they appear in URLs
MAX_NAME_LEN = 200
MAX_GL_CODE_LEN = 32
MAX_BACK_OFFICE_LEN = 64
MAX_GATEWAY_NAME_LEN = 32
MAX_TEXT_LEN = 500  # descriptions, hints and on-stop reasons: a sentence or two for a resident
MAX_PATTERN_LEN = 200
# A weight is one or two digits in every scheme seen; more is a typing error.
MAX_WEIGHT = 99
# One payment into a fund is one posting to its account, so never more than a posting may move.
MAX_FUND_AMOUNT_PENCE = MAX_POSTING_PENCE
# A council's whole configuration is a few hundred lines; a file far larger is the wrong file.
MAX_CONFIG_BYTES = 1_000_000

MAX_URL_LEN = 500  # a council's home page; far longer is a pasted search result, not a home page
# The longest international number is 15 digits (ITU-T E.164); written with spaces and brackets.
MAX_PHONE_LEN = 32
MAX_PHONE_DIGITS = 15
# Short numbers such as 101 are real; fewer digits than that is a typing error.
MIN_PHONE_DIGITS = 3
COLOUR_LEN = len("#rrggbb")  # the column's size
# GOV.UK Frontend's own header blue: the colour of a council that has not chosen one.
DEFAULT_COLOUR = "#1d70b8"
# The header shows white text on the council's colour, so the colour must be dark enough for it:
# WCAG 2.2 AA asks a contrast ratio of at least 4.5 to 1 for text of ordinary size.
MIN_HEADER_CONTRAST_RATIO = 4.5

CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
COLOUR_PATTERN = re.compile(r"#[0-9a-fA-F]{6}")
PHONE_PATTERN = re.compile(r"\+?[0-9][0-9 ()-]*")
MAP_CHARACTER_PATTERN = re.compile(r"[0-9A-Z]")


@dataclass(frozen=True, slots=True)
class ChartAccount:
    code: str
    name: str
    kind: AccountKind


@dataclass(frozen=True, slots=True)
class VatCodeConfig:
    code: str
    name: str
    rates: tuple[VatRate, ...]


@dataclass(frozen=True, slots=True)
class PaymentMethodConfig:
    code: str
    name: str
    clearing_account: str
    refundable: bool


@dataclass(frozen=True, slots=True)
class FundConfig:
    code: str
    name: str
    gl_code: str
    ledger_account: str
    vat_code: str
    max_amount_pence: int
    allow_overpayment: bool = False
    payable_online: bool = True
    payable_by_phone: bool = True
    payable_at_counter: bool = True
    reference_rule: str | None = None
    back_office: str | None = None
    retired: bool = False
    on_stop: tuple[tuple[str, str], ...] = ()
    name_cy: str | None = None
    # Where to find the reference on the bill, for the start page (English, Welsh).
    guidance: str | None = None
    guidance_cy: str | None = None


@dataclass(frozen=True, slots=True)
class CouncilConfig:
    council_name: str
    vat_output_account: str
    suspense_account: str
    card_fees_account: str
    chart: tuple[ChartAccount, ...]
    gateways: tuple[tuple[str, str], ...]
    vat_codes: tuple[VatCodeConfig, ...]
    payment_methods: tuple[PaymentMethodConfig, ...]
    reference_rules: tuple[ReferenceRule, ...]
    funds: tuple[FundConfig, ...]
    council_name_cy: str | None = None
    colour: str = DEFAULT_COLOUR  # "#rrggbb", lower case: page headers are drawn in it
    website_url: str | None = None  # https, for the footer of residents' pages
    phone: str | None = None  # the council's contact number, shown on error pages


def parse_config(text: str, source: str = "the configuration") -> CouncilConfig:
    """The configuration in `text`, or CouncilConfigInvalid naming every problem found."""
    if len(text.encode("utf-8")) > MAX_CONFIG_BYTES:
        raise CouncilConfigInvalid(
            source,
            [
                ConfigProblem(
                    "",
                    f"the file is larger than {MAX_CONFIG_BYTES} bytes; a council's "
                    "configuration is far smaller. Check that this is the right file.",
                )
            ],
        )
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CouncilConfigInvalid(source, [_syntax_problem(exc)]) from None
    reader = _Reader(KeyLines(text))
    config = reader.council(document)
    if reader.problems or config is None:
        raise CouncilConfigInvalid(source, reader.problems)
    return config


_AT_LINE = re.compile(r"\(at line (\d+), column \d+\)")


def _syntax_problem(exc: tomllib.TOMLDecodeError) -> ConfigProblem:
    message = str(exc)
    found = _AT_LINE.search(message)
    line = int(found.group(1)) if found else None
    text = _AT_LINE.sub("", message).strip()
    return ConfigProblem("", f"this is not valid TOML: {text}.", line)


# --- finding a key's line ------------------------------------------------------------------------

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_ASSIGNMENT = re.compile(
    r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
)
_KEY_PART = re.compile(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""")


def _key_parts(dotted: str) -> tuple[str, ...]:
    return tuple(part.strip("\"'") for part in _KEY_PART.findall(dotted))


class KeyLines:
    """The line each key path is written on, found by scanning the text."""

    def __init__(self, text: str) -> None:
        self._lines: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        for number, line in enumerate(text.splitlines(), start=1):
            header = _HEADER.match(line)
            if header:
                table = _key_parts(header.group(1))
                self._lines.setdefault(table, number)
                continue
            assignment = _ASSIGNMENT.match(line)
            if assignment:
                self._lines.setdefault(table + _key_parts(assignment.group(1)), number)

    def line_of(self, path: tuple[str, ...]) -> int | None:
        """The line of `path`, else of the nearest enclosing key that is written out."""
        while path:
            if path in self._lines:
                return self._lines[path]
            path = path[:-1]
        return None


# --- reading the document --------------------------------------------------------------------

_MISSING = object()


@dataclass
class _Reader:
    lines: KeyLines
    problems: list[ConfigProblem] = field(default_factory=list)

    # plumbing

    def problem(self, path: tuple[str, ...], message: str) -> None:
        key = ".".join(path).replace(".[", "[")
        self.problems.append(ConfigProblem(key, message, self.lines.line_of(_plain(path))))

    def table(self, path: tuple[str, ...], value: object) -> Mapping[str, Any] | None:
        if isinstance(value, dict):
            return value
        self.problem(path, f"should be a table (a [{'.'.join(path)}] section), not {_kind(value)}.")
        return None

    def known_keys(
        self, path: tuple[str, ...], table: Mapping[str, Any], allowed: tuple[str, ...]
    ) -> None:
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                self.problem(
                    (*path, key),
                    f"is not a setting here; the settings are {', '.join(allowed)}.{hint}",
                )

    def text(
        self,
        path: tuple[str, ...],
        table: Mapping[str, Any],
        key: str,
        max_len: int,
        *,
        required: bool = True,
    ) -> str | None:
        value = table.get(key, _MISSING)
        where = (*path, key)
        if value is _MISSING:
            if required:
                self.problem(where, "is missing; add it.")
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(where, f"should be text that is not empty, not {_kind(value)}.")
            return None
        if len(value) > max_len:
            self.problem(where, f"is {len(value)} characters long; at most {max_len} are allowed.")
            return None
        return value.strip()

    def code(self, path: tuple[str, ...], value: str, max_len: int) -> bool:
        if len(value) > max_len or not CODE_PATTERN.fullmatch(value):
            self.problem(
                path,
                f"{value!r} is not a usable code: use letters, digits, '-' and '_' only, "
                f"starting with a letter or digit, at most {max_len} characters.",
            )
            return False
        return True

    def flag(
        self, path: tuple[str, ...], table: Mapping[str, Any], key: str, default: bool
    ) -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            self.problem((*path, key), f"should be true or false, not {_kind(value)}.")
            return default
        return value

    def whole(
        self,
        path: tuple[str, ...],
        table: Mapping[str, Any],
        key: str,
        low: int,
        high: int,
        *,
        required: bool = True,
    ) -> int | None:
        value = table.get(key, _MISSING)
        where = (*path, key)
        if value is _MISSING:
            if required:
                self.problem(where, "is missing; add it.")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(where, f"should be a whole number, not {_kind(value)}.")
            return None
        if not low <= value <= high:
            self.problem(where, f"is {value}; it must be from {low} to {high}.")
            return None
        return value

    def sections(self, document: Mapping[str, Any], name: str) -> Mapping[str, Any]:
        value = document.get(name, {})
        found = self.table((name,), value)
        return found if found is not None else {}

    def account(self, path: tuple[str, ...], code: str | None, chart: set[str]) -> None:
        if code is not None and code not in chart:
            self.problem(
                path,
                f"names account {code!r}, which is not in the chart of accounts; add a "
                f"[chart.{code}] section or use one of the accounts there.",
            )

    # the document

    def council(self, document: Mapping[str, Any]) -> CouncilConfig | None:
        self.known_keys(
            (),
            document,
            (
                "council",
                "chart",
                "gateways",
                "vat_codes",
                "payment_methods",
                "reference_rules",
                "funds",
            ),
        )
        council = self.table(("council",), document.get("council", {})) or {}
        if "council" not in document:
            self.problem(("council",), "is missing; add a [council] section with its name.")
        path = ("council",)
        self.known_keys(path, council, COUNCIL_KEYS)
        name = self.text(path, council, "name", MAX_NAME_LEN)
        name_cy = self.text(path, council, "name_cy", MAX_NAME_LEN, required=False)
        colour = self.colour(path, council)
        website_url = self.website_url(path, council)
        phone = self.phone(path, council)
        special = {
            key: self.text(path, council, key, MAX_ACCOUNT_CODE_LEN)
            for key in ("vat_output_account", "suspense_account", "card_fees_account")
        }
        chart_sections = self.sections(document, "chart")
        chart = self.chart(chart_sections)
        # Every account the file names, valid or not, so one mistake is reported once.
        chart_codes = set(chart_sections)
        for key, code in special.items():
            self.account((*path, key), code, chart_codes)
        gateways = self.gateways(self.sections(document, "gateways"), chart_codes)
        vat_sections = self.sections(document, "vat_codes")
        vat_codes = self.vat_codes(vat_sections)
        methods = self.methods(self.sections(document, "payment_methods"), chart_codes)
        rule_sections = self.sections(document, "reference_rules")
        rules = self.rules(rule_sections)
        funds = self.funds(
            self.sections(document, "funds"), chart_codes, set(vat_sections), set(rule_sections)
        )
        if self.problems or name is None or None in special.values():
            return None
        return CouncilConfig(
            council_name=name,
            vat_output_account=str(special["vat_output_account"]),
            suspense_account=str(special["suspense_account"]),
            card_fees_account=str(special["card_fees_account"]),
            chart=chart,
            gateways=gateways,
            vat_codes=vat_codes,
            payment_methods=methods,
            reference_rules=rules,
            funds=funds,
            council_name_cy=name_cy,
            colour=colour,
            website_url=website_url,
            phone=phone,
        )

    def colour(self, path: tuple[str, ...], table: Mapping[str, Any]) -> str:
        value = self.text(path, table, "colour", MAX_NAME_LEN, required=False)
        where = (*path, "colour")
        if value is None:
            return DEFAULT_COLOUR
        if not COLOUR_PATTERN.fullmatch(value):
            self.problem(
                where,
                f"is {value!r}; write the colour as '#' and six hexadecimal digits, such as "
                f'"{DEFAULT_COLOUR}" (leave it out for that blue).',
            )
            return DEFAULT_COLOUR
        ratio = contrast_with_white(value)
        if ratio < MIN_HEADER_CONTRAST_RATIO:
            self.problem(
                where,
                f"is {value!r}, too light for the white text of the page header (contrast "
                f"{ratio:.2f} to 1; at least {MIN_HEADER_CONTRAST_RATIO} to 1 is needed so "
                "everyone can read it). Choose a darker shade of it.",
            )
            return DEFAULT_COLOUR
        return value.lower()

    def website_url(self, path: tuple[str, ...], table: Mapping[str, Any]) -> str | None:
        value = self.text(path, table, "website_url", MAX_URL_LEN, required=False)
        if value is None:
            return None
        if not _is_web_address(value):
            self.problem(
                (*path, "website_url"),
                f"is {value!r}; it should be the council's web address starting https://, "
                'such as "https://www.example.gov.uk".',
            )
            return None
        return value

    def phone(self, path: tuple[str, ...], table: Mapping[str, Any]) -> str | None:
        value = self.text(path, table, "phone", MAX_PHONE_LEN, required=False)
        if value is None:
            return None
        digits = sum(char.isdigit() for char in value)
        if not PHONE_PATTERN.fullmatch(value) or not MIN_PHONE_DIGITS <= digits <= MAX_PHONE_DIGITS:
            self.problem(
                (*path, "phone"),
                f"is {value!r}; write the number as residents dial it, with digits, spaces and "
                'an optional leading +, such as "0300 000 0000".',
            )
            return None
        return value

    def chart(self, sections: Mapping[str, Any]) -> tuple[ChartAccount, ...]:
        kinds = tuple(kind.value for kind in AccountKind)
        accounts = []
        if not sections:
            self.problem(("chart",), "is missing; add a [chart.CODE] section for each account.")
        for code, value in sections.items():
            path = ("chart", code)
            table = self.table(path, value)
            if table is None or not self.code(path, code, MAX_ACCOUNT_CODE_LEN):
                continue
            self.known_keys(path, table, ("name", "kind"))
            name = self.text(path, table, "name", MAX_ACCOUNT_NAME_LEN)
            kind = self.text(path, table, "kind", 16)
            if kind is not None and kind not in kinds:
                self.problem((*path, "kind"), f"is {kind!r}; it must be one of {', '.join(kinds)}.")
                kind = None
            if name is not None and kind is not None:
                accounts.append(ChartAccount(code, name, AccountKind(kind)))
        return tuple(accounts)

    def gateways(self, sections: Mapping[str, Any], chart: set[str]) -> tuple[tuple[str, str], ...]:
        found = []
        for gateway, account in sections.items():
            path = ("gateways", gateway)
            if not self.code(path, gateway, MAX_GATEWAY_NAME_LEN):
                continue
            if not isinstance(account, str):
                self.problem(
                    path, f"should be the code of a clearing account, not {_kind(account)}."
                )
                continue
            self.account(path, account, chart)
            found.append((gateway, account))
        return tuple(found)

    def vat_codes(self, sections: Mapping[str, Any]) -> tuple[VatCodeConfig, ...]:
        codes = []
        for code, value in sections.items():
            path = ("vat_codes", code)
            table = self.table(path, value)
            if table is None or not self.code(path, code, MAX_CODE_LEN):
                continue
            self.known_keys(path, table, ("name", "rates"))
            name = self.text(path, table, "name", MAX_NAME_LEN)
            rates = self.rates((*path, "rates"), table.get("rates", _MISSING))
            if name is not None and rates:
                codes.append(VatCodeConfig(code, name, rates))
        return tuple(codes)

    def rates(self, path: tuple[str, ...], value: object) -> tuple[VatRate, ...]:
        if value is _MISSING:
            self.problem(
                path,
                "is missing; add at least one rate, for example "
                "[{ effective_from = 2011-01-04, rate_basis_points = 2000 }].",
            )
            return ()
        if not isinstance(value, list) or not value:
            self.problem(path, "should be a list of rates with at least one rate in it.")
            return ()
        rates = []
        for index, item in enumerate(value):
            where = (*path, f"[{index}]")
            table = self.table(where, item)
            if table is None:
                continue
            self.known_keys(where, table, ("effective_from", "rate_basis_points"))
            effective_from = table.get("effective_from")
            if not isinstance(effective_from, date) or hasattr(effective_from, "hour"):
                self.problem(
                    (*where, "effective_from"),
                    "should be a date such as 2011-01-04 (no quotes, no time).",
                )
                continue
            basis_points = self.whole(
                where, table, "rate_basis_points", 0, MAX_VAT_RATE_BASIS_POINTS
            )
            if basis_points is not None:
                rates.append(VatRate(effective_from, basis_points))
        for day in duplicate_dates(rates):
            self.problem(path, f"has two rates taking effect on {day.isoformat()}; keep one.")
        return tuple(sorted(rates, key=lambda rate: rate.effective_from))

    def methods(
        self, sections: Mapping[str, Any], chart: set[str]
    ) -> tuple[PaymentMethodConfig, ...]:
        methods = []
        for code, value in sections.items():
            path = ("payment_methods", code)
            table = self.table(path, value)
            if table is None or not self.code(path, code, MAX_CODE_LEN):
                continue
            self.known_keys(path, table, ("name", "clearing_account", "refundable"))
            name = self.text(path, table, "name", MAX_NAME_LEN)
            account = self.text(path, table, "clearing_account", MAX_ACCOUNT_CODE_LEN)
            self.account((*path, "clearing_account"), account, chart)
            refundable = self.flag(path, table, "refundable", False)
            if name is not None and account is not None:
                methods.append(PaymentMethodConfig(code, name, account, refundable))
        return tuple(methods)

    def rules(self, sections: Mapping[str, Any]) -> tuple[ReferenceRule, ...]:
        rules = []
        for code, value in sections.items():
            path = ("reference_rules", code)
            table = self.table(path, value)
            if table is None or not self.code(path, code, MAX_CODE_LEN):
                continue
            rule = self.rule(path, code, table)
            if rule is not None:
                rules.append(rule)
        return tuple(rules)

    def rule(
        self, path: tuple[str, ...], code: str, table: Mapping[str, Any]
    ) -> ReferenceRule | None:
        self.known_keys(
            path,
            table,
            (
                "description",
                "hint",
                "description_cy",
                "hint_cy",
                "mask",
                "pattern",
                "min_length",
                "max_length",
                "check",
            ),
        )
        before = len(self.problems)
        description = self.text(path, table, "description", MAX_TEXT_LEN)
        hint = self.text(path, table, "hint", MAX_TEXT_LEN, required=False)
        description_cy = self.text(path, table, "description_cy", MAX_TEXT_LEN, required=False)
        hint_cy = self.text(path, table, "hint_cy", MAX_TEXT_LEN, required=False)
        mask = self.text(path, table, "mask", MAX_REFERENCE_LEN, required=False)
        pattern = self.text(path, table, "pattern", MAX_PATTERN_LEN, required=False)
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                self.problem((*path, "pattern"), f"is not a valid regular expression: {exc}.")
        min_length = self.whole(path, table, "min_length", 1, MAX_REFERENCE_LEN, required=False)
        max_length = self.whole(path, table, "max_length", 1, MAX_REFERENCE_LEN, required=False)
        if min_length is not None and max_length is not None and min_length > max_length:
            self.problem(
                (*path, "min_length"), f"is {min_length}, more than max_length {max_length}."
            )
        if mask is not None and (min_length is not None or max_length is not None):
            self.problem(
                (*path, "mask"), "fixes the length already; remove min_length and max_length."
            )
        check = None
        if "check" in table:
            check_table = self.table((*path, "check"), table["check"])
            check = self.scheme((*path, "check"), check_table) if check_table is not None else None
        self.mask_and_check(path, mask, "check" in table)
        if len(self.problems) > before or description is None:
            return None
        return ReferenceRule(
            code,
            description,
            hint,
            mask,
            pattern,
            min_length,
            max_length,
            check,
            description_cy=description_cy,
            hint_cy=hint_cy,
        )

    def mask_and_check(self, path: tuple[str, ...], mask: str | None, has_check: bool) -> None:
        if mask is None:
            return
        if normalise(mask) != mask:
            self.problem(
                (*path, "mask"),
                "should be in capitals with no spaces; references are "
                "checked in capitals with spaces removed.",
            )
        checks = mask.count(MASK_CHECK)
        if has_check and checks != 1:
            self.problem(
                (*path, "mask"),
                f"should have exactly one '{MASK_CHECK}' (the check "
                f"character) because the rule has a check; it has {checks}.",
            )
        if not has_check and checks:
            self.problem(
                (*path, "mask"),
                f"has '{MASK_CHECK}' (a check character) but the rule "
                "has no check; add a check = {{ ... }} or use '#'.",
            )

    def scheme(self, path: tuple[str, ...], table: Mapping[str, Any]) -> CheckScheme | None:
        self.known_keys(path, table, ("scheme", "modulus", "weights", "subtract", "prefix", "map"))
        kinds = tuple(kind.value for kind in SchemeKind)
        kind = table.get("scheme")
        if kind not in kinds:
            self.problem((*path, "scheme"), f"should be one of {', '.join(kinds)}, not {kind!r}.")
            return None
        if kind == SchemeKind.LUHN:
            for key in ("modulus", "weights", "subtract", "prefix", "map"):
                if key in table:
                    self.problem((*path, key), "does not apply to the luhn scheme; remove it.")
            return CheckScheme(SchemeKind.LUHN)
        before = len(self.problems)
        modulus = table.get("modulus")
        if modulus not in SUPPORTED_MODULI or isinstance(modulus, bool):
            self.problem(
                (*path, "modulus"), f"should be one of {SUPPORTED_MODULI}, not {modulus!r}."
            )
            return None
        weights = self.weights((*path, "weights"), table.get("weights", _MISSING))
        subtract = self.flag(path, table, "subtract", False)
        prefix = self.prefix((*path, "prefix"), table.get("prefix", {}))
        result_map = self.result_map((*path, "map"), table.get("map", {}))
        if len(self.problems) > before:
            return None
        scheme = CheckScheme(SchemeKind.WEIGHTED, modulus, weights, subtract, prefix, result_map)
        missing = [v for v in scheme.check_values() if scheme.character_for(v) is None]
        if missing:
            shown = ", ".join(f'"{v}" = "?"' for v in missing)
            self.problem(
                (*path, "map"),
                f"gives no character for check value(s) "
                f"{', '.join(map(str, missing))}, which this scheme can produce; add {shown}.",
            )
            return None
        return scheme

    def weights(self, path: tuple[str, ...], value: object) -> tuple[int, ...]:
        if value is _MISSING:
            self.problem(path, "is missing; add one weight per character, e.g. [9, 8, 7, 6].")
            return ()
        if (
            not isinstance(value, list)
            or not value
            or not all(
                isinstance(w, int) and not isinstance(w, bool) and 0 <= w <= MAX_WEIGHT
                for w in value
            )
        ):
            self.problem(path, f"should be a list of whole numbers from 0 to {MAX_WEIGHT}.")
            return ()
        return tuple(value)

    def prefix(self, path: tuple[str, ...], value: object) -> dict[str, str]:
        table = self.table(path, value)
        found: dict[str, str] = {}
        for letters, digits in (table or {}).items():
            if not (letters.isascii() and letters.isalpha() and letters.isupper()):
                self.problem((*path, letters), "should be capital letters, such as BJ.")
            elif not (isinstance(digits, str) and digits.isascii() and digits.isdigit()):
                self.problem(
                    (*path, letters), f'should be digits in quotes, such as "05", not {digits!r}.'
                )
            else:
                found[letters] = digits
        return found

    def result_map(self, path: tuple[str, ...], value: object) -> dict[int, str]:
        table = self.table(path, value)
        found: dict[int, str] = {}
        for key, char in (table or {}).items():
            if not key.isdigit():
                self.problem((*path, key), 'should be a check value in quotes, such as "10".')
            elif not (isinstance(char, str) and MAP_CHARACTER_PATTERN.fullmatch(char)):
                self.problem((*path, key), f"should be one digit or capital letter, not {char!r}.")
            else:
                found[int(key)] = char
        return found

    def funds(
        self, sections: Mapping[str, Any], chart: set[str], vat_codes: set[str], rules: set[str]
    ) -> tuple[FundConfig, ...]:
        funds = []
        for code, value in sections.items():
            path = ("funds", code)
            table = self.table(path, value)
            if table is None or not self.code(path, code, MAX_CODE_LEN):
                continue
            fund = self.fund(path, code, table, chart, vat_codes, rules)
            if fund is not None:
                funds.append(fund)
        return tuple(funds)

    def fund(
        self,
        path: tuple[str, ...],
        code: str,
        table: Mapping[str, Any],
        chart: set[str],
        vat_codes: set[str],
        rules: set[str],
    ) -> FundConfig | None:
        self.known_keys(path, table, FUND_KEYS)
        before = len(self.problems)
        name = self.text(path, table, "name", MAX_NAME_LEN)
        name_cy = self.text(path, table, "name_cy", MAX_NAME_LEN, required=False)
        guidance = self.text(path, table, "guidance", MAX_TEXT_LEN, required=False)
        guidance_cy = self.text(path, table, "guidance_cy", MAX_TEXT_LEN, required=False)
        gl_code = self.text(path, table, "gl_code", MAX_GL_CODE_LEN)
        account = self.text(path, table, "ledger_account", MAX_ACCOUNT_CODE_LEN)
        self.account((*path, "ledger_account"), account, chart)
        vat_code = self.text(path, table, "vat_code", MAX_CODE_LEN)
        if vat_code is not None and vat_code not in vat_codes:
            self.problem(
                (*path, "vat_code"),
                f"is {vat_code!r}, which is not a VAT code here; "
                f"add [vat_codes.{vat_code}]{_or_one_of(vat_codes)}.",
            )
        max_amount = self.whole(path, table, "max_amount_pence", 1, MAX_FUND_AMOUNT_PENCE)
        rule = self.text(path, table, "reference_rule", MAX_CODE_LEN, required=False)
        if rule is not None and rule not in rules:
            self.problem(
                (*path, "reference_rule"),
                f"is {rule!r}, which is not a reference rule "
                f"here; add [reference_rules.{rule}]{_or_one_of(rules)}.",
            )
        back_office = self.text(path, table, "back_office", MAX_BACK_OFFICE_LEN, required=False)
        on_stop = self.on_stop((*path, "on_stop"), table.get("on_stop", {}))
        flags = {key: self.flag(path, table, key, default) for key, default in FUND_FLAGS.items()}
        if len(self.problems) > before:
            return None
        assert name and gl_code and account and vat_code and max_amount is not None
        return FundConfig(
            code=code,
            name=name,
            gl_code=gl_code,
            ledger_account=account,
            vat_code=vat_code,
            max_amount_pence=max_amount,
            reference_rule=rule,
            back_office=back_office,
            on_stop=on_stop,
            name_cy=name_cy,
            guidance=guidance,
            guidance_cy=guidance_cy,
            **flags,
        )

    def on_stop(self, path: tuple[str, ...], value: object) -> tuple[tuple[str, str], ...]:
        table = self.table(path, value)
        found: dict[str, str] = {}
        for reference, reason in (table or {}).items():
            where = (*path, reference)
            normalised = normalise(reference)
            if not normalised or len(normalised) > MAX_REFERENCE_LEN:
                self.problem(
                    where, f"is not a usable reference (1 to {MAX_REFERENCE_LEN} characters)."
                )
            elif normalised in found:
                self.problem(
                    where, f"is the same reference as another on-stop entry ({normalised})."
                )
            elif not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_TEXT_LEN:
                self.problem(
                    where,
                    "should be the reason shown to the payer, as text of at most "
                    f"{MAX_TEXT_LEN} characters.",
                )
            else:
                found[normalised] = reason.strip()
        return tuple(sorted(found.items()))


FUND_FLAGS = {
    "allow_overpayment": False,
    "payable_online": True,
    "payable_by_phone": True,
    "payable_at_counter": True,
    "retired": False,
}
FUND_KEYS = (
    "name",
    "name_cy",
    "guidance",
    "guidance_cy",
    "gl_code",
    "ledger_account",
    "vat_code",
    "max_amount_pence",
    "reference_rule",
    "back_office",
    "on_stop",
    *FUND_FLAGS,
)


COUNCIL_KEYS = (
    "name",
    "name_cy",
    "vat_output_account",
    "suspense_account",
    "card_fees_account",
    "colour",
    "website_url",
    "phone",
)


def _is_web_address(value: str) -> bool:
    """An https address of a host, with no spaces and no user name or password in it."""
    try:
        parts = urllib.parse.urlsplit(value)
        return (
            parts.scheme == "https"
            and bool(parts.hostname)
            and parts.username is None
            and not any(char.isspace() for char in value)
        )
    except ValueError:  # such as a malformed IPv6 address in brackets
        return False


def contrast_with_white(colour: str) -> float:
    """The WCAG 2 contrast ratio of white text on `colour` ("#rrggbb"), from 1 to 21."""
    red, green, blue = (_linear(int(colour[i : i + 2], 16)) for i in (1, 3, 5))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return (1.0 + 0.05) / (luminance + 0.05)


def _linear(channel: int) -> float:
    """An sRGB channel (0-255) as linear light, by the WCAG 2 definition of relative luminance."""
    value = channel / 255
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def _or_one_of(codes: set[str]) -> str:
    return f" or use one of {', '.join(sorted(codes))}" if codes else ""


def _plain(path: tuple[str, ...]) -> tuple[str, ...]:
    """The path without list indexes, as the text writes it."""
    return tuple(part for part in path if not part.startswith("["))


def _kind(value: object) -> str:
    names = {
        str: "text",
        bool: "true/false",
        int: "a whole number",
        float: "a decimal number",
        list: "a list",
        dict: "a table",
        date: "a date",
    }
    if value is _MISSING:
        return "nothing"
    return names.get(type(value), type(value).__name__)
