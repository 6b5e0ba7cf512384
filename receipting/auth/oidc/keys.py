"""The engine's own signing key, for private_key_jwt: it signs the client assertion sent to the
provider's token endpoint, and its public half is published as a JWKS for the provider to fetch.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jwt

from receipting.errors import ConfigurationError

# RSA keys shorter than this are below what providers (One Login included) accept.
MIN_RSA_KEY_BITS = 2048
P256_COORDINATE_BYTES = 32


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _uint(value: int, length: int | None = None) -> bytes:
    size = length if length is not None else max(1, (value.bit_length() + 7) // 8)
    return value.to_bytes(size, "big")


def jwk_thumbprint(jwk: dict[str, str]) -> str:
    """RFC 7638: SHA-256 of the key's required members, sorted, without whitespace."""
    required = ("crv", "kty", "x", "y") if jwk["kty"] == "EC" else ("e", "kty", "n")
    canonical = json.dumps({m: jwk[m] for m in required}, separators=(",", ":"), sort_keys=True)
    return _b64url(hashlib.sha256(canonical.encode("utf-8")).digest())


@dataclass(frozen=True)
class RelyingPartyKey:
    """A private key (EC P-256 signs ES256, RSA signs RS256) and its public JWK."""

    alg: str
    kid: str
    public_jwk: dict[str, str]
    _pem: bytes = field(repr=False)

    @classmethod
    def from_pem(cls, pem: bytes) -> RelyingPartyKey:
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(
                "The OIDC private key is not an unencrypted PEM private key. Make one with: "
                "openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt"
            ) from exc
        if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
            numbers = key.public_key().public_numbers()
            jwk = {
                "kty": "EC",
                "crv": "P-256",
                "x": _b64url(_uint(numbers.x, P256_COORDINATE_BYTES)),
                "y": _b64url(_uint(numbers.y, P256_COORDINATE_BYTES)),
            }
            alg = "ES256"
        elif isinstance(key, rsa.RSAPrivateKey) and key.key_size >= MIN_RSA_KEY_BITS:
            rsa_numbers = key.public_key().public_numbers()
            jwk = {
                "kty": "RSA",
                "n": _b64url(_uint(rsa_numbers.n)),
                "e": _b64url(_uint(rsa_numbers.e)),
            }
            alg = "RS256"
        else:
            raise ConfigurationError(
                "The OIDC private key must be an EC key on the P-256 curve (for ES256) or an RSA "
                f"key of at least {MIN_RSA_KEY_BITS} bits (for RS256)."
            )
        pkcs8 = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        kid = jwk_thumbprint(jwk)
        return cls(
            alg=alg, kid=kid, public_jwk={**jwk, "kid": kid, "alg": alg, "use": "sig"}, _pem=pkcs8
        )

    def public_jwks(self) -> dict[str, Any]:
        """The JWK Set to serve at /.well-known/jwks.json: the public half only."""
        return {"keys": [dict(self.public_jwk)]}

    def sign(self, claims: dict[str, Any]) -> str:
        """A compact JWS of `claims`, signed with this key and naming it by `kid`."""
        return jwt.encode(
            claims, self._pem.decode("ascii"), algorithm=self.alg, headers={"kid": self.kid}
        )


def generate_ec_key_pem() -> bytes:
    """A fresh P-256 private key as PKCS#8 PEM: for development and tests, never committed."""
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
