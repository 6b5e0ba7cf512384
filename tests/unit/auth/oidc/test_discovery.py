"""Discovery and the key set: checked, cached as long as allowed, refreshed sparingly."""

from __future__ import annotations

import httpx
import pytest

from receipting.auth.oidc import ONE_LOGIN, WORKFORCE, DiscoveryFailed, ProviderUnavailable
from receipting.auth.oidc.discovery import (
    JWKS_REFRESH_INTERVAL_S,
    MIN_METADATA_AGE_S,
    ProviderCache,
)
from receipting.auth.oidc.profiles import ONE_DAY_S, ONE_HOUR_S, Profile
from tests.unit.auth.oidc.fake_provider import ISSUER, FakeClock, FakeProvider, ProviderKey

DISCOVERY = "/.well-known/openid-configuration"
JWKS = "/.well-known/jwks.json"


def _cache(provider: FakeProvider, clock: FakeClock, profile: Profile = ONE_LOGIN) -> ProviderCache:
    return ProviderCache(ISSUER, profile, httpx.Client(transport=provider.transport()), clock)


def test_the_metadata_comes_from_the_issuers_well_known_address(
    provider: FakeProvider, clock: FakeClock
) -> None:
    metadata = _cache(provider, clock).metadata()

    assert metadata.issuer == ISSUER
    assert metadata.token_endpoint == f"{ISSUER}/token"
    assert metadata.end_session_endpoint == f"{ISSUER}/logout"
    assert provider.requests[0].url == f"{ISSUER}{DISCOVERY}"
    assert provider.requests[0].headers["User-Agent"]


def test_a_provider_naming_another_issuer_is_refused(
    provider: FakeProvider, clock: FakeClock
) -> None:
    provider.issuer = "https://evil.test"

    with pytest.raises(DiscoveryFailed, match=r"evil\.test"):
        _cache(provider, clock).metadata()


def test_an_issuer_differing_only_by_a_trailing_slash_is_refused(
    provider: FakeProvider, clock: FakeClock
) -> None:
    provider.issuer = ISSUER + "/"

    with pytest.raises(DiscoveryFailed, match="exactly"):
        _cache(provider, clock).metadata()


def test_an_issuer_with_a_trailing_slash_is_discovered_without_a_double_slash(
    provider: FakeProvider, clock: FakeClock
) -> None:
    provider.issuer = ISSUER + "/"
    cache = ProviderCache(
        provider.issuer, ONE_LOGIN, httpx.Client(transport=provider.transport()), clock
    )

    assert cache.metadata().issuer == ISSUER + "/"
    assert provider.requests[0].url == f"{ISSUER}{DISCOVERY}"


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ({"token_endpoint": None}, "token_endpoint"),
        ({"token_endpoint": "http://provider.test/token"}, "token_endpoint"),
        ({"id_token_signing_alg_values_supported": ["HS256", "none"]}, "accepts only"),
        ({"code_challenge_methods_supported": ["plain"]}, "S256"),
        ({"token_endpoint_auth_methods_supported": ["client_secret_basic"]}, "private_key_jwt"),
    ],
    ids=["no-token-endpoint", "plain-http-endpoint", "hmac-only", "no-s256", "no-private-key-jwt"],
)
def test_a_provider_that_cannot_do_what_we_need_is_refused_with_the_reason(
    provider: FakeProvider, clock: FakeClock, override: dict[str, object], words: str
) -> None:
    provider.discovery_overrides = override

    with pytest.raises(DiscoveryFailed, match=words):
        _cache(provider, clock).metadata()


def test_the_metadata_is_kept_for_the_max_age_the_provider_gives(
    provider: FakeProvider, clock: FakeClock
) -> None:
    provider.cache_control = "public, max-age=600"
    cache = _cache(provider, clock)
    cache.metadata()

    clock.now_s += 599
    cache.metadata()
    assert provider.hits(DISCOVERY) == 1

    clock.now_s += 1
    cache.metadata()
    assert provider.hits(DISCOVERY) == 2


