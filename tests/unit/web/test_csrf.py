import pytest

from receipting.web.csrf import CSRF_FIELD, check_csrf, csrf_token, new_csrf_seed
from receipting.web.errors import CsrfRefused

SECRET = b"a-test-secret-key-of-at-least-32-bytes-long"


def test_the_token_for_a_browsers_seed_is_accepted() -> None:
    seed = new_csrf_seed()
    check_csrf(SECRET, seed, csrf_token(SECRET, seed))


def test_the_token_is_url_safe_and_the_same_each_time_for_one_seed() -> None:
    seed = new_csrf_seed()
    token = csrf_token(SECRET, seed)
    assert token == csrf_token(SECRET, seed)
    assert len(token) == 43
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_every_browser_gets_a_different_seed() -> None:
    assert len({new_csrf_seed() for _ in range(100)}) == 100


def test_the_token_is_not_the_seed_and_depends_on_the_secret() -> None:
    seed = new_csrf_seed()
    assert csrf_token(SECRET, seed) != seed
    assert csrf_token(SECRET, seed) != csrf_token(b"another-secret-key-of-at-least-32-b", seed)


@pytest.mark.parametrize(
    ("seed", "submitted"),
    [
        (None, "anything"),
        ("", "anything"),
        ("seed", None),
        ("seed", ""),
        ("seed", "not-the-token"),
        ("seed", "é" * 43),
        ("seed", "x" * 10_000),
    ],
)
def test_a_missing_or_wrong_token_is_refused(seed: str | None, submitted: str | None) -> None:
    with pytest.raises(CsrfRefused):
        check_csrf(SECRET, seed, submitted)


def test_the_token_of_another_browser_is_refused() -> None:
    with pytest.raises(CsrfRefused):
        check_csrf(SECRET, new_csrf_seed(), csrf_token(SECRET, new_csrf_seed()))


def test_the_refusal_says_in_plain_words_what_happened_and_what_to_do() -> None:
    with pytest.raises(CsrfRefused) as refused:
        check_csrf(SECRET, "seed", None)
    assert refused.value.code == "CSRF_REFUSED"
    assert "expired or was not sent from this site" in refused.value.message
    assert "Go back" in refused.value.message
    assert "try again" in refused.value.message


def test_the_form_field_is_named_csrf_token() -> None:
    assert CSRF_FIELD == "csrf_token"
