"""What can go wrong with emails, each error saying what was wrong and how to fix it."""

from __future__ import annotations

from receipting.errors import ReceiptingError


class UnsafeEmailText(ReceiptingError):
    """A value bound for one line of an email (a header, or a line of the receipt) holds a line
    break or another control character: sent as it is, it could add headers of its own."""

    code = "EMAIL_UNSAFE_TEXT"


class InvalidRecipient(ReceiptingError):
    """The address an email is for is not one address an SMTP server can deliver to."""

    code = "EMAIL_INVALID_RECIPIENT"


class EmailNotSent(ReceiptingError):
    """The SMTP server could not be reached or did not accept the message.

    `permanent` is True when retrying cannot help (the server refused the recipient outright);
    `description` is short, and holds neither passwords nor addresses, so it may be stored."""

    code = "EMAIL_NOT_SENT"

    def __init__(self, description: str, *, permanent: bool = False) -> None:
        super().__init__(
            f"The receipt email was not sent: {description}. It is retried later unless the "
            "server refused the address for good; check the RECEIPTING_SMTP_* settings if every "
            "email fails."
        )
        self.description = description
        self.permanent = permanent


class UnknownLanguage(ReceiptingError):
    """An email was asked for in a language it has no words for: a bug in the caller."""

    code = "EMAIL_UNKNOWN_LANGUAGE"


class ReceiptNotReady(ReceiptingError):
    """A receipt email was asked for a payment that has no receipt (it has not succeeded)."""

    code = "EMAIL_RECEIPT_NOT_READY"
