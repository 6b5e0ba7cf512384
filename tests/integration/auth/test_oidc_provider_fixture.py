"""The test OpenID provider behaves like GOV.UK One Login, and its tamper control does what it says.

Driven over HTTP with httpx and python-jose only, so the fixture is checked independently of the
engine's relying party.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jose import jwk, jws, jwt
from jose.exceptions import JWSError

from tests.support.oidc_provider import (
    HTTP_TIMEOUT_S,
    ClientRegistration,
    OidcProvider,
    login_over_http,
    logout_over_http,
    oidc_provider_fixture,
)

CLIENT_ID = "council-receipting-test"
CLIENT_KID = "test-client-key-1"
REDIRECT_URI = "http://127.0.0.1:9/account/callback"
POST_LOGOUT_REDIRECT_URI = "http://127.0.0.1:9/account/signed-out"
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# One Login asks for a client assertion that lives about five minutes.
CLIENT_ASSERTION_TTL_S = 300
# Relying parties are expected to refuse ID tokens larger than this.
MAX_ID_TOKEN_BYTES = 64 * 1024
SUBJECT_PREFIX = "urn:fdc:gov.uk:2022:"
ACCOUNTS = {
    "resident@example.org": {"email": "resident@example.org", "phone_number": "+447700900123"}
}


def _b64url_uint(value: int) -> str:
    return base64.urlsafe_b64encode(value.to_bytes(32, "big")).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def client_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def client_key_pem(client_key: ec.EllipticCurvePrivateKey) -> str:
    return client_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture(scope="module")
def client_registration(client_key: ec.EllipticCurvePrivateKey) -> ClientRegistration:
    numbers = client_key.public_key().public_numbers()
    public_jwk = {
        "kty": "EC",
        "crv": "P-256",
        "x": _b64url_uint(numbers.x),
        "y": _b64url_uint(numbers.y),
        "kid": CLIENT_KID,
        "use": "sig",
        "alg": "ES256",
    }
    return ClientRegistration(
        client_id=CLIENT_ID,
        redirect_uris=(REDIRECT_URI,),
        client_jwks={"keys": [public_jwk]},
        post_logout_redirect_uris=(POST_LOGOUT_REDIRECT_URI,),
        accounts=ACCOUNTS,
    )


oidc_provider = oidc_provider_fixture("client_registration")


@pytest.fixture(scope="module")
def discovery(oidc_provider: OidcProvider) -> dict[str, Any]:
    return oidc_provider.discovery()


@pytest.fixture(scope="module")
def provider_jwks(discovery: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = httpx.get(discovery["jwks_uri"], timeout=HTTP_TIMEOUT_S).json()
    return result


@pytest.fixture
def browser() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=HTTP_TIMEOUT_S) as client:
        yield client


@dataclass(frozen=True)
class SignIn:
    code: str
    state: str
    nonce: str
    code_verifier: str
    callback_params: dict[str, str]


@dataclass(frozen=True)
class Tokens:
    id_token: str
    access_token: str


SignInAs = Callable[..., SignIn]
Redeem = Callable[[SignIn], httpx.Response]


@pytest.fixture
def sign_in(discovery: dict[str, Any], browser: httpx.Client) -> SignInAs:
    def run(
        *,
        vtr: list[str] | None = None,
        ui_locales: str | None = "cy",
        login: str = "resident@example.org",
        with_pkce: bool = True,
        client: httpx.Client | None = None,
    ) -> SignIn:
        state = secrets.token_urlsafe(16)
        nonce = secrets.token_urlsafe(16)
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        params = {
            "response_type": "code",
            "scope": "openid email phone",
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
            "state": state,
            "nonce": nonce,
        }
        if with_pkce:
            params["code_challenge"] = challenge.rstrip(b"=").decode()
            params["code_challenge_method"] = "S256"
        if vtr is not None:
            params["vtr"] = json.dumps(vtr)
        if ui_locales is not None:
            params["ui_locales"] = ui_locales
        url = f"{discovery['authorization_endpoint']}?{urlencode(params)}"
        callback = login_over_http(client or browser, url, login)
        assert callback.startswith(REDIRECT_URI + "?")
        query = {k: v[0] for k, v in parse_qs(urlsplit(callback).query).items()}
        return SignIn(query.get("code", ""), state, nonce, verifier, query)

    return run


@pytest.fixture
def redeem(discovery: dict[str, Any], client_key_pem: str) -> Redeem:
    def run(sign_in: SignIn) -> httpx.Response:
        now = int(time.time())
        assertion = jwt.encode(
            {
                "iss": CLIENT_ID,
                "sub": CLIENT_ID,
                "aud": discovery["token_endpoint"],
                "iat": now,
                "exp": now + CLIENT_ASSERTION_TTL_S,
                "jti": str(uuid.uuid4()),
            },
            client_key_pem,
            algorithm="ES256",
            headers={"kid": CLIENT_KID},
        )
        return httpx.post(
            discovery["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "code": sign_in.code,
                "redirect_uri": REDIRECT_URI,
                "code_verifier": sign_in.code_verifier,
                "client_assertion_type": CLIENT_ASSERTION_TYPE,
                "client_assertion": assertion,
            },
            headers={"User-Agent": "council-receipting-tests"},
            timeout=HTTP_TIMEOUT_S,
        )

    return run


def _tokens(response: httpx.Response) -> Tokens:
    assert response.status_code == httpx.codes.OK, response.text
    body = response.json()
    return Tokens(id_token=body["id_token"], access_token=body["access_token"])


def _provider_key(jwks: dict[str, Any], kid: str) -> dict[str, Any]:
    return next(key for key in jwks["keys"] if key["kid"] == kid)


def _verify(token: str, jwks: dict[str, Any], sign_in: SignIn, access_token: str) -> dict[str, Any]:
    kid = jwt.get_unverified_header(token)["kid"]
    claims: dict[str, Any] = jwt.decode(
        token,
        _provider_key(jwks, kid),
        algorithms=["ES256"],
        audience=CLIENT_ID,
        access_token=access_token,
    )
    assert claims["nonce"] == sign_in.nonce
    return claims


def _claims_if_signed_by_provider(token: str, jwks: dict[str, Any]) -> dict[str, Any]:
    """The claims, once the signature is checked against the provider's ES256 key only."""
    kid = jwt.get_unverified_header(token)["kid"]
    payload = jws.verify(token, _provider_key(jwks, kid), algorithms=["ES256"])
    result: dict[str, Any] = json.loads(payload)
    return result


