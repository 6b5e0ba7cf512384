"""The relying party's flow against the fake provider: the redirect, the callback, the token
call with private_key_jwt, userinfo and logout."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from jose import jwt

from receipting.auth.oidc import (
    ONE_LOGIN,
    WORKFORCE,
    ClientRejected,
    OidcClient,
    ProviderUnavailable,
    SignedIn,
    SignInRefused,
)
from receipting.auth.oidc.client import CLIENT_ASSERTION_TYPE
from receipting.auth.oidc.pkce import code_challenge_s256
from receipting.errors import ConfigurationError
from tests.unit.auth.oidc.fake_provider import (
    CLIENT_ID,
    ISSUER,
    REDIRECT_URI,
    RP_KEY,
    SUBJECT,
    FakeClock,
    FakeProvider,
    ProviderKey,
    settings,
)


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def sign_in(client: OidcClient, provider: FakeProvider, **claims: Any) -> SignedIn:
    """The whole flow: redirect, the provider's token for that sign-in, the code exchange."""
    request = client.authorization_request(REDIRECT_URI, "en")
    provider.id_token_claims = provider.claims_for(request.nonce, **claims)
    return client.exchange_code("code-1", REDIRECT_URI, request.code_verifier, request.nonce)


def test_the_redirect_asks_for_a_code_with_state_nonce_pkce_vtr_and_language(
    client: OidcClient,
) -> None:
    request = client.authorization_request(REDIRECT_URI, "cy")

    assert request.url.startswith(f"{ISSUER}/authorize?")
    assert _query(request.url) == {
        "response_type": "code",
        "scope": "openid email phone",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "state": request.state,
        "nonce": request.nonce,
        "code_challenge": code_challenge_s256(request.code_verifier),
        "code_challenge_method": "S256",
        "vtr": '["Cl.Cm"]',
        "ui_locales": "cy",
    }


def test_every_redirect_has_fresh_one_use_values(client: OidcClient) -> None:
    first = client.authorization_request(REDIRECT_URI, "en")
    second = client.authorization_request(REDIRECT_URI, "en")

    assert {first.state, first.nonce, first.code_verifier}.isdisjoint(
        {second.state, second.nonce, second.code_verifier}
    )


def test_the_workforce_profile_sends_no_vector_of_trust_and_needs_no_vot(
    http: httpx.Client, clock: FakeClock, provider: FakeProvider
) -> None:
    client = OidcClient(settings(), WORKFORCE, http, clock)

    assert "vtr" not in _query(client.authorization_request(REDIRECT_URI, "en").url)
    signed_in = sign_in(client, provider, vot=None)
    assert signed_in.sub == SUBJECT
    assert signed_in.vot is None


def test_a_vtr_setting_naming_an_unknown_level_is_refused_at_start_up(
    http: httpx.Client, clock: FakeClock
) -> None:
    with pytest.raises(ConfigurationError, match="RECEIPTING_OIDC_VTR"):
        OidcClient(settings(vtr='["Cl.Cm.P2"]'), ONE_LOGIN, http, clock)


def test_a_good_sign_in_gives_the_subject_the_level_achieved_and_the_tokens(
    client: OidcClient, provider: FakeProvider
) -> None:
    signed_in = sign_in(client, provider)

    assert signed_in.sub == SUBJECT
    assert signed_in.vot == "Cl.Cm"
    assert signed_in.access_token == "access-token-1"
    assert signed_in.claims["iss"] == ISSUER
    assert jwt.get_unverified_claims(signed_in.id_token)["sub"] == SUBJECT
    assert "access-token-1" not in repr(signed_in)


def test_an_rs256_id_token_is_accepted_too(
    http: httpx.Client, clock: FakeClock, provider: FakeProvider
) -> None:
    provider.key = ProviderKey.new_rsa("provider-rsa")
    provider.published = [provider.key]

    assert sign_in(OidcClient(settings(), ONE_LOGIN, http, clock), provider).sub == SUBJECT


def test_asking_for_a_password_only_accepts_a_two_factor_sign_in(
    http: httpx.Client, clock: FakeClock, provider: FakeProvider
) -> None:
    client = OidcClient(settings(vtr='["Cl"]'), ONE_LOGIN, http, clock)

    assert sign_in(client, provider, vot="Cl.Cm").vot == "Cl.Cm"


def test_the_token_call_sends_the_code_the_verifier_and_a_client_assertion(
    client: OidcClient, provider: FakeProvider
) -> None:
    request = client.authorization_request(REDIRECT_URI, "en")
    provider.id_token_claims = provider.claims_for(request.nonce)

    client.exchange_code("code-1", REDIRECT_URI, request.code_verifier, request.nonce)

    form = provider.token_form()
    assert form["grant_type"] == "authorization_code"
    assert form["code"] == "code-1"
    assert form["redirect_uri"] == REDIRECT_URI
    assert form["code_verifier"] == request.code_verifier
    assert form["client_assertion_type"] == CLIENT_ASSERTION_TYPE
    token_call = [r for r in provider.requests if r.url.path == "/token"][-1]
    assert token_call.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert token_call.headers["User-Agent"].startswith("council-receipting")


def test_the_client_assertion_verifies_with_our_public_key_and_carries_the_required_claims(
    client: OidcClient, provider: FakeProvider, clock: FakeClock
) -> None:
    sign_in(client, provider)
    assertion = provider.token_form()["client_assertion"]

    claims = jwt.decode(
        assertion,
        RP_KEY.public_jwks()["keys"][0],
        algorithms=["ES256"],
        audience=f"{ISSUER}/token",
        issuer=CLIENT_ID,
        options={"verify_exp": False, "verify_iat": False},
    )

    assert jwt.get_unverified_header(assertion)["kid"] == RP_KEY.kid
    assert claims["sub"] == CLIENT_ID
    assert claims["iat"] == int(clock())
    assert claims["exp"] - claims["iat"] == 300
    assert len(claims["jti"]) >= 32