def test_a_longer_max_age_than_the_profile_allows_is_cut_to_the_profiles(
    provider: FakeProvider, clock: FakeClock
) -> None:
    provider.cache_control = "max-age=31536000"
    cache = _cache(provider, clock, WORKFORCE)
    cache.metadata()

    clock.now_s += ONE_HOUR_S
    cache.metadata()

    assert provider.hits(DISCOVERY) == 2


def test_without_cache_control_one_login_metadata_is_kept_a_day(
    provider: FakeProvider, clock: FakeClock
) -> None:
    provider.cache_control = None
    cache = _cache(provider, clock)
    cache.metadata()

    clock.now_s += ONE_DAY_S - 1
    cache.metadata()
    clock.now_s += 1
    cache.metadata()

    assert provider.hits(DISCOVERY) == 2


def test_no_store_still_keeps_the_metadata_a_minute_so_sign_ins_do_not_refetch_it(
    provider: FakeProvider, clock: FakeClock
) -> None:
    provider.cache_control = "no-store"
    cache = _cache(provider, clock)
    cache.metadata()
    cache.metadata()

    clock.now_s += MIN_METADATA_AGE_S
    cache.metadata()

    assert provider.hits(DISCOVERY) == 2


def test_an_unknown_key_id_refreshes_the_key_set_and_finds_a_rotated_key(
    provider: FakeProvider, clock: FakeClock
) -> None:
    cache = _cache(provider, clock)
    assert cache.signing_key("provider-key-1") is not None
    rotated = ProviderKey.new_ec("provider-key-2")
    provider.published = [provider.key, rotated]

    clock.now_s += JWKS_REFRESH_INTERVAL_S
    found = cache.signing_key("provider-key-2")

    assert found is not None and found["kid"] == "provider-key-2"
    assert provider.hits(JWKS) == 2


def test_unknown_key_ids_refresh_the_key_set_at_most_once_per_interval(
    provider: FakeProvider, clock: FakeClock
) -> None:
    cache = _cache(provider, clock)
    cache.signing_key("provider-key-1")
    clock.now_s += JWKS_REFRESH_INTERVAL_S

    for attempt in range(JWKS_REFRESH_INTERVAL_S + 1):
        assert cache.signing_key(f"made-up-{attempt}") is None
        clock.now_s += 1

    # A made-up id each second for a minute: one fetch at first, one refresh for the first
    # made-up id, and one more only once the interval has passed.
    assert provider.hits(JWKS) == 3


def test_the_first_fetch_of_the_key_set_counts_as_its_refresh(
    provider: FakeProvider, clock: FakeClock
) -> None:
    cache = _cache(provider, clock)

    assert cache.signing_key("made-up") is None
    assert provider.hits(JWKS) == 1


def test_keys_meant_for_encryption_are_never_used_to_verify(
    provider: FakeProvider, clock: FakeClock
) -> None:
    provider.key.public_jwk["use"] = "enc"

    assert _cache(provider, clock).signing_key("provider-key-1") is None


def test_a_provider_that_cannot_be_reached_is_unavailable_not_misconfigured(
    clock: FakeClock,
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out", request=request)

    cache = ProviderCache(
        ISSUER, ONE_LOGIN, httpx.Client(transport=httpx.MockTransport(refuse)), clock
    )

    with pytest.raises(ProviderUnavailable, match="timed out"):
        cache.metadata()


def test_a_provider_answering_with_a_server_error_is_unavailable(clock: FakeClock) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(503))
    cache = ProviderCache(ISSUER, ONE_LOGIN, httpx.Client(transport=transport), clock)

    with pytest.raises(ProviderUnavailable, match="503"):
        cache.metadata()


def test_an_answer_larger_than_the_limit_is_not_read_to_the_end(clock: FakeClock) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=b" " * 300_000))
    cache = ProviderCache(ISSUER, ONE_LOGIN, httpx.Client(transport=transport), clock)

    with pytest.raises(ProviderUnavailable, match="larger"):
        cache.metadata()


def test_a_discovery_document_that_is_not_json_is_refused(clock: FakeClock) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, text="<html>"))
    cache = ProviderCache(ISSUER, ONE_LOGIN, httpx.Client(transport=transport), clock)

    with pytest.raises(DiscoveryFailed, match="JSON"):
        cache.metadata()
