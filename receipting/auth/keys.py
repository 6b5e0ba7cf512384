"""API keys: issuing, listing, revoking and verifying them.

A key reads `api_test_` or `api_live_`, then a public lookup id, the random secret and a checksum,
all in lowercase base32 (RFC 4648's alphabet: letters and the digits 2-7, nothing ambiguous):

    api_test_ <lookup id: 10> <secret: 40> <checksum: 7>

- The secret is 40 characters drawn by `secrets` from 32 symbols: 200 random bits, beyond any
  guessing.
- The checksum is CRC32 of everything before it. It is not a security measure (anyone can compute
  it); it lets a mistyped, truncated or made-up key be refused before any database lookup.
- The lookup id is not secret: it finds the key's row through a unique index, so verifying a key
  is one indexed lookup and one slow-hash comparison.
- Only a salted scrypt hash of the whole key is stored. scrypt is in the standard library (no new
  dependency to audit) and memory-hard, unlike PBKDF2, so a stolen table is costly to attack on
  GPUs; argon2id would be as good but needs a C extension. Its parameters are stored with each
  hash, so they can be raised later without invalidating keys already issued.

Because a slow hash on every request would cost more than the request, `KeyVerifier` keeps a
small in-process cache of keys it has verified. A revoked key is therefore refused by each worker
process within `VERIFIED_KEY_CACHE_TTL_S` seconds of its revocation, not at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ledger.service import utc_now
from receipting.auth.errors import ApiKeyNotFound, InvalidApiKeyRequest, NotAuthenticated
from receipting.auth.principals import ApiKeyPrincipal
from receipting.auth.scopes import Scope
from receipting.auth.tables import LOOKUP_ID_LEN, MAX_KEY_NAME_LEN, MAX_SERVICE_LEN, ApiKeyRow

TEST_PREFIX = "api_test_"
LIVE_PREFIX = "api_live_"

# RFC 4648 base32, lowercase: no 0/O or 1/l to confuse when a key is read out or retyped.
ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"

# 40 symbols of 5 bits: 200 random bits, well past the 160 that make guessing hopeless.
SECRET_LEN = 40
# CRC32 is 32 bits; 7 base32 symbols hold 35.
CHECKSUM_LEN = 7
KEY_BODY_LEN = LOOKUP_ID_LEN + SECRET_LEN + CHECKSUM_LEN
KEY_LEN = len(TEST_PREFIX) + KEY_BODY_LEN

_KEY_PATTERN = re.compile(rf"api_(test|live)_([{ALPHABET}]{{{KEY_BODY_LEN}}})")

# scrypt cost: N=2**14, r=8 takes about 16 MiB and a few tens of milliseconds per hash, the
# figure its authors give for interactive logins; the cache below keeps it off most requests.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SCRYPT_SALT_BYTES = 16
SCRYPT_HASH_BYTES = 32
# OpenSSL refuses scrypt above 32 MiB by default; allow twice what the parameters need.
SCRYPT_MAX_MEM = 2 * 128 * SCRYPT_R * SCRYPT_N + 1024 * 1024

# How long a verified key is trusted without asking the database again: short enough that a
# revocation takes effect within half a minute in every worker, long enough that a busy client
# pays for one slow hash per half minute instead of one per request.
VERIFIED_KEY_CACHE_TTL_S = 30.0
# How many verified keys each worker process remembers. A council issues tens of keys; this
# bounds memory even if many more are used at once (the least recently used is forgotten).
VERIFIED_KEY_CACHE_SIZE = 1024

# A service (who owns the payments a key creates) is a short code such as `parking` or
# `council-tax`, safe in logs and URLs.
_SERVICE_PATTERN = re.compile(rf"[a-z0-9][a-z0-9._-]{{0,{MAX_SERVICE_LEN - 1}}}")

# How many times to draw a fresh lookup id if one drawn is already taken (50 random bits make a
# clash all but impossible; this turns the impossible into a clear error rather than a loop).
MAX_LOOKUP_ID_DRAWS = 5

Clock = Callable[[], datetime]
Monotonic = Callable[[], float]


@dataclass(frozen=True, slots=True)
class ParsedKey:
    live: bool
    lookup_id: str


@dataclass(frozen=True, slots=True)
class ApiKeyInfo:
    """What may be shown about a key: everything but its secret."""

    id: int
    lookup_id: str
    name: str
    service: str
    scopes: frozenset[Scope]
    live: bool
    created_at: datetime
    revoked_at: datetime | None

    @property
    def shown_prefix(self) -> str:
        """The start of the key, enough for its holder to recognise it and nothing more."""
        return f"{LIVE_PREFIX if self.live else TEST_PREFIX}{self.lookup_id}"


# --- the key's text -------------------------------------------------------------------------


def _random_symbols(count: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(count))


def checksum(text: str) -> str:
    """CRC32 of `text`, as CHECKSUM_LEN base32 symbols."""
    value = zlib.crc32(text.encode("ascii"))
    symbols = []
    for _ in range(CHECKSUM_LEN):
        value, digit = divmod(value, len(ALPHABET))
        symbols.append(ALPHABET[digit])
    return "".join(reversed(symbols))


def compose_key(*, live: bool, lookup_id: str, secret: str) -> str:
    text = f"{LIVE_PREFIX if live else TEST_PREFIX}{lookup_id}{secret}"
    return text + checksum(text)


def parse_key(key: str) -> ParsedKey:
    """The key's parts, if it is well formed and its checksum agrees; no database is touched."""
    if len(key) != KEY_LEN:
        raise NotAuthenticated()
    match = _KEY_PATTERN.fullmatch(key)
    if match is None:
        raise NotAuthenticated()
    body_end = len(key) - CHECKSUM_LEN
    if not hmac.compare_digest(checksum(key[:body_end]), key[body_end:]):
        raise NotAuthenticated()
    return ParsedKey(live=match.group(1) == "live", lookup_id=match.group(2)[:LOOKUP_ID_LEN])


