"""ID token verification: every check OpenID Connect Core 3.1.3.7 asks of a relying party.

Each failure is a `SignInRefused` with its own reason, checked in this order: size, header
(algorithm from our own list, key id), signature, then the claims (issuer, audience, times,
nonce, subject, level of trust).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeGuard

from jose import jwk, jws
from jose.exceptions import JOSEError

from receipting.auth.oidc.errors import SignInRefused
from receipting.auth.oidc.profiles import Profile

# One Login's ID tokens are about 1 KiB; 16 KiB is generous for any provider's claims, and
# refusing larger ones before parsing keeps a hostile token from costing us memory or time.
MAX_ID_TOKEN_BYTES = 16 * 1024

# Servers synchronised by NTP differ by well under a second; a minute forgives a badly set
# clock without extending an expired token's life by much.
CLOCK_SKEW_S = 60

# The key type (and curve) each algorithm needs, so a key is only ever used as what it is.
_KEY_SHAPES: dict[str, tuple[str, str | None]] = {
    "ES256": ("EC", "P-256"),
    "ES384": ("EC", "P-384"),
    "RS256": ("RSA", None),
    "PS256": ("RSA", None),
}

KeyFinder = Callable[[str], dict[str, Any] | None]


@dataclass(frozen=True, slots=True)
class Expected:
    issuer: str
    client_id: str
    nonce: str
    # The weakest acceptable `vot`, or None when the profile does not use vectors of trust.
    level: str | None


def verify_id_token(
    raw: str, expected: Expected, *, profile: Profile, find_key: KeyFinder, now_s: float
) -> dict[str, Any]:
    """The token's claims once every check has passed; otherwise `SignInRefused`."""
    if len(raw.encode("utf-8")) > MAX_ID_TOKEN_BYTES:
        raise SignInRefused("token_too_large")
    key, alg = _signing_key(raw, profile, find_key)
    try:
        payload = jws.verify(raw, key, algorithms=[alg])
    except JOSEError as exc:
        raise SignInRefused("bad_signature") from exc
    try:
        claims = json.loads(payload)
    except ValueError as exc:
        raise SignInRefused("malformed") from exc
    if not isinstance(claims, dict):
        raise SignInRefused("malformed")
    _check_claims(claims, expected, profile, now_s)
    return claims


def _signing_key(raw: str, profile: Profile, find_key: KeyFinder) -> tuple[Any, str]:
    if raw.count(".") != 2:  # five parts would be an encrypted token, which we never asked for
        raise SignInRefused("malformed")
    try:
        header = jws.get_unverified_header(raw)
    except JOSEError as exc:
        raise SignInRefused("malformed") from exc
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in profile.id_token_algs or alg not in _KEY_SHAPES:
        raise SignInRefused("alg_not_allowed")
    if "crit" in header:  # extensions we would have to understand; we understand none
        raise SignInRefused("malformed")
    kid = header.get("kid")
    found = find_key(kid) if isinstance(kid, str) and kid else None
    if found is None:
        raise SignInRefused("unknown_kid")
    kty, crv = _KEY_SHAPES[alg]
    if (
        found.get("kty") != kty
        or (crv is not None and found.get("crv") != crv)
        or found.get("alg", alg) != alg
    ):
        raise SignInRefused("alg_not_allowed")
    try:
        return jwk.construct(found, alg), alg
    except JOSEError as exc:
        raise SignInRefused("bad_signature") from exc


def _check_claims(
    claims: dict[str, Any], expected: Expected, profile: Profile, now_s: float
) -> None:
    if claims.get("iss") != expected.issuer:
        raise SignInRefused("wrong_issuer")
    _check_audience(claims, expected.client_id)
    exp, iat = claims.get("exp"), claims.get("iat")
    if not _is_number(exp) or not _is_number(iat):
        raise SignInRefused("malformed")
    if now_s > exp + CLOCK_SKEW_S:
        raise SignInRefused("expired")
    nbf = claims.get("nbf")
    if iat > now_s + CLOCK_SKEW_S or (_is_number(nbf) and nbf > now_s + CLOCK_SKEW_S):
        raise SignInRefused("issued_in_future")
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise SignInRefused("nonce_missing")
    if not hmac.compare_digest(nonce.encode("utf-8"), expected.nonce.encode("utf-8")):
        raise SignInRefused("nonce_mismatch")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise SignInRefused("sub_missing")
    if expected.level is not None:
        vot = claims.get("vot")
        if not isinstance(vot, str) or not vot:
            raise SignInRefused("vot_missing")
        if not profile.level_satisfies(vot, expected.level):
            raise SignInRefused("vot_too_low")


def _check_audience(claims: dict[str, Any], client_id: str) -> None:
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud
    if not isinstance(audiences, list) or client_id not in audiences:
        raise SignInRefused("wrong_audience")
    # With several audiences the token must say it was issued to us (Core 3.1.3.7 items 4-5).
    azp = claims.get("azp")
    if (len(audiences) > 1 or azp is not None) and azp != client_id:
        raise SignInRefused("wrong_audience")


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)