def test_the_discovery_document_describes_a_one_login_style_provider(
    oidc_provider: OidcProvider, discovery: dict[str, Any]
) -> None:
    assert discovery["issuer"] == oidc_provider.issuer
    assert discovery["response_types_supported"] == ["code"]
    assert discovery["code_challenge_methods_supported"] == ["S256"]
    assert discovery["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
    assert "ES256" in discovery["id_token_signing_alg_values_supported"]
    assert {"vot", "vtm", "email", "phone_number"} <= set(discovery["claims_supported"])
    assert discovery["end_session_endpoint"].startswith(oidc_provider.issuer)


def test_the_provider_publishes_an_es256_and_an_rs256_key_with_kids(
    provider_jwks: dict[str, Any],
) -> None:
    algs = {key["alg"] for key in provider_jwks["keys"]}
    assert algs == {"ES256", "RS256"}
    assert all(key["kid"] and "d" not in key for key in provider_jwks["keys"])


def test_a_resident_signs_in_and_the_id_token_carries_the_level_of_confidence_asked_for(
    oidc_provider: OidcProvider,
    sign_in: SignInAs,
    redeem: Redeem,
    provider_jwks: dict[str, Any],
) -> None:
    signed_in = sign_in(vtr=["Cl.Cm"], ui_locales="cy")
    assert signed_in.callback_params["state"] == signed_in.state
    assert signed_in.callback_params["iss"] == oidc_provider.issuer

    tokens = _tokens(redeem(signed_in))
    assert jwt.get_unverified_header(tokens.id_token)["alg"] == "ES256"
    claims = _verify(tokens.id_token, provider_jwks, signed_in, tokens.access_token)

    assert claims["iss"] == oidc_provider.issuer
    assert claims["vot"] == "Cl.Cm"
    assert claims["vtm"] == f"{oidc_provider.issuer}/trustmark"
    assert claims["sub"].startswith(SUBJECT_PREFIX)
    assert "email" not in claims, "like One Login, email comes from userinfo only"


def test_userinfo_gives_the_residents_email_and_phone_for_the_access_token(
    sign_in: SignInAs, redeem: Redeem, discovery: dict[str, Any]
) -> None:
    tokens = _tokens(redeem(sign_in()))

    response = httpx.get(
        discovery["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {tokens.access_token}"},
        timeout=HTTP_TIMEOUT_S,
    )

    assert response.status_code == httpx.codes.OK, response.text
    info = response.json()
    assert info["email"] == "resident@example.org"
    assert info["email_verified"] is True
    assert info["phone_number"] == "+447700900123"
    assert info["sub"].startswith(SUBJECT_PREFIX)


def test_the_provider_records_vtr_ui_locales_and_pkce_method_of_the_last_sign_in(
    oidc_provider: OidcProvider, sign_in: SignInAs
) -> None:
    signed_in = sign_in(vtr=["Cl"], ui_locales="cy")

    last = oidc_provider.last_authorization()

    assert last["vtr"] == ["Cl"]
    assert last["ui_locales"] == "cy"
    assert last["code_challenge_method"] == "S256"
    assert last["nonce"] == signed_in.nonce


@pytest.mark.parametrize(
    ("vtr", "vot"), [(None, "Cl.Cm"), (["Cl"], "Cl"), (["Cl.Cm"], "Cl.Cm")], ids=str
)
def test_vot_is_the_level_asked_for_by_vtr_and_two_factor_when_none_is_asked(
    sign_in: SignInAs,
    redeem: Redeem,
    provider_jwks: dict[str, Any],
    vtr: list[str] | None,
    vot: str,
) -> None:
    signed_in = sign_in(vtr=vtr)
    tokens = _tokens(redeem(signed_in))
    assert _verify(tokens.id_token, provider_jwks, signed_in, tokens.access_token)["vot"] == vot


def test_a_vtr_that_is_not_a_json_array_is_refused_back_at_the_redirect_uri(
    discovery: dict[str, Any], browser: httpx.Client
) -> None:
    params = {
        "response_type": "code",
        "scope": "openid",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "state": "s",
        "nonce": "n",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
        "vtr": "Cl.Cm",
    }
    callback = login_over_http(
        browser, f"{discovery['authorization_endpoint']}?{urlencode(params)}"
    )
    assert parse_qs(urlsplit(callback).query)["error"] == ["invalid_request"]


def test_a_sign_in_without_pkce_is_refused(sign_in: SignInAs) -> None:
    signed_in = sign_in(with_pkce=False)
    assert signed_in.callback_params["error"] == "invalid_request"
    assert "PKCE" in signed_in.callback_params["error_description"]


def test_the_subject_is_pairwise_and_stable_for_the_same_login(
    sign_in: SignInAs, redeem: Redeem, provider_jwks: dict[str, Any]
) -> None:
    def subject(login: str) -> str:
        # A fresh browser each time, so the provider asks who is signing in.
        with httpx.Client(timeout=HTTP_TIMEOUT_S) as fresh_browser:
            signed_in = sign_in(login=login, client=fresh_browser)
        tokens = _tokens(redeem(signed_in))
        return str(_verify(tokens.id_token, provider_jwks, signed_in, tokens.access_token)["sub"])

    first = subject("resident@example.org")
    assert subject("resident@example.org") == first
    assert subject("someone-else@example.org") != first
    assert "resident" not in first


def test_an_authorization_code_cannot_be_redeemed_twice(sign_in: SignInAs, redeem: Redeem) -> None:
    signed_in = sign_in()
    _tokens(redeem(signed_in))

    again = redeem(signed_in)

    assert again.status_code == httpx.codes.BAD_REQUEST
    assert again.json()["error"] == "invalid_grant"


def test_a_wrong_code_verifier_is_refused(sign_in: SignInAs, redeem: Redeem) -> None:
    signed_in = sign_in()
    wrong = SignIn(
        signed_in.code, signed_in.state, signed_in.nonce, "x" * 43, signed_in.callback_params
    )
    assert redeem(wrong).json()["error"] == "invalid_grant"


def test_rp_initiated_logout_returns_to_the_registered_post_logout_uri_with_state(
    sign_in: SignInAs, redeem: Redeem, discovery: dict[str, Any], browser: httpx.Client
) -> None:
    tokens = _tokens(redeem(sign_in()))
    query = urlencode(
        {
            "id_token_hint": tokens.id_token,
            "post_logout_redirect_uri": POST_LOGOUT_REDIRECT_URI,
            "state": "signed-out-state",
        }
    )

    landing = logout_over_http(browser, f"{discovery['end_session_endpoint']}?{query}")

    assert landing == f"{POST_LOGOUT_REDIRECT_URI}?state=signed-out-state"


# --- the tamper control -------------------------------------------------------------------------


def _segments(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes]:
    header, payload, signature = token.split(".")

    def decode(part: str) -> bytes:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))

    return json.loads(decode(header)), json.loads(decode(payload)), decode(signature)


