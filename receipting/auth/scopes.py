"""What an API key may do. Every /v1/ resource declares the scope each of its methods needs.

CONTRACT: a resource class declares `auth_scopes = {"GET": Scope.PAYMENTS_READ, "POST": ...}`;
routes outside /v1/ that need no key declare nothing (or `auth_public = True`). The
authenticated key is `req.context.principal` (an `ApiKeyPrincipal`), and a key sees only the
payments of its own `service`.

A /v1/ method that declares no scope is refused to every key (fail closed), and a test walks
every /v1/ route of the app to check each method declares one. Tests obtain a key with
`receipting.auth.keys.issue_key(session_factory, name=..., service=..., scopes=[...])` and send
it as `Authorization: Bearer <key>`.
"""

from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    PAYMENTS_READ = "payments:read"
    PAYMENTS_WRITE = "payments:write"
    REFUNDS_WRITE = "refunds:write"
    FUNDS_READ = "funds:read"
    LEDGER_READ = "ledger:read"
    WEBHOOKS_MANAGE = "webhooks:manage"
