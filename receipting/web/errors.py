"""What can go wrong in the web layer, each error saying what was wrong and how to fix it.

HTTP statuses are not decided here: `receipting.api.errors.ERROR_TABLE` maps these to responses,
through the classes they extend (a refused form is forbidden, a missing asset not found).
"""

from __future__ import annotations

from receipting.auth.errors import NotPermitted
from receipting.errors import InvalidRequest, NotFound

CSRF_REFUSED_MESSAGE = (
    "This form has expired or was not sent from this site, so nothing was done. Go back, "
    "reload the page and try again."
)


class CsrfRefused(NotPermitted):
    """A form post without this browser's anti-forgery token: stale, or sent from another site."""

    code = "CSRF_REFUSED"

    def __init__(self, message: str = CSRF_REFUSED_MESSAGE) -> None:
        super().__init__(message)


class FormRefused(InvalidRequest):
    """A posted form could not be read: not UTF-8 form data, too many fields, a NUL character."""

    code = "FORM_REFUSED"


class AssetNotFound(NotFound):
    """No stylesheet, script, font or image by that name is served."""

    code = "ASSET_NOT_FOUND"


class CookieTooLarge(Exception):
    """A payload too large to fit in a cookie once sealed: a bug in the page that sealed it.

    Deliberately not a `ReceiptingError`: the resident did nothing wrong, so it is answered as an
    internal error (500) and logged in full, never shown.
    """

    def __init__(self, purpose: str, size_bytes: int, limit_bytes: int) -> None:
        super().__init__(
            f"The {purpose!r} cookie would be {size_bytes} bytes once sealed; browsers keep at "
            f"most {limit_bytes}. Keep less in it (ids rather than copies of records), or store "
            "the data on the server and seal only its key."
        )
        self.purpose = purpose
        self.size_bytes = size_bytes
