"""A fake provider and a One Login client talking to it, on a clock the tests move by hand."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from receipting.auth.oidc import ONE_LOGIN, OidcClient
from tests.unit.auth.oidc.fake_provider import FakeClock, FakeProvider, settings


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def provider(clock: FakeClock) -> FakeProvider:
    return FakeProvider(clock)


@pytest.fixture
def http(provider: FakeProvider) -> Iterator[httpx.Client]:
    with httpx.Client(transport=provider.transport()) as client:
        yield client


@pytest.fixture
def client(http: httpx.Client, clock: FakeClock) -> OidcClient:
    return OidcClient(settings(), ONE_LOGIN, http, clock)
