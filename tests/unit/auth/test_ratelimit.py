"""The token bucket, on a clock the test moves by hand."""

from __future__ import annotations

import pytest

from receipting.auth.ratelimit import RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s


def test_a_key_may_make_its_limit_of_requests_at_once_and_then_is_refused() -> None:
    clock = FakeClock()
    limiter = RateLimiter(3, monotonic=clock)

    assert [limiter.acquire(1) for _ in range(3)] == [None, None, None]
    assert limiter.acquire(1) == 20


def test_the_retry_after_is_the_whole_seconds_until_a_request_is_allowed_again() -> None:
    clock = FakeClock()
    limiter = RateLimiter(60, monotonic=clock)
    for _ in range(60):
        limiter.acquire(1)

    assert limiter.acquire(1) == 1
    clock.now_s += 1
    assert limiter.acquire(1) is None


def test_tokens_come_back_over_the_minute_and_never_beyond_the_limit() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2, monotonic=clock)
    limiter.acquire(1)
    limiter.acquire(1)

    clock.now_s += 3600

    assert [limiter.acquire(1) for _ in range(3)][:2] == [None, None]


def test_each_key_has_its_own_bucket() -> None:
    limiter = RateLimiter(1, monotonic=FakeClock())

    assert limiter.acquire(1) is None
    assert limiter.acquire(2) is None
    assert limiter.acquire(1) is not None


def test_the_least_recently_seen_key_is_forgotten_beyond_the_tracking_limit() -> None:
    limiter = RateLimiter(1, monotonic=FakeClock(), max_tracked_keys=2)
    limiter.acquire(1)
    limiter.acquire(2)
    limiter.acquire(3)

    assert limiter.acquire(1) is None  # forgotten, so it starts full again
    assert limiter.acquire(3) is not None


def test_a_limit_below_one_request_a_minute_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        RateLimiter(0)