def bearer_key(authorization: str | None) -> str:
    """The key from an `Authorization: Bearer <key>` header."""
    if not authorization:
        raise NotAuthenticated()
    scheme, _, key = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise NotAuthenticated()
    return key.strip()


# --- the stored hash ------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_key(key: str) -> str:
    salt = secrets.token_bytes(SCRYPT_SALT_BYTES)
    digest = hashlib.scrypt(
        key.encode("ascii"),
        salt=salt,
        n=SCRYPT_N,
        r=SCRYPT_R,
        p=SCRYPT_P,
        maxmem=SCRYPT_MAX_MEM,
        dklen=SCRYPT_HASH_BYTES,
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def key_matches_hash(key: str, stored: str) -> bool:
    """Whether `key` is the one `stored` was made from, compared in constant time."""
    try:
        algorithm, n, r, p, salt, digest = stored.split("$")
        if algorithm != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            key.encode("ascii"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=2 * 128 * int(r) * int(n) + 1024 * 1024,
            dklen=len(expected),
        )
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


# --- the use cases: each one transaction ----------------------------------------------------


def parse_scopes(names: Iterable[str | Scope]) -> frozenset[Scope]:
    scopes = set()
    for name in names:
        try:
            scopes.add(Scope(name))
        except ValueError:
            known = ", ".join(s.value for s in Scope)
            raise InvalidApiKeyRequest(
                f"{name!r} is not a scope. Use one or more of: {known}.", field="scopes"
            ) from None
    if not scopes:
        known = ", ".join(s.value for s in Scope)
        raise InvalidApiKeyRequest(
            f"A key needs at least one scope, or it could do nothing. Choose from: {known}.",
            field="scopes",
        )
    return frozenset(scopes)


def _checked_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_KEY_NAME_LEN or not name.isprintable():
        raise InvalidApiKeyRequest(
            f"The key's name must be 1 to {MAX_KEY_NAME_LEN} printable characters, saying who "
            "holds it, for example 'Parking system (live)'.",
            field="name",
        )
    return name


def _checked_service(service: str) -> str:
    if not _SERVICE_PATTERN.fullmatch(service):
        raise InvalidApiKeyRequest(
            f"The service is {service!r}; it must be 1 to {MAX_SERVICE_LEN} lowercase letters, "
            "digits, dots, dashes or underscores, starting with a letter or digit, for example "
            "'parking' or 'council-tax'.",
            field="service",
        )
    return service


def _stored_scopes(scopes: frozenset[Scope]) -> str:
    return " ".join(sorted(s.value for s in scopes))


def _loaded_scopes(text: str) -> frozenset[Scope]:
    # A scope name no longer known (one retired since the key was issued) grants nothing.
    known = {s.value for s in Scope}
    return frozenset(Scope(name) for name in text.split() if name in known)


def _info(row: ApiKeyRow) -> ApiKeyInfo:
    return ApiKeyInfo(
        id=row.id,
        lookup_id=row.lookup_id,
        name=row.name,
        service=row.service,
        scopes=_loaded_scopes(row.scopes),
        live=row.live,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


def issue_key(
    session_factory: sessionmaker[Session],
    *,
    name: str,
    service: str,
    scopes: Iterable[Scope | str],
    live: bool = False,
    clock: Clock = utc_now,
) -> str:
    """Create a key and return its text: the only time it exists outside its holder's hands."""
    name = _checked_name(name)
    service = _checked_service(service)
    granted = parse_scopes(scopes)
    with session_factory.begin() as session:
        lookup_id = _free_lookup_id(session)
        key = compose_key(live=live, lookup_id=lookup_id, secret=_random_symbols(SECRET_LEN))
        session.add(
            ApiKeyRow(
                lookup_id=lookup_id,
                name=name,
                service=service,
                scopes=_stored_scopes(granted),
                live=live,
                secret_hash=hash_key(key),
                created_at=clock(),
                revoked_at=None,
            )
        )
    return key


def _free_lookup_id(session: Session) -> str:
    for _ in range(MAX_LOOKUP_ID_DRAWS):
        lookup_id = _random_symbols(LOOKUP_ID_LEN)
        taken = session.scalar(select(ApiKeyRow.id).where(ApiKeyRow.lookup_id == lookup_id))
        if taken is None:
            return lookup_id
    raise RuntimeError(
        f"{MAX_LOOKUP_ID_DRAWS} random lookup ids in a row were already taken; the random number "
        "generator is broken."
    )


def list_keys(session_factory: sessionmaker[Session]) -> list[ApiKeyInfo]:
    with session_factory.begin() as session:
        rows = session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.id))
        return [_info(row) for row in rows]