def test_each_client_assertion_has_a_unique_jti(client: OidcClient) -> None:
    jtis = {jwt.get_unverified_claims(client.client_assertion("aud"))["jti"] for _ in range(20)}

    assert len(jtis) == 20


def test_a_replayed_code_refused_by_the_provider_is_a_refused_sign_in(
    client: OidcClient, provider: FakeProvider
) -> None:
    provider.token_error = (400, {"error": "invalid_grant"})

    with pytest.raises(SignInRefused) as refused:
        sign_in(client, provider)

    assert refused.value.reason == "code_rejected"


def test_the_provider_refusing_our_credentials_tells_the_operator_what_to_check(
    client: OidcClient, provider: FakeProvider
) -> None:
    provider.token_error = (401, {"error": "invalid_client"})

    with pytest.raises(ClientRejected, match=r"jwks\.json"):
        sign_in(client, provider)


def test_a_token_endpoint_server_error_is_the_provider_being_unavailable(
    client: OidcClient, provider: FakeProvider
) -> None:
    provider.token_error = (502, {})

    with pytest.raises(ProviderUnavailable, match="token"):
        sign_in(client, provider)


def test_a_token_answer_without_an_id_token_is_refused(
    client: OidcClient, provider: FakeProvider
) -> None:
    provider.token_error = (200, {"access_token": "a", "token_type": "Bearer"})

    with pytest.raises(SignInRefused) as refused:
        sign_in(client, provider)

    assert refused.value.reason == "bad_response"


def test_the_callback_gives_the_code_and_the_state_to_look_up(client: OidcClient) -> None:
    callback = client.parse_callback({"code": "abc", "state": "s1", "iss": ISSUER})

    assert (callback.code, callback.state) == ("abc", "s1")


def test_a_callback_carrying_the_providers_error_is_refused_with_its_text_made_safe(
    client: OidcClient,
) -> None:
    params = {
        "error": "access_denied",
        "error_description": "Resident\x00 cancelled\n<script>" + "x" * 500,
        "state": "s1",
    }

    with pytest.raises(SignInRefused) as refused:
        client.parse_callback(params)

    assert refused.value.reason == "provider_error"
    assert refused.value.provider_error == "access_denied"
    description = refused.value.provider_description or ""
    assert description.startswith("Resident cancelled<script>")
    assert len(description) <= 200
    assert "\x00" not in refused.value.message and "\n" not in refused.value.message


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"code": "abc"}, "state_unknown"),
        ({"state": "s1"}, "code_missing"),
        ({"code": "abc", "state": "s1", "iss": "https://evil.test"}, "wrong_issuer"),
        ({"code": "abc", "state": "s" * 5000}, "state_unknown"),
    ],
    ids=["no-state", "no-code", "another-issuer", "huge-state"],
)
def test_a_callback_that_is_not_a_good_answer_is_refused(
    client: OidcClient, params: dict[str, str], reason: str
) -> None:
    with pytest.raises(SignInRefused) as refused:
        client.parse_callback(params)

    assert refused.value.reason == reason


def test_userinfo_gives_the_residents_email_and_phone(
    client: OidcClient, provider: FakeProvider
) -> None:
    provider.userinfo_claims = {
        "email": "resident@example.org",
        "email_verified": True,
        "phone_number": "+447700900000",
    }
    signed_in = sign_in(client, provider)

    info = client.userinfo(signed_in.access_token, expected_sub=signed_in.sub)

    assert info["email"] == "resident@example.org"
    assert info["email_verified"] is True
    assert info["phone_number"] == "+447700900000"


def test_userinfo_about_someone_else_is_refused(client: OidcClient, provider: FakeProvider) -> None:
    provider.userinfo_claims = {"sub": "urn:fdc:gov.uk:2022:someone-else"}

    with pytest.raises(SignInRefused) as refused:
        client.userinfo("access-token-1", expected_sub=SUBJECT)

    assert refused.value.reason == "subject_mismatch"


def test_an_expired_access_token_at_userinfo_is_refused(client: OidcClient) -> None:
    with pytest.raises(SignInRefused) as refused:
        client.userinfo("stale-token", expected_sub=SUBJECT)

    assert refused.value.reason == "provider_error"


def test_the_logout_address_carries_the_id_token_hint_the_return_address_and_state(
    client: OidcClient,
) -> None:
    url = client.logout_url("the.id.token", "https://pay.council.test/account/signed-out", "s2")

    assert url is not None and url.startswith(f"{ISSUER}/logout?")
    assert _query(url) == {
        "id_token_hint": "the.id.token",
        "post_logout_redirect_uri": "https://pay.council.test/account/signed-out",
        "state": "s2",
    }


def test_without_an_end_session_endpoint_there_is_no_logout_address(
    client: OidcClient, provider: FakeProvider
) -> None:
    provider.discovery_overrides = {"end_session_endpoint": None}

    assert client.logout_url("the.id.token", "https://pay.council.test/", "s2") is None


def test_refusal_messages_never_carry_tokens(client: OidcClient, provider: FakeProvider) -> None:
    request = client.authorization_request(REDIRECT_URI, "en")
    provider.id_token_claims = provider.claims_for("another-nonce")

    with pytest.raises(SignInRefused) as refused:
        client.exchange_code("code-1", REDIRECT_URI, request.code_verifier, request.nonce)

    assert "access-token-1" not in str(refused.value)
    assert json.dumps(provider.id_token_claims)[:20] not in str(refused.value)
