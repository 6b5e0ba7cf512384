"""Every call to the provider goes through `send`: one timeout, one size limit, one User-Agent.

Tokens travel in these requests and answers, so nothing here logs a body or a header.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from receipting.auth.oidc.errors import ProviderUnavailable

# One Login refuses token requests without a User-Agent; every provider gets the same one.
USER_AGENT = "council-receipting-oidc/1"

# A provider answers in milliseconds; a resident waiting on the callback page should get our
# "try again later" page well before their browser gives up on us.
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 10.0
TIMEOUT = httpx.Timeout(CONNECT_TIMEOUT_S, read=READ_TIMEOUT_S)

# Discovery documents and key sets are a few KiB; this leaves room for many keys while keeping
# a broken or hostile provider from filling our memory.
MAX_RESPONSE_BYTES = 256 * 1024

_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)\"?\s*(?:,|$)", re.IGNORECASE)
_NO_CACHE = re.compile(r"(?:^|,)\s*(?:no-store|no-cache)\s*(?:,|$)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ProviderResponse:
    status: int
    headers: httpx.Headers
    body: bytes

    def json_object(self) -> dict[str, Any] | None:
        """The body as a JSON object, or None when it is not one."""
        try:
            value = json.loads(self.body)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def max_age_s(self) -> int | None:
        """What Cache-Control allows: its max-age, 0 for no-store or no-cache, None if silent."""
        cache_control = self.headers.get("cache-control", "")
        if _NO_CACHE.search(cache_control):
            return 0
        match = _MAX_AGE.search(cache_control)
        return int(match.group(1)) if match else None


def send(
    http: httpx.Client,
    method: str,
    url: str,
    *,
    what: str,
    data: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> ProviderResponse:
    """One request to the provider. Unreachable, slow, too large or 5xx: ProviderUnavailable.

    `what` names the call ("discovery", "token") in the error, so an operator knows which failed.
    """
    all_headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})}
    try:
        with http.stream(
            method, url, data=data, headers=all_headers, timeout=TIMEOUT, follow_redirects=False
        ) as response:
            body = bytearray()
            for chunk in response.iter_bytes():
                body.extend(chunk)
                if len(body) > MAX_RESPONSE_BYTES:
                    raise ProviderUnavailable(
                        f"its {what} answer is larger than {MAX_RESPONSE_BYTES} bytes"
                    )
    except httpx.TimeoutException as exc:
        raise ProviderUnavailable(f"its {what} call timed out") from exc
    except httpx.HTTPError as exc:
        raise ProviderUnavailable(f"its {what} call failed: {type(exc).__name__}") from exc
    if response.status_code >= 500:
        raise ProviderUnavailable(f"its {what} call answered {response.status_code}")
    return ProviderResponse(response.status_code, response.headers, bytes(body))
