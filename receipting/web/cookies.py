"""Sealed cookies: JSON a browser carries but can neither read nor change.

A cookie is sealed with AES-256-GCM under a key derived (HKDF-SHA256) from the settings' secret key
and the cookie's purpose, so a cookie sealed for one purpose cannot be replayed as another: the
purpose is both in the key and in the associated data. The time it was sealed travels inside the
ciphertext, and `open` refuses anything older than the cookie's lifetime.

`open` never raises on what a browser sent: absent, truncated, forged, expired or sealed for
another purpose all read as None, and the page carries on as if there were no cookie.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import falcon
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from receipting.web.errors import CookieTooLarge

# Browsers keep 4096 bytes per cookie, name and attributes included; the sealed value may use
# this much, leaving the rest for the name, Path, Max-Age, SameSite, Secure and HttpOnly.
MAX_COOKIE_BYTES = 3800

# AES-256: a 32-byte key.
KEY_BYTES = 32

# AES-GCM's standard nonce; random per seal, so 2**32 seals under one key stay far below the
# chance of a repeat that would break GCM.
NONCE_BYTES = 12

# The GCM authentication tag appended to every ciphertext.
TAG_BYTES = 16

COOKIE_KEY_INFO_PREFIX = b"receipting cookie:"

# Servers behind one load balancer disagree on the time by a little; a cookie sealed by a server
# whose clock runs up to this far ahead is still accepted. Further ahead means a forged clock.
CLOCK_SKEW_S = 60

# The issued-at and the payload inside the ciphertext.
_ISSUED_AT = "iat"
_DATA = "data"

# Cookies only ever expire in the past when cleared: any date before now does.
_LONG_AGO = datetime(1970, 1, 1, tzinfo=UTC)


def derive_key(secret_key: bytes, info: bytes) -> bytes:
    """A key of its own for each use of the one secret, so no two uses can be confused."""
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(
        secret_key
    )


class SealedCookie:
    """AES-GCM sealed JSON, its key derived by HKDF from the secret key and the purpose."""

    def __init__(self, secret_key: bytes, purpose: str, *, max_age_s: int) -> None:
        if not purpose:
            raise ValueError("A sealed cookie needs a purpose, such as 'checkout'.")
        if max_age_s <= 0:
            raise ValueError(f"max_age_s is {max_age_s}; a cookie must live at least 1 second.")
        self.purpose = purpose
        self.max_age_s = max_age_s
        self._aad = purpose.encode("utf-8")
        self._aead = AESGCM(derive_key(secret_key, COOKIE_KEY_INFO_PREFIX + self._aad))

    def seal(self, payload: Mapping[str, Any], now: datetime) -> str:
        """URL-safe text for a cookie's value; CookieTooLarge if it would not fit in a cookie."""
        plaintext = json.dumps(
            {_ISSUED_AT: int(now.timestamp()), _DATA: dict(payload)},
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode("utf-8")
        nonce = os.urandom(NONCE_BYTES)
        token = _encode(nonce + self._aead.encrypt(nonce, plaintext, self._aad))
        if len(token) > MAX_COOKIE_BYTES:
            raise CookieTooLarge(self.purpose, len(token), MAX_COOKIE_BYTES)
        return token

    def open(self, token: str | None, now: datetime) -> dict[str, Any] | None:
        """The payload sealed in `token`, or None when it is absent, forged or expired."""
        sealed = _decode(token)
        if sealed is None or len(sealed) < NONCE_BYTES + TAG_BYTES:
            return None
        nonce, ciphertext = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
        try:
            plaintext = self._aead.decrypt(nonce, ciphertext, self._aad)
            content = json.loads(plaintext.decode("utf-8"))
        except (InvalidTag, UnicodeDecodeError, ValueError):
            return None
        return self._fresh_payload(content, now)

    def _fresh_payload(self, content: object, now: datetime) -> dict[str, Any] | None:
        if not isinstance(content, dict):
            return None
        issued_at, data = content.get(_ISSUED_AT), content.get(_DATA)
        # bool is an int in Python, but never a time.
        if not isinstance(issued_at, int) or isinstance(issued_at, bool):
            return None
        if not isinstance(data, dict):
            return None
        age_s = now.timestamp() - issued_at
        if age_s > self.max_age_s or age_s < -CLOCK_SKEW_S:
            return None
        return data


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode(token: str | None) -> bytes | None:
    if not isinstance(token, str) or not token or len(token) > MAX_COOKIE_BYTES:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    # Base64 ignores stray characters and the spare bits of the last one: only the one canonical
    # spelling of the bytes is accepted, so no change to a token can leave it valid.
    if _encode(raw) != token:
        return None
    return raw


def set_cookie(
    resp: falcon.Response, name: str, value: str, *, secure: bool, max_age_s: int | None = None
) -> None:
    """A cookie for the whole site, out of scripts' reach, sent on top-level navigations only.

    SameSite=Lax keeps it on the redirect back from a payment gateway (a GET) while leaving it
    off cross-site form posts; `max_age_s=None` makes it last until the browser closes.
    """
    resp.set_cookie(
        name,
        value,
        max_age=max_age_s,
        path="/",
        secure=secure,
        http_only=True,
        same_site="Lax",
    )


def clear_cookie(resp: falcon.Response, name: str, *, secure: bool) -> None:
    """Tell the browser to forget the cookie now (same name, path and flags, expired)."""
    resp.set_cookie(
        name,
        "",
        expires=_LONG_AGO,
        path="/",
        secure=secure,
        http_only=True,
        same_site="Lax",
    )
