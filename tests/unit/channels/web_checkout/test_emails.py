"""The optional receipt email: certain typing mistakes refused, every plausible address kept."""

from __future__ import annotations

import pytest

from channels.web_checkout.emails import MAX_EMAIL_LEN, check_email
from channels.web_checkout.errors import EmailProblem, EmailRefused


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("", None),
        ("   ", None),
        ("ann@example.com", "ann@example.com"),
        ("  ann.payer+rates@mail.example.co.uk ", "ann.payer+rates@mail.example.co.uk"),
        ("o'brien@example.ie", "o'brien@example.ie"),
        ("dafydd@enghraifft.cymru", "dafydd@enghraifft.cymru"),
    ],
)
def test_empty_or_plausible_addresses_are_accepted(typed: str, kept: str | None) -> None:
    assert check_email(typed) == kept


@pytest.mark.parametrize(
    "typed",
    [
        "ann.example.com",
        "ann@@example.com",
        "ann@example@com",
        "@example.com",
        "ann@localhost",
        "ann@.com",
        "ann@example.",
        "ann@example..com",
        "ann payer@example.com",
        "ann@exa mple.com",
        "ann@example.com\x07",
    ],
)
def test_addresses_with_a_certain_mistake_are_refused(typed: str) -> None:
    with pytest.raises(EmailRefused) as refused:
        check_email(typed)
    assert refused.value.problem is EmailProblem.FORMAT


def test_an_address_longer_than_254_characters_is_refused_as_too_long() -> None:
    longest = "a" * (MAX_EMAIL_LEN - len("@example.com")) + "@example.com"
    assert check_email(longest) == longest
    with pytest.raises(EmailRefused) as refused:
        check_email("a" + longest)
    assert refused.value.problem is EmailProblem.TOO_LONG
