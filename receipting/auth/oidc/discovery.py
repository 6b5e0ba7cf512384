"""The provider's discovery document and signing keys, fetched when needed and cached.

Both are kept for as long as the provider's Cache-Control says, never longer than the profile
allows (One Login: a day) and never shorter than a minute. A token signed with a key we do not
know makes us fetch the key set again (keys rotate), but at most once per refresh interval, so
a stream of forged tokens with made-up key ids cannot make us hammer the provider.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from receipting.auth.oidc.errors import DiscoveryFailed
from receipting.auth.oidc.profiles import Profile
from receipting.auth.oidc.transport import ProviderResponse, send

DISCOVERY_PATH = "/.well-known/openid-configuration"

# A provider answering "no-store" would otherwise cost a round trip on every sign-in; a minute
# of staleness is harmless for documents that change a few times a year.
MIN_METADATA_AGE_S = 60

# How often an unknown key id may make us fetch the key set again. A real rotation is seen
# within this; a flood of made-up key ids costs the provider one request per interval.
JWKS_REFRESH_INTERVAL_S = 60

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    end_session_endpoint: str | None
    id_token_signing_alg_values_supported: tuple[str, ...]

    @classmethod
    def from_document(
        cls, document: dict[str, Any], *, expected_issuer: str, profile: Profile
    ) -> ProviderMetadata:
        """Checks the document: the same issuer exactly, endpoints on the issuer's scheme, and
        support for what we need (S256 PKCE, private_key_jwt, an algorithm we accept)."""
        if document.get("issuer") != expected_issuer:
            raise DiscoveryFailed(
                f"the provider says its issuer is {document.get('issuer')!r}, not "
                f"{expected_issuer!r} (they must match exactly, trailing slash included)"
            )
        secure = urlsplit(expected_issuer).scheme == "https"

        def endpoint(name: str, *, required: bool) -> str | None:
            value = document.get(name)
            if value is None and not required:
                return None
            if not isinstance(value, str) or not _is_url(value, secure=secure):
                raise DiscoveryFailed(f"its {name} is missing or not an absolute address")
            return value

        algs = _strings(document, "id_token_signing_alg_values_supported")
        if algs is not None and not set(algs) & set(profile.id_token_algs):
            raise DiscoveryFailed(
                f"it signs ID tokens with {', '.join(algs)}; this service accepts only "
                f"{', '.join(profile.id_token_algs)}"
            )
        pkce = _strings(document, "code_challenge_methods_supported")
        if pkce is not None and "S256" not in pkce:
            raise DiscoveryFailed("it does not support PKCE with S256")
        auth_methods = _strings(document, "token_endpoint_auth_methods_supported")
        if auth_methods is not None and "private_key_jwt" not in auth_methods:
            raise DiscoveryFailed("it does not accept private_key_jwt client authentication")
        return cls(
            issuer=expected_issuer,
            authorization_endpoint=str(endpoint("authorization_endpoint", required=True)),
            token_endpoint=str(endpoint("token_endpoint", required=True)),
            jwks_uri=str(endpoint("jwks_uri", required=True)),
            userinfo_endpoint=endpoint("userinfo_endpoint", required=False),
            end_session_endpoint=endpoint("end_session_endpoint", required=False),
            id_token_signing_alg_values_supported=tuple(algs or ()),
        )


def discovery_url(issuer: str) -> str:
    """OpenID Connect Discovery 4: the issuer's trailing slash is dropped before the suffix is
    added. (One Login's issuer has one, and the ID tokens' `iss` keeps it.)"""
    return issuer.rstrip("/") + DISCOVERY_PATH


def _is_url(value: str, *, secure: bool) -> bool:
    parts = urlsplit(value)
    allowed = ("https",) if secure else ("https", "http")
    return parts.scheme in allowed and bool(parts.netloc) and not parts.fragment


def _strings(document: dict[str, Any], name: str) -> list[str] | None:
    value = document.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DiscoveryFailed(f"its {name} is not a list of names")
    return value


@dataclass(frozen=True, slots=True)
class _Cached:
    value: Any
    fetched_at_s: float
    expires_at_s: float


class ProviderCache:
    """The discovery document and key set of one provider, shared by every request's thread."""

    def __init__(
        self,
        issuer: str,
        profile: Profile,
        http: httpx.Client,
        clock: Clock,
        *,
        jwks_refresh_interval_s: float = JWKS_REFRESH_INTERVAL_S,
    ) -> None:
        self._issuer = issuer
        self._profile = profile
        self._http = http
        self._clock = clock
        self._jwks_refresh_interval_s = jwks_refresh_interval_s
        # Held while fetching, so threads arriving together share one fetch; calls time out.
        self._lock = threading.Lock()
        self._metadata: _Cached | None = None
        self._jwks: _Cached | None = None

    def metadata(self) -> ProviderMetadata:
        with self._lock:
            return self._current_metadata()

    def signing_key(self, kid: str) -> dict[str, Any] | None:
        """The provider's public JWK with this key id, or None once a refresh did not find it."""
        with self._lock:
            now = self._clock()
            if self._jwks is None or now >= self._jwks.expires_at_s:
                self._jwks = self._fetch_jwks()
            keys: dict[str, dict[str, Any]] = self._jwks.value
            if kid in keys:
                return keys[kid]
            if now - self._jwks.fetched_at_s < self._jwks_refresh_interval_s:
                return None
            self._jwks = self._fetch_jwks()
            refreshed: dict[str, dict[str, Any]] = self._jwks.value
            return refreshed.get(kid)

    def _current_metadata(self) -> ProviderMetadata:
        if self._metadata is None or self._clock() >= self._metadata.expires_at_s:
            response = self._get(discovery_url(self._issuer), "discovery")
            document = response.json_object()
            if document is None:
                raise DiscoveryFailed("its discovery document is not a JSON object")
            metadata = ProviderMetadata.from_document(
                document, expected_issuer=self._issuer, profile=self._profile
            )
            self._metadata = self._cache(metadata, response)
        value: ProviderMetadata = self._metadata.value
        return value

    def _fetch_jwks(self) -> _Cached:
        response = self._get(self._current_metadata().jwks_uri, "key set")
        document = response.json_object()
        keys = document.get("keys") if document else None
        if not isinstance(keys, list):
            raise DiscoveryFailed("its key set (jwks_uri) is not a JSON object with 'keys'")
        by_kid = {
            key["kid"]: key
            for key in keys
            if isinstance(key, dict)
            and isinstance(key.get("kid"), str)
            and key.get("use", "sig") == "sig"
        }
        return self._cache(by_kid, response)

    def _get(self, url: str, what: str) -> ProviderResponse:
        response = send(self._http, "GET", url, what=what)
        if response.status != httpx.codes.OK:
            raise DiscoveryFailed(f"its {what} address {url} answered {response.status}")
        return response

    def _cache(self, value: Any, response: ProviderResponse) -> _Cached:
        allowed = self._profile.max_metadata_age_s
        said = response.max_age_s()
        age = max(MIN_METADATA_AGE_S, min(allowed, allowed if said is None else said))
        now = self._clock()
        return _Cached(value, now, now + age)