def revoke_key(
    session_factory: sessionmaker[Session], key_id: int, *, clock: Clock = utc_now
) -> ApiKeyInfo:
    """Revoke a key for good. Revoking one already revoked changes nothing.

    Each worker process may go on accepting the key for up to VERIFIED_KEY_CACHE_TTL_S seconds.
    """
    with session_factory.begin() as session:
        row = session.get(ApiKeyRow, key_id, with_for_update=True)
        if row is None:
            raise ApiKeyNotFound(
                f"There is no API key with id {key_id}. `receipting api-keys list` shows every "
                "key and its id.",
                field="id",
            )
        if row.revoked_at is None:
            row.revoked_at = clock()
        return _info(row)


# --- verifying a presented key --------------------------------------------------------------


class KeyVerifier:
    """Turns a presented key into the `ApiKeyPrincipal` it stands for, or refuses it.

    Keys verified in the last VERIFIED_KEY_CACHE_TTL_S seconds are remembered, by a SHA-256 of
    the key (never the key itself), so most requests cost no database lookup and no slow hash.
    Refusals are never remembered: a flood of made-up keys cannot push out good ones.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        monotonic: Monotonic = time.monotonic,
        ttl_s: float = VERIFIED_KEY_CACHE_TTL_S,
        cache_size: int = VERIFIED_KEY_CACHE_SIZE,
    ) -> None:
        self._session_factory = session_factory
        self._monotonic = monotonic
        self._ttl_s = ttl_s
        self._cache_size = cache_size
        self._cache: OrderedDict[bytes, tuple[ApiKeyPrincipal, float]] = OrderedDict()
        self._lock = threading.Lock()

    def verify(self, key: str) -> ApiKeyPrincipal:
        parsed = parse_key(key)
        fingerprint = hashlib.sha256(key.encode("ascii")).digest()
        cached = self._cached(fingerprint)
        if cached is not None:
            return cached
        principal = self._verify_against_database(key, parsed)
        with self._lock:
            self._cache[fingerprint] = (principal, self._monotonic() + self._ttl_s)
            self._cache.move_to_end(fingerprint)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return principal

    def _cached(self, fingerprint: bytes) -> ApiKeyPrincipal | None:
        with self._lock:
            found = self._cache.get(fingerprint)
            if found is None:
                return None
            principal, expires_at = found
            if self._monotonic() >= expires_at:
                del self._cache[fingerprint]
                return None
            self._cache.move_to_end(fingerprint)
            return principal

    def _verify_against_database(self, key: str, parsed: ParsedKey) -> ApiKeyPrincipal:
        with self._session_factory.begin() as session:
            row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.lookup_id == parsed.lookup_id))
            if row is None or row.revoked_at is not None or row.live != parsed.live:
                raise NotAuthenticated()
            stored_hash = row.secret_hash
            principal = ApiKeyPrincipal(
                key_id=row.id,
                name=row.name,
                service=row.service,
                scopes=_loaded_scopes(row.scopes),
                live=row.live,
            )
        # The slow hash runs after the transaction, so it holds no connection or lock.
        if not key_matches_hash(key, stored_hash):
            raise NotAuthenticated()
        return principal