def _provider_public_pem(jwks: dict[str, Any]) -> bytes:
    es256 = next(key for key in jwks["keys"] if key["alg"] == "ES256")
    pem: bytes = jwk.construct(es256, "ES256").to_pem()
    return pem


def _check_untouched(token: str, jwks: dict[str, Any], signed_in: SignIn) -> None:
    claims = _claims_if_signed_by_provider(token, jwks)
    assert claims["nonce"] == signed_in.nonce
    assert claims["vot"] == "Cl.Cm"


def _check_forged_signature(token: str, jwks: dict[str, Any], signed_in: SignIn) -> None:
    header, claims, _ = _segments(token)
    assert header["alg"] == "ES256"
    assert claims["nonce"] == signed_in.nonce
    with pytest.raises(JWSError):
        _claims_if_signed_by_provider(token, jwks)


def _check_alg_none(token: str, jwks: dict[str, Any], signed_in: SignIn) -> None:
    header, claims, signature = _segments(token)
    assert header["alg"] == "none"
    assert signature == b""
    assert claims["nonce"] == signed_in.nonce


def _check_hs256_public_key(token: str, jwks: dict[str, Any], signed_in: SignIn) -> None:
    header, claims, signature = _segments(token)
    assert header["alg"] == "HS256"
    signing_input = token.rsplit(".", 1)[0].encode()
    expected = hmac.new(_provider_public_pem(jwks), signing_input, hashlib.sha256).digest()
    assert hmac.compare_digest(signature, expected)
    assert claims["nonce"] == signed_in.nonce


