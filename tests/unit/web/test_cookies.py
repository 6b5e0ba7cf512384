from datetime import UTC, datetime, timedelta

import falcon
import falcon.testing
import pytest

from receipting.web.cookies import (
    CLOCK_SKEW_S,
    MAX_COOKIE_BYTES,
    SealedCookie,
    clear_cookie,
    set_cookie,
)
from receipting.web.errors import CookieTooLarge

SECRET = b"a-test-secret-key-of-at-least-32-bytes-long"
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
PAYLOAD = {"payment": "pay_123", "basket": [{"fund": "CTAX", "amount": 12345}], "name": "Siân"}


def _cookie(
    purpose: str = "checkout", max_age_s: int = 3600, secret: bytes = SECRET
) -> SealedCookie:
    return SealedCookie(secret, purpose, max_age_s=max_age_s)


def test_a_sealed_payload_opens_to_the_same_payload() -> None:
    cookie = _cookie()
    assert cookie.open(cookie.seal(PAYLOAD, NOW), NOW) == PAYLOAD


def test_a_sealed_token_is_url_safe_text_that_does_not_show_the_payload() -> None:
    token = _cookie().seal(PAYLOAD, NOW)
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert "pay_123" not in token


def test_sealing_the_same_payload_twice_gives_different_tokens() -> None:
    cookie = _cookie()
    assert cookie.seal(PAYLOAD, NOW) != cookie.seal(PAYLOAD, NOW)


def test_changing_any_character_of_a_token_makes_it_unopenable() -> None:
    cookie = _cookie()
    token = cookie.seal({"a": 1}, NOW)
    for index, char in enumerate(token):
        for replacement in {"A", "B", "-", "_"} - {char}:
            tampered = token[:index] + replacement + token[index + 1 :]
            assert cookie.open(tampered, NOW) is None, (index, replacement)


@pytest.mark.parametrize("cut", [1, 10, 30])
def test_a_truncated_or_lengthened_token_is_unopenable(cut: int) -> None:
    cookie = _cookie()
    token = cookie.seal(PAYLOAD, NOW)
    assert cookie.open(token[:-cut], NOW) is None
    assert cookie.open(token + "A" * cut, NOW) is None


@pytest.mark.parametrize(
    "garbage", [None, "", "x", "====", "not base64!", "é" * 40, "\x00" * 50, "A" * 5000]
)
def test_garbage_opens_to_none_without_raising(garbage: str | None) -> None:
    assert _cookie().open(garbage, NOW) is None


def test_a_token_sealed_for_another_purpose_is_unopenable() -> None:
    token = _cookie("checkout").seal(PAYLOAD, NOW)
    assert _cookie("session").open(token, NOW) is None


def test_a_token_sealed_with_another_secret_is_unopenable() -> None:
    token = _cookie(secret=b"another-secret-key-of-at-least-32-bytes").seal(PAYLOAD, NOW)
    assert _cookie().open(token, NOW) is None


def test_a_token_opens_until_its_max_age_and_not_after() -> None:
    cookie = _cookie(max_age_s=600)
    token = cookie.seal(PAYLOAD, NOW)
    assert cookie.open(token, NOW + timedelta(seconds=600)) == PAYLOAD
    assert cookie.open(token, NOW + timedelta(seconds=601)) is None


def test_a_token_from_a_server_slightly_ahead_opens_but_one_from_the_future_does_not() -> None:
    cookie = _cookie()
    assert cookie.open(cookie.seal(PAYLOAD, NOW + timedelta(seconds=CLOCK_SKEW_S)), NOW) == PAYLOAD
    future = cookie.seal(PAYLOAD, NOW + timedelta(seconds=CLOCK_SKEW_S + 2))
    assert cookie.open(future, NOW) is None


def test_a_payload_too_large_for_a_cookie_is_refused_when_sealing() -> None:
    with pytest.raises(CookieTooLarge, match="store the data on the server"):
        _cookie().seal({"blob": "x" * MAX_COOKIE_BYTES}, NOW)


def test_a_payload_just_under_the_limit_seals() -> None:
    # base64 makes 3 bytes into 4 characters; the nonce, tag and framing take about 60 bytes.
    token = _cookie().seal({"blob": "x" * 2700}, NOW)
    assert len(token) <= MAX_COOKIE_BYTES


def test_a_cookie_needs_a_purpose_and_a_positive_lifetime() -> None:
    with pytest.raises(ValueError, match="purpose"):
        SealedCookie(SECRET, "", max_age_s=10)
    with pytest.raises(ValueError, match="at least 1 second"):
        SealedCookie(SECRET, "checkout", max_age_s=0)


def _set_cookie_header(build: object) -> str:
    app = falcon.App()

    class Resource:
        def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
            assert callable(build)
            build(resp)

    app.add_route("/", Resource())
    result = falcon.testing.TestClient(app).simulate_get("/")
    return str(result.headers["set-cookie"])


def test_a_cookie_is_set_for_the_whole_site_out_of_scripts_reach_and_lax() -> None:
    header = _set_cookie_header(
        lambda resp: set_cookie(resp, "checkout", "abc", secure=True, max_age_s=1800)
    )
    assert header.startswith("checkout=abc")
    for attribute in ("Path=/", "HttpOnly", "SameSite=Lax", "Secure", "Max-Age=1800"):
        assert attribute in header


def test_a_cookie_for_development_over_http_is_not_marked_secure() -> None:
    header = _set_cookie_header(lambda resp: set_cookie(resp, "checkout", "abc", secure=False))
    assert "Secure" not in header
    assert "Max-Age" not in header


def test_clearing_a_cookie_expires_it_with_the_same_attributes() -> None:
    header = _set_cookie_header(lambda resp: clear_cookie(resp, "checkout", secure=True))
    assert header.startswith('checkout=""') or header.startswith("checkout=;")
    for attribute in ("Path=/", "HttpOnly", "SameSite=Lax", "Secure", "01 Jan 1970"):
        assert attribute in header
