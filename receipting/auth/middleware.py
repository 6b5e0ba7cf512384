"""Authentication and authorisation of API calls, as a Falcon middleware component.

Every route under /v1/ needs `Authorization: Bearer <key>`. Its resource declares the scope each
method needs (`auth_scopes`, see `receipting.auth.scopes`); a method it answers but declares no
scope for is refused to every key (fail closed), and the error is logged for the developers.
Routes outside /v1/ (health, the OpenAPI document, the sandbox gateway's card pages) need no key
unless their resource declares `auth_scopes` itself. `auth_public = True` marks a route outside
/v1/ as deliberately open; under /v1/ it is ignored, so no /v1/ route can be opened by mistake.

A path no route matches is left to answer 404 whether or not a key came with it: the OpenAPI
document lists every path anyway, so there is nothing to hide by answering 401.

After authentication, `req.context.principal` is the key's `ApiKeyPrincipal`; on routes that
need no key it is None. The key itself is never logged or kept on the request.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import falcon

from receipting.auth.errors import NotAuthenticated, NotPermitted, RateLimited
from receipting.auth.keys import KeyVerifier, bearer_key
from receipting.auth.principals import ApiKeyPrincipal
from receipting.auth.ratelimit import RateLimiter
from receipting.auth.scopes import Scope
from receipting.wiring import Dependencies

API_PREFIX = "/v1/"

# RFC 6750: a 401 for a bearer-token API names the scheme the client should use.
WWW_AUTHENTICATE = 'Bearer realm="receipting"'

log = logging.getLogger(__name__)


def needs_key(route: str, resource: object) -> bool:
    return (
        route == API_PREFIX.rstrip("/")
        or route.startswith(API_PREFIX)
        or (getattr(resource, "auth_scopes", None) is not None)
    )


def declared_scope(resource: object, method: str) -> Scope | None:
    """The scope a resource declares for `method`, or None when it declares none (or a value
    that is not a Scope, which is treated the same: refused)."""
    declared = getattr(resource, "auth_scopes", None)
    if not isinstance(declared, Mapping):
        return None
    scope = declared.get(method.upper())
    return scope if isinstance(scope, Scope) else None


def answers(resource: object, method: str) -> bool:
    return callable(getattr(resource, f"on_{method.lower()}", None))


class AuthMiddleware:
    def __init__(self, verifier: KeyVerifier, limiter: RateLimiter) -> None:
        self._verifier = verifier
        self._limiter = limiter

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.principal = None

    def process_resource(
        self, req: falcon.Request, resp: falcon.Response, resource: object, params: dict[str, Any]
    ) -> None:
        if resource is None:
            return
        route = req.uri_template or req.path
        if not needs_key(route, resource):
            return
        principal = self._authenticate(req, resp)
        req.context.principal = principal
        self._limit(principal, resp)
        if not answers(resource, req.method):
            return  # Falcon answers 405 (or its default OPTIONS); no responder of ours runs.
        self._authorise(principal, resource, req.method, route)

    def _authenticate(self, req: falcon.Request, resp: falcon.Response) -> ApiKeyPrincipal:
        try:
            return self._verifier.verify(bearer_key(req.get_header("Authorization")))
        except NotAuthenticated:
            resp.set_header("WWW-Authenticate", WWW_AUTHENTICATE)
            raise

    def _limit(self, principal: ApiKeyPrincipal, resp: falcon.Response) -> None:
        retry_after_s = self._limiter.acquire(principal.key_id)
        if retry_after_s is None:
            return
        resp.set_header("Retry-After", str(retry_after_s))
        raise RateLimited(
            f"This API key has made more than {self._limiter.per_minute} requests in a minute. "
            f"Wait {retry_after_s} seconds (the Retry-After header) before the next request, and "
            "spread requests out; ask the service's operators if you need a higher limit.",
            retry_after_s=retry_after_s,
        )

    def _authorise(
        self, principal: ApiKeyPrincipal, resource: object, method: str, route: str
    ) -> None:
        needed = declared_scope(resource, method)
        if needed is None:
            log.error(
                "%s %s declares no scope in auth_scopes on %s, so it is refused to every key. "
                "Declare the scope it needs.",
                method,
                route,
                type(resource).__name__,
            )
            raise NotPermitted(
                f"{method} {route} is not open to API keys. If you need it, tell the service's "
                "operators."
            )
        if needed not in principal.scopes:
            raise NotPermitted(
                f"This API key may not {method} {route}: that needs the scope '{needed.value}', "
                "and the key has "
                + (", ".join(sorted(f"'{s.value}'" for s in principal.scopes)) or "none")
                + f". Use a key with '{needed.value}', or ask for one to be created."
            )


def auth_middleware(deps: Dependencies) -> list[Any]:
    """Falcon middleware components that authenticate and authorise every request."""
    verifier = KeyVerifier(deps.session_factory)
    limiter = RateLimiter(deps.settings.rate_limit_per_minute)
    return [AuthMiddleware(verifier, limiter)]
