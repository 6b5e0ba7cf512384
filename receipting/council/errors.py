"""What can go wrong with the council's configuration, each error saying how to put it right."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from receipting.errors import ConfigurationError, NotFound, ReceiptingError


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One thing wrong in a configuration file: where (key path and line, when known) and what."""

    key: str
    message: str
    line: int | None = None

    def describe(self, source: str) -> str:
        where = f"{source} line {self.line}" if self.line is not None else source
        key = f", {self.key}" if self.key else ""
        return f"{where}{key}: {self.message}"


class CouncilConfigInvalid(ReceiptingError):
    """A council configuration file was refused; nothing of it was loaded."""

    code = "COUNCIL_CONFIG_INVALID"

    def __init__(self, source: str, problems: Sequence[ConfigProblem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        count = len(self.problems)
        lines = "\n".join(f"  {problem.describe(source)}" for problem in self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(
            f"The council configuration {source} was not loaded ({count} {noun}; nothing was "
            f"changed):\n{lines}",
            field=self.problems[0].key if count == 1 else None,
        )


class ConcurrentLoad(ReceiptingError):
    """Two configuration files were loaded at the same moment; the other one won."""

    code = "COUNCIL_CONFIG_CONCURRENT_LOAD"

    def __init__(self, source: str) -> None:
        super().__init__(
            f"Another council configuration was loaded while {source} was being loaded, so "
            f"{source} was not loaded and nothing of it was changed. Check `receipting council "
            "show`, then load it again if it is still wanted."
        )


class FundNotFound(NotFound):
    code = "FUND_NOT_FOUND"

    def __init__(self, fund_code: str) -> None:
        super().__init__(
            f"There is no fund with code {fund_code!r}. GET /v1/funds lists the funds that can "
            "be paid into.",
            field="fund_code",
        )
        self.fund_code = fund_code


class VatCodeNotFound(NotFound):
    code = "VAT_CODE_NOT_FOUND"

    def __init__(self, vat_code: str) -> None:
        super().__init__(
            f"There is no VAT code {vat_code!r} in the council's configuration. Add it under "
            f"[vat_codes.{vat_code}] and load the file with `receipting council load`.",
            field="vat_code",
        )


class NoVatRateOnDate(ReceiptingError):
    code = "NO_VAT_RATE_ON_DATE"

    def __init__(self, vat_code: str, on: date) -> None:
        super().__init__(
            f"VAT code {vat_code!r} has no rate in force on {on.isoformat()}: its earliest rate "
            "takes effect later. Add a rate with an earlier effective_from to the council's "
            "configuration.",
            field="vat_code",
        )


class CouncilNotConfigured(ConfigurationError):
    """Something the engine needs from the council's configuration is missing (the server is
    misconfigured, not the request)."""

    code = "COUNCIL_NOT_CONFIGURED"
