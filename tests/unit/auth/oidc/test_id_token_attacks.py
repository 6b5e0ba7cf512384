"""Each attack on the ID token from the One Login reference ends in a refused sign-in, with the
reason named: forged or missing signatures, algorithm confusion, someone else's token, stale or
future tokens, replayed nonces, a weaker sign-in than asked for, unknown keys, huge tokens."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest

from receipting.auth.oidc import OidcClient, SignInRefused
from receipting.auth.oidc.discovery import JWKS_REFRESH_INTERVAL_S
from receipting.auth.oidc.idtoken import CLOCK_SKEW_S, MAX_ID_TOKEN_BYTES
from tests.unit.auth.oidc.fake_provider import (
    REDIRECT_URI,
    FakeClock,
    FakeProvider,
    ProviderKey,
    b64url,
)

JWKS = "/.well-known/jwks.json"


def _unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"


def _refusal(
    client: OidcClient,
    provider: FakeProvider,
    *,
    raw: Any = None,
    **claims: Any,
) -> str:
    """Runs a sign-in whose token is `raw(good claims)` or the good claims with `claims`
    changed, and gives the reason it was refused."""
    request = client.authorization_request(REDIRECT_URI, "en")
    good = provider.claims_for(request.nonce, **claims)
    if raw is not None:
        provider.raw_id_token = raw(good)
    else:
        provider.id_token_claims = good
    with pytest.raises(SignInRefused) as refused:
        client.exchange_code("code-1", REDIRECT_URI, request.code_verifier, request.nonce)
    return refused.value.reason


def test_a_token_signed_with_another_key_under_the_providers_key_id_is_refused(
    client: OidcClient, provider: FakeProvider
) -> None:
    forger = ProviderKey.new_ec(provider.key.kid)

    assert _refusal(client, provider, raw=forger.sign) == "bad_signature"


def test_a_token_whose_claims_were_changed_after_signing_is_refused(
    client: OidcClient, provider: FakeProvider
) -> None:
    def tampered(claims: dict[str, Any]) -> str:
        header, _, signature = provider.key.sign(claims).split(".")
        changed = b64url(json.dumps({**claims, "sub": "urn:fdc:gov.uk:2022:victim"}).encode())
        return f"{header}.{changed}.{signature}"

    assert _refusal(client, provider, raw=tampered) == "bad_signature"


def test_an_unsigned_token_with_alg_none_is_refused(
    client: OidcClient, provider: FakeProvider
) -> None:
    def unsigned(claims: dict[str, Any]) -> str:
        return _unsigned({"alg": "none", "kid": provider.key.kid}, claims) + "."

    assert _refusal(client, provider, raw=unsigned) == "alg_not_allowed"


@pytest.mark.parametrize("form", ["pem", "jwk-json"])
def test_hs256_keyed_with_the_providers_public_key_is_refused(
    client: OidcClient, provider: FakeProvider, form: str
) -> None:
    secret = (
        provider.key.public_pem if form == "pem" else json.dumps(provider.key.public_jwk).encode()
    )

    def confused(claims: dict[str, Any]) -> str:
        signing_input = _unsigned({"alg": "HS256", "kid": provider.key.kid}, claims)
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{b64url(mac)}"

    assert _refusal(client, provider, raw=confused) == "alg_not_allowed"


def test_an_rs256_token_naming_the_providers_ec_key_is_refused(
    client: OidcClient, provider: FakeProvider
) -> None:
    rsa_key = ProviderKey.new_rsa(provider.key.kid)

    assert _refusal(client, provider, raw=rsa_key.sign) == "alg_not_allowed"


def test_a_token_from_another_issuer_is_refused(client: OidcClient, provider: FakeProvider) -> None:
    assert _refusal(client, provider, iss="https://evil.test") == "wrong_issuer"


@pytest.mark.parametrize(
    "aud",
    ["another-service", ["another-service"], None],
    ids=["other", "other-in-list", "missing"],
)
def test_a_token_for_another_service_is_refused(
    client: OidcClient, provider: FakeProvider, aud: Any
) -> None:
    assert _refusal(client, provider, aud=aud) == "wrong_audience"


def test_a_token_for_several_services_must_name_us_as_its_authorised_party(
    client: OidcClient, provider: FakeProvider
) -> None:
    reason = _refusal(client, provider, aud=["council-payments", "another-service"])

    assert reason == "wrong_audience"


def test_an_expired_token_is_refused(
    client: OidcClient, provider: FakeProvider, clock: FakeClock
) -> None:
    now = int(clock())
    reason = _refusal(client, provider, iat=now - 600, exp=now - CLOCK_SKEW_S - 1)

    assert reason == "expired"


def test_a_token_expired_within_the_clock_skew_is_accepted(
    client: OidcClient, provider: FakeProvider, clock: FakeClock
) -> None:
    request = client.authorization_request(REDIRECT_URI, "en")
    now = int(clock())
    provider.id_token_claims = provider.claims_for(
        request.nonce, iat=now - 300, exp=now - CLOCK_SKEW_S + 1
    )

    client.exchange_code("code-1", REDIRECT_URI, request.code_verifier, request.nonce)


def test_a_token_issued_in_the_future_is_refused(
    client: OidcClient, provider: FakeProvider, clock: FakeClock
) -> None:
    now = int(clock())
    reason = _refusal(client, provider, iat=now + 600, exp=now + 900)

    assert reason == "issued_in_future"


def test_a_token_without_expiry_is_refused(client: OidcClient, provider: FakeProvider) -> None:
    assert _refusal(client, provider, exp=None) == "malformed"


def test_a_token_from_another_sign_in_is_refused_by_its_nonce(
    client: OidcClient, provider: FakeProvider
) -> None:
    assert _refusal(client, provider, nonce="someone-elses-nonce") == "nonce_mismatch"


def test_a_token_without_a_nonce_is_refused(client: OidcClient, provider: FakeProvider) -> None:
    assert _refusal(client, provider, nonce=None) == "nonce_missing"


def test_a_password_only_sign_in_is_refused_when_two_factors_were_asked_for(
    client: OidcClient, provider: FakeProvider
) -> None:
    assert _refusal(client, provider, vot="Cl") == "vot_too_low"


def test_a_level_of_trust_we_do_not_know_is_refused(
    client: OidcClient, provider: FakeProvider
) -> None:
    assert _refusal(client, provider, vot="Cl.Cm.Extra") == "vot_too_low"


def test_a_token_without_the_level_of_trust_is_refused(
    client: OidcClient, provider: FakeProvider
) -> None:
    assert _refusal(client, provider, vot=None) == "vot_missing"


def test_a_token_without_a_subject_is_refused(client: OidcClient, provider: FakeProvider) -> None:
    assert _refusal(client, provider, sub=None) == "sub_missing"


def test_an_unknown_key_id_refreshes_the_key_set_once_and_then_is_refused(
    client: OidcClient, provider: FakeProvider
) -> None:
    stranger = ProviderKey.new_ec("never-published")
    client.metadata()

    assert _refusal(client, provider, raw=stranger.sign) == "unknown_kid"
    assert _refusal(client, provider, raw=stranger.sign) == "unknown_kid"
    # One fetch on the first token; the second unknown kid came within the refresh interval.
    assert provider.hits(JWKS) == 1


def test_an_unknown_key_id_after_the_interval_refreshes_once_more(
    client: OidcClient, provider: FakeProvider, clock: FakeClock
) -> None:
    stranger = ProviderKey.new_ec("never-published")
    _refusal(client, provider, raw=stranger.sign)

    clock.now_s += JWKS_REFRESH_INTERVAL_S
    assert _refusal(client, provider, raw=stranger.sign) == "unknown_kid"

    assert provider.hits(JWKS) == 2


def test_a_token_signed_with_a_newly_rotated_key_is_accepted_after_one_refresh(
    client: OidcClient, provider: FakeProvider, clock: FakeClock
) -> None:
    stranger = ProviderKey.new_ec("rotated-in")
    _refusal(client, provider, raw=stranger.sign)
    provider.key = stranger
    provider.published.append(stranger)
    clock.now_s += JWKS_REFRESH_INTERVAL_S

    request = client.authorization_request(REDIRECT_URI, "en")
    provider.raw_id_token = None
    provider.id_token_claims = provider.claims_for(request.nonce)
    client.exchange_code("code-1", REDIRECT_URI, request.code_verifier, request.nonce)

    assert provider.hits(JWKS) == 2


def test_a_token_without_a_key_id_is_refused(client: OidcClient, provider: FakeProvider) -> None:
    assert _refusal(client, provider, raw=lambda c: provider.key.sign(c, kid=None)) == (
        "unknown_kid"
    )


def test_an_oversized_token_is_refused_before_it_is_parsed(
    client: OidcClient, provider: FakeProvider
) -> None:
    reason = _refusal(client, provider, padding="x" * MAX_ID_TOKEN_BYTES)

    assert reason == "token_too_large"


@pytest.mark.parametrize(
    "raw",
    ["not-a-token", "a.b.c", "a.b.c.d.e", "eyJhbGciOiJFUzI1NiJ9.e30."],
    ids=["one-part", "garbage", "encrypted", "empty-signature"],
)
def test_a_token_that_cannot_be_read_is_refused(
    client: OidcClient, provider: FakeProvider, raw: str
) -> None:
    assert _refusal(client, provider, raw=lambda claims: raw) in {
        "malformed",
        "unknown_kid",
    }


def test_a_token_with_critical_extensions_we_do_not_understand_is_refused(
    client: OidcClient, provider: FakeProvider
) -> None:
    def critical(claims: dict[str, Any]) -> str:
        return provider.key.sign(claims, crit=["exp"])

    assert _refusal(client, provider, raw=critical) == "malformed"