def _check_wrong_iss(token: str, jwks: dict[str, Any], signed_in: SignIn) -> None:
    issuer = jwt.get_unverified_claims(token)["iss"]
    assert _claims_if_signed_by_provider(token, jwks)["iss"] == issuer
    assert not issuer.startswith("http://127.0.0.1")


def _check_wrong_aud(token: str, jwks: dict[str, Any], signed_in: SignIn) -> None:
    assert _claims_if_signed_by_provider(token, jwks)["aud"] != CLIENT_ID


def _check_expired(token: str, jwks: dict[str, Any], signed_in: SignIn) -> None:
    assert _claims_if_signed_by_provider(token, jwks)["exp"] < time.time()


def _check_future_iat(token: str, jwks: dict[str, Any], signed_in: SignIn) -> None:
    assert _claims_if_signed_by_provider(token, jwks)["iat"] > time.time() + 30 * 60


def _check_wrong_nonce(token: str, jwks: dict[str, Any], signed_in: SignIn) -> None:
    assert _claims_if_signed_by_provider(token, jwks)["nonce"] != signed_in.nonce


def _check_lower_vot(token: str, jwks: dict[str, Any], signed_in: SignIn) -> None:
    assert _claims_if_signed_by_provider(token, jwks)["vot"] == "Cl"


