"""Payment and refund ids shaped like GOV.UK Pay's: 26 lowercase base32 characters.

128 random bits, so ids cannot be guessed or enumerated: a payer's browser and the return URL carry
them, and knowing one must never lead to another.
"""

from __future__ import annotations

import base64
import re
import secrets

# 16 bytes = 128 bits, which base32 writes in 26 characters once its padding is removed.
ID_RANDOM_BYTES = 16
ID_LEN = 26

_ID_PATTERN = re.compile(rf"[a-z2-7]{{{ID_LEN}}}")


def new_id() -> str:
    raw = base64.b32encode(secrets.token_bytes(ID_RANDOM_BYTES)).decode("ascii")
    return raw.rstrip("=").lower()


def looks_like_id(value: str) -> bool:
    """True when `value` could be an id made by `new_id` (checked before any lookup)."""
    return bool(_ID_PATTERN.fullmatch(value))
