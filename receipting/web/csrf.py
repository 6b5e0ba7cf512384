"""Anti-forgery tokens for form posts.

Each browser gets a random seed (kept in its sealed session cookie by the channel); every form
carries `csrf_token(secret_key, seed)` in a hidden field, and a post is accepted only when the field
matches the token computed again from the browser's seed. Another site can make a browser post a
form here, but cannot read the seed or the page, so it cannot supply the matching token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from receipting.web.cookies import derive_key
from receipting.web.errors import CsrfRefused

CSRF_FIELD = "csrf_token"

# 256 bits of randomness: the token is only as hard to guess as the seed it is computed from.
CSRF_SEED_BYTES = 32

CSRF_KEY_INFO = b"receipting csrf"

# A token is 43 characters (32 bytes, base64url without padding); anything much longer is not one
# of ours and is not worth an HMAC.
MAX_CSRF_TOKEN_LEN = 128


def new_csrf_seed() -> str:
    return secrets.token_urlsafe(CSRF_SEED_BYTES)


def csrf_token(secret_key: bytes, seed: str) -> str:
    """HMAC-SHA256 of the seed under a key of its own, as URL-safe text."""
    digest = hmac.new(
        derive_key(secret_key, CSRF_KEY_INFO), seed.encode("utf-8"), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def check_csrf(secret_key: bytes, seed: str | None, submitted: str | None) -> None:
    """Raise CsrfRefused unless `submitted` is the token for this browser's seed."""
    if not seed or not submitted or len(submitted) > MAX_CSRF_TOKEN_LEN:
        raise CsrfRefused()
    expected = csrf_token(secret_key, seed)
    # Constant time, so the refusal takes as long whichever character was wrong.
    if not hmac.compare_digest(expected.encode("ascii"), submitted.encode("utf-8")):
        raise CsrfRefused()