def _check_unknown_kid(token: str, jwks: dict[str, Any], signed_in: SignIn) -> None:
    header, claims, _ = _segments(token)
    assert header["alg"] == "ES256"
    assert header["kid"] not in {key["kid"] for key in jwks["keys"]}
    assert claims["nonce"] == signed_in.nonce


def _check_oversized(token: str, jwks: dict[str, Any], signed_in: SignIn) -> None:
    assert len(token) > MAX_ID_TOKEN_BYTES
    assert _claims_if_signed_by_provider(token, jwks)["nonce"] == signed_in.nonce


TAMPER_CHECKS: dict[str, Callable[[str, dict[str, Any], SignIn], None]] = {
    "none": _check_untouched,
    "forged_signature": _check_forged_signature,
    "alg_none": _check_alg_none,
    "hs256_public_key": _check_hs256_public_key,
    "wrong_iss": _check_wrong_iss,
    "wrong_aud": _check_wrong_aud,
    "expired": _check_expired,
    "future_iat": _check_future_iat,
    "wrong_nonce": _check_wrong_nonce,
    "lower_vot": _check_lower_vot,
    "unknown_kid": _check_unknown_kid,
    "oversized": _check_oversized,
}


def test_every_tamper_mode_has_a_check_here() -> None:
    from tests.support.oidc_provider import TAMPER_MODES

    assert set(TAMPER_CHECKS) == set(TAMPER_MODES)


@pytest.mark.parametrize("mode", list(TAMPER_CHECKS))
def test_a_tamper_mode_rewrites_the_next_id_token_as_described(
    oidc_provider: OidcProvider,
    sign_in: SignInAs,
    redeem: Redeem,
    provider_jwks: dict[str, Any],
    mode: str,
) -> None:
    signed_in = sign_in(vtr=["Cl.Cm"])
    oidc_provider.tamper(mode)
    try:
        tokens = _tokens(redeem(signed_in))
    finally:
        # Should the exchange fail, the mode must not leak into the next test's token.
        oidc_provider.tamper("none")

    TAMPER_CHECKS[mode](tokens.id_token, provider_jwks, signed_in)


def test_a_tamper_mode_applies_to_one_token_response_only(
    oidc_provider: OidcProvider, sign_in: SignInAs, redeem: Redeem, provider_jwks: dict[str, Any]
) -> None:
    oidc_provider.tamper("wrong_nonce")
    _tokens(redeem(sign_in()))

    signed_in = sign_in()
    tokens = _tokens(redeem(signed_in))

    assert _verify(tokens.id_token, provider_jwks, signed_in, tokens.access_token)


def test_an_unknown_tamper_mode_is_refused_by_the_provider(oidc_provider: OidcProvider) -> None:
    response = httpx.post(
        f"{oidc_provider.issuer}/__test__/tamper", json={"mode": "bogus"}, timeout=HTTP_TIMEOUT_S
    )
    assert response.status_code == httpx.codes.BAD_REQUEST
    assert "alg_none" in response.json()["error"]


def test_the_provider_stops_when_asked(
    tmp_path: Path, client_registration: ClientRegistration
) -> None:
    from tests.support.oidc_provider import start_oidc_provider

    with start_oidc_provider(
        tmp_path,
        client_id=client_registration.client_id,
        redirect_uris=client_registration.redirect_uris,
        client_jwks=client_registration.client_jwks,
    ) as provider:
        health = httpx.get(f"{provider.issuer}/__test__/health", timeout=HTTP_TIMEOUT_S)
        assert health.json()["ok"] is True
        provider.stop()
        assert provider.process.returncode == 0
