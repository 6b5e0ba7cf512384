"""A fake OpenID provider in Python for the relying party's unit tests.

It has its own signing keys and serves discovery, JWKS, token and userinfo through
`httpx.MockTransport`, so the client's real HTTP code runs without a network. Tests set the
claims (or the whole raw token) the next token call answers with, to throw attacks at the client.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jwk, jwt

from receipting.auth.oidc.keys import RelyingPartyKey, generate_ec_key_pem
from receipting.settings import OidcSettings

ISSUER = "https://provider.test"
CLIENT_ID = "council-payments"
REDIRECT_URI = "https://pay.council.test/account/callback"
SUBJECT = "urn:fdc:gov.uk:2022:resident-one"


class FakeClock:
    def __init__(self) -> None:
        self.now_s = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now_s


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass
class ProviderKey:
    kid: str
    alg: str
    private_pem: str
    public_jwk: dict[str, Any]
    public_pem: bytes

    @classmethod
    def new_ec(cls, kid: str) -> ProviderKey:
        key = ec.generate_private_key(ec.SECP256R1())
        return cls._from(kid, "ES256", key)

    @classmethod
    def new_rsa(cls, kid: str) -> ProviderKey:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return cls._from(kid, "RS256", key)

    @classmethod
    def _from(
        cls, kid: str, alg: str, key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    ) -> ProviderKey:
        private_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        public_pem = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        public = jwk.construct(public_pem, alg).to_dict()
        public.update({"kid": kid, "use": "sig", "alg": alg})
        return cls(kid, alg, private_pem, public, public_pem)

    def sign(self, claims: dict[str, Any], **header: Any) -> str:
        return jwt.encode(
            claims, self.private_pem, algorithm=self.alg, headers={"kid": self.kid, **header}
        )


@dataclass
class FakeProvider:
    clock: FakeClock
    issuer: str = ISSUER
    key: ProviderKey = field(default_factory=lambda: ProviderKey.new_ec("provider-key-1"))
    published: list[ProviderKey] = field(default_factory=list)
    discovery_overrides: dict[str, Any] = field(default_factory=dict)
    cache_control: str | None = "max-age=86400"
    # What the next token call answers: claims to sign, or a raw token instead.
    id_token_claims: dict[str, Any] = field(default_factory=dict)
    raw_id_token: str | None = None
    token_error: tuple[int, dict[str, Any]] | None = None
    userinfo_claims: dict[str, Any] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.published:
            self.published = [self.key]

    def hits(self, path: str) -> int:
        return sum(1 for r in self.requests if r.url.path == path)

    def token_form(self) -> dict[str, str]:
        posts = [r for r in self.requests if r.url.path == "/token"]
        return dict(parse_qsl(posts[-1].content.decode()))

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{ISSUER}/authorize",
            "token_endpoint": f"{ISSUER}/token",
            "userinfo_endpoint": f"{ISSUER}/userinfo",
            "jwks_uri": f"{ISSUER}/.well-known/jwks.json",
            "end_session_endpoint": f"{ISSUER}/logout",
            "id_token_signing_alg_values_supported": ["ES256", "RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            **self.discovery_overrides,
        }

    def claims_for(self, nonce: str, /, **overrides: Any) -> dict[str, Any]:
        """A good ID token's claims; an override of None removes that claim."""
        now = int(self.clock())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "sub": SUBJECT,
            "iat": now,
            "exp": now + 180,
            "nonce": nonce,
            "vot": "Cl.Cm",
            "vtm": f"{ISSUER}/trustmark",
            **overrides,
        }
        return {k: v for k, v in claims.items() if v is not None}

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        headers = {"Cache-Control": self.cache_control} if self.cache_control else {}
        if path == "/.well-known/openid-configuration":
            return httpx.Response(200, json=self.discovery(), headers=headers)
        if path == "/.well-known/jwks.json":
            keys = [k.public_jwk for k in self.published]
            return httpx.Response(200, json={"keys": keys}, headers=headers)
        if path == "/token" and request.method == "POST":
            if self.token_error is not None:
                status, body = self.token_error
                return httpx.Response(status, json=body)
            token = self.raw_id_token or self.key.sign(self.id_token_claims)
            return httpx.Response(
                200,
                json={
                    "access_token": "access-token-1",
                    "token_type": "Bearer",
                    "expires_in": 180,
                    "id_token": token,
                },
                headers={"Cache-Control": "no-store"},
            )
        if path == "/userinfo":
            if request.headers.get("Authorization") != "Bearer access-token-1":
                return httpx.Response(401)
            return httpx.Response(200, json={"sub": SUBJECT, **self.userinfo_claims})
        return httpx.Response(404)


def settings(vtr: str = '["Cl.Cm"]', key_pem: bytes | None = None) -> OidcSettings:
    return OidcSettings(
        issuer=ISSUER,
        client_id=CLIENT_ID,
        private_key_pem=key_pem or RP_KEY_PEM,
        scopes=("openid", "email", "phone"),
        vtr=vtr,
    )


# Generating keys is slow enough to matter across many tests; one relying-party key serves all.
RP_KEY_PEM = generate_ec_key_pem()
RP_KEY = RelyingPartyKey.from_pem(RP_KEY_PEM)
