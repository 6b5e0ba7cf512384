"""What can go wrong in receipting, each error saying what was wrong and how to fix it.

HTTP status codes are not decided here: the API's error-handler table maps these to responses.
"""

from __future__ import annotations


class ReceiptingError(Exception):
    code: str = "RECEIPTING_ERROR"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ConfigurationError(ReceiptingError):
    """The settings or environment are wrong; raised at start-up, before serving anything."""

    code = "CONFIGURATION_ERROR"


class InvalidRequest(ReceiptingError):
    """The request was malformed: a missing or wrongly typed field, a bad date, too large a body."""

    code = "INVALID_REQUEST"


class NotFound(ReceiptingError):
    code = "NOT_FOUND"
