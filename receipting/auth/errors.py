"""What can go wrong with API keys, each error saying what was wrong and how to fix it.

HTTP statuses are not decided here: `receipting.api.errors.ERROR_TABLE` maps these to responses.
Every refusal of a credential reads the same whatever the reason (absent, malformed, unknown or
revoked), so a caller cannot learn from the answer whether a key exists.
"""

from __future__ import annotations

from receipting.errors import InvalidRequest, NotFound, ReceiptingError

NOT_AUTHENTICATED_MESSAGE = (
    "This request needs a valid API key. Send it in the header "
    "'Authorization: Bearer api_live_...' (or api_test_...), exactly as it was printed when it "
    "was created. If the key was revoked or lost, ask the service's administrators for a new one."
)


class NotAuthenticated(ReceiptingError):
    """No usable API key came with a request that needs one."""

    code = "UNAUTHENTICATED"

    def __init__(self, message: str = NOT_AUTHENTICATED_MESSAGE) -> None:
        super().__init__(message)


class NotPermitted(ReceiptingError):
    """The API key is valid but lacks the scope this operation needs."""

    code = "FORBIDDEN"


class RateLimited(ReceiptingError):
    """The API key made more requests in the last minute than it is allowed."""

    # GOV.UK Pay's code for "too many requests".
    code = "P0900"

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class InvalidApiKeyRequest(InvalidRequest):
    """A request to create an API key was wrong: a bad name, service or scope."""


class ApiKeyNotFound(NotFound):
    code = "API_KEY_NOT_FOUND"


# The refusals any operation that needs a key can give before it runs: name them in an
# `Operation`'s `errors` (`errors=(*AUTH_REFUSALS, ...)`) so the OpenAPI document shows them.
AUTH_REFUSALS: tuple[type[ReceiptingError], ...] = (NotAuthenticated, NotPermitted, RateLimited)
