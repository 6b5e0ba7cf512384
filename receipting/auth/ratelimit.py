"""Rate limiting per API key: a token bucket in each worker process.

Each key has a bucket holding up to `per_minute` tokens, refilled continuously at `per_minute`
tokens a minute; a request takes one token, and a request finding the bucket empty is refused with
the seconds until a token is back. So a key may make `per_minute` requests in any minute, in a
burst if it likes, and no more on average.

The buckets live in memory, one set per worker process: with N gunicorn workers a key can make up
to N times the limit, spread across them. That is deliberate: keeping the count in the database
would add a write to every request, and the limit exists to stop a runaway client, which it still
does. Set RECEIPTING_RATE_LIMIT_PER_MINUTE to the per-process figure you want.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

SECONDS_PER_MINUTE = 60.0

# How many keys' buckets each process remembers. Only authenticated keys get one, and a council
# issues tens of keys; when more are in use at once, the least recently seen is forgotten (it
# comes back full, which errs towards letting a request through).
MAX_TRACKED_KEYS = 4096


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated_s: float


class RateLimiter:
    def __init__(
        self,
        per_minute: int,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        max_tracked_keys: int = MAX_TRACKED_KEYS,
    ) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1.")
        self._capacity = float(per_minute)
        self._refill_per_s = per_minute / SECONDS_PER_MINUTE
        self._monotonic = monotonic
        self._max_tracked_keys = max_tracked_keys
        self._buckets: OrderedDict[int, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def per_minute(self) -> int:
        return int(self._capacity)

    def acquire(self, key_id: int) -> int | None:
        """Take a token for `key_id`: None when the request may go ahead, otherwise the whole
        number of seconds (at least 1) after which it may be retried."""
        now = self._monotonic()
        with self._lock:
            bucket = self._buckets.get(key_id)
            if bucket is None:
                bucket = _Bucket(tokens=self._capacity, updated_s=now)
                self._buckets[key_id] = bucket
                while len(self._buckets) > self._max_tracked_keys:
                    self._buckets.popitem(last=False)
            else:
                elapsed = max(0.0, now - bucket.updated_s)
                bucket.tokens = min(self._capacity, bucket.tokens + elapsed * self._refill_per_s)
                bucket.updated_s = now
            self._buckets.move_to_end(key_id)
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return None
            return max(1, math.ceil((1.0 - bucket.tokens) / self._refill_per_s))
