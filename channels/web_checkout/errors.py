"""What can go wrong in the resident checkout, each error saying what was wrong and how to fix it.

HTTP statuses are not decided here: `receipting.api.errors.ERROR_TABLE` maps these through the
classes they extend (a fund or payment that cannot be shown is not found, a refused amount is an
invalid request). Problems with what a resident typed are not exceptions that reach the page:
the form is shown again with the GOV.UK error summary; the exceptions below carry the kind of
problem so the page can word it in the resident's language.
"""

from __future__ import annotations

from enum import StrEnum

from receipting.errors import InvalidRequest, NotFound


class AmountProblem(StrEnum):
    EMPTY = "empty"
    NOT_A_NUMBER = "not_a_number"
    NEGATIVE = "negative"
    TOO_MANY_DECIMALS = "too_many_decimals"
    ZERO = "zero"
    TOO_LARGE = "too_large"


class AmountRefused(InvalidRequest):
    """An amount as typed that is not a payable number of pounds and pence."""

    code = "AMOUNT_REFUSED"

    def __init__(self, problem: AmountProblem, message: str, *, maximum_pence: int = 0) -> None:
        super().__init__(message, field="amount")
        self.problem = problem
        self.maximum_pence = maximum_pence


class EmailProblem(StrEnum):
    TOO_LONG = "too_long"
    FORMAT = "format"


class EmailRefused(InvalidRequest):
    """An email address that cannot be one: no single @, no dot in the domain, spaces, too long."""

    code = "EMAIL_REFUSED"

    def __init__(self, problem: EmailProblem, message: str) -> None:
        super().__init__(message, field="email")
        self.problem = problem


class BasketProblem(StrEnum):
    FULL = "full"
    DUPLICATE = "duplicate"
    TOTAL_TOO_LARGE = "total_too_large"


class BasketRefused(InvalidRequest):
    """A change the basket cannot take: one payment too many, the same bill twice, too large a
    total for one card payment."""

    code = "BASKET_REFUSED"

    def __init__(self, problem: BasketProblem, message: str, *, limit: int = 0) -> None:
        super().__init__(message, field="reference" if problem is BasketProblem.DUPLICATE else None)
        self.problem = problem
        self.limit = limit


class FundNotPayableOnline(NotFound):
    """The page of a fund that does not exist, is retired or is not payable online."""

    code = "FUND_NOT_PAYABLE_ONLINE"

    def __init__(self, fund_code: str) -> None:
        super().__init__(
            f"There is no fund {fund_code!r} that can be paid online. Start again from /pay, "
            "which lists everything that can be paid here.",
            field="fund_code",
        )


class BasketItemNotFound(NotFound):
    """A change or remove link for an item no longer in this browser's basket."""

    code = "BASKET_ITEM_NOT_FOUND"

    def __init__(self, item_id: str) -> None:
        super().__init__(
            f"There is no payment {item_id!r} in your basket; it may have been removed in another "
            "tab. Go to /pay/basket to see what is in it.",
            field="item",
        )


class NoPaymentFound(NotFound):
    """This browser has no payment to show: no checkout cookie, or it has expired."""

    code = "NO_CHECKOUT_PAYMENT"

    def __init__(self) -> None:
        super().__init__(
            "This browser has no payment to show. Payments are shown only in the browser they "
            "were made in, for a few hours; start again from /pay to make one."
        )
