"""The optional email address for a receipt: a sanity check, not a proof that it exists.

Whether an address receives mail is only known by sending to it; this catches the typing mistakes
that are certain (a missing @, a space, no dot in the domain) and nothing more, so no real address
is ever refused.
"""

from __future__ import annotations

from channels.web_checkout.errors import EmailProblem, EmailRefused

# RFC 5321's limit on a forward path; the payments API stores no more (MAX_EMAIL_LEN).
MAX_EMAIL_LEN = 254

FORMAT_MESSAGE = (
    "Enter an email address in the correct format, like name@example.com, or leave it empty."
)


def check_email(text: str) -> str | None:
    """The address as it will be stored (surrounding spaces removed), None when left empty, or
    EmailRefused saying what is wrong with it."""
    address = text.strip()
    if not address:
        return None
    if len(address) > MAX_EMAIL_LEN:
        raise EmailRefused(
            EmailProblem.TOO_LONG,
            f"The email address is {len(address)} characters long; at most {MAX_EMAIL_LEN} are "
            "possible. Check it, or leave it empty.",
        )
    if not _looks_like_address(address):
        raise EmailRefused(EmailProblem.FORMAT, FORMAT_MESSAGE)
    return address


def _looks_like_address(address: str) -> bool:
    if address.count("@") != 1 or any(char.isspace() for char in address):
        return False
    # Control characters could break the receipt's mail headers; no address has one.
    if not address.isprintable():
        return False
    local, domain = address.split("@")
    if not local or "." not in domain:
        return False
    # A dot must separate two non-empty labels: "name@.com", "name@example." and
    # "name@example..com" are typing mistakes.
    return all(domain.split("."))
