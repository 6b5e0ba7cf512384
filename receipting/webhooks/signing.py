"""Signing: `Pay-Signature` is the lowercase hex HMAC-SHA256 of the raw body, keyed with the
subscription's secret, exactly as GOV.UK Pay signs its webhooks."""

from __future__ import annotations

import hashlib
import hmac
import secrets

SIGNATURE_HEADER = "Pay-Signature"

# The secret's prefix says what it is when it turns up in a config file or a password manager.
SECRET_PREFIX = "webhook_secret_"
# 32 random bytes (256 bits): as strong as the SHA-256 the signature is made with.
SECRET_RANDOM_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_hex(SECRET_RANDOM_BYTES)


def sign(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(body: bytes, secret: str, signature: str) -> bool:
    """What a receiver does: recompute and compare in constant time."""
    return hmac.compare_digest(sign(body, secret), signature.strip().lower())
