"""The one-use random values of a sign-in: `state`, `nonce` and the PKCE verifier (RFC 7636)."""

from __future__ import annotations

import base64
import hashlib
import secrets

# 32 random bytes (256 bits): unguessable, and 43 characters of base64url, within PKCE's 43-128.
RANDOM_BYTES = 32


def _random() -> str:
    return secrets.token_urlsafe(RANDOM_BYTES)


def new_state() -> str:
    """Ties the provider's answer to the browser that started the sign-in (against CSRF)."""
    return _random()


def new_nonce() -> str:
    """Ties the ID token to this sign-in, so a token from another one cannot be replayed."""
    return _random()


def new_code_verifier() -> str:
    """PKCE's secret: only who started the sign-in can exchange the code it brings back."""
    return _random()


def code_challenge_s256(verifier: str) -> str:
    """BASE64URL(SHA256(verifier)) without padding, as RFC 7636 section 4.2 says."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
