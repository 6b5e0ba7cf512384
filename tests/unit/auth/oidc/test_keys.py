"""The engine's private_key_jwt key: its algorithm, its key id and its published JWKS."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jwt

from receipting.auth.oidc.keys import RelyingPartyKey, generate_ec_key_pem, jwk_thumbprint
from receipting.errors import ConfigurationError


def _pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def test_the_thumbprint_matches_rfc_7638_section_3_1() -> None:
    n = (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
        "BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_"
        "FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI"
        "4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    )

    thumbprint = jwk_thumbprint({"kty": "RSA", "n": n, "e": "AQAB", "alg": "RS256"})

    assert thumbprint == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_an_ec_p256_key_signs_es256_and_is_named_by_its_thumbprint() -> None:
    key = RelyingPartyKey.from_pem(generate_ec_key_pem())

    assert key.alg == "ES256"
    assert key.kid == jwk_thumbprint(key.public_jwk)


def test_an_rsa_key_signs_rs256() -> None:
    key = RelyingPartyKey.from_pem(_pem(rsa.generate_private_key(65537, 2048)))

    assert key.alg == "RS256"
    assert set(key.public_jwk) == {"kty", "n", "e", "kid", "alg", "use"}


def test_the_published_jwks_holds_the_public_half_only() -> None:
    key = RelyingPartyKey.from_pem(generate_ec_key_pem())

    jwks = key.public_jwks()

    assert jwks == {"keys": [key.public_jwk]}
    assert "d" not in jwks["keys"][0]


def test_what_the_key_signs_verifies_with_its_published_jwks() -> None:
    key = RelyingPartyKey.from_pem(generate_ec_key_pem())

    token = key.sign({"hello": "council"})

    assert jwt.get_unverified_header(token)["kid"] == key.kid
    assert jwt.decode(token, key.public_jwks()["keys"][0], algorithms=["ES256"]) == {
        "hello": "council"
    }


@pytest.mark.parametrize(
    "pem",
    [
        b"not a key",
        _pem(ec.generate_private_key(ec.SECP384R1())),
        _pem(rsa.generate_private_key(65537, 1024)),
    ],
    ids=["not-pem", "p384", "rsa-1024"],
)
def test_a_key_that_is_not_p256_or_strong_rsa_is_a_configuration_error(pem: bytes) -> None:
    with pytest.raises(ConfigurationError, match="OIDC private key"):
        RelyingPartyKey.from_pem(pem)
