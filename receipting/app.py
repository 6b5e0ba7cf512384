"""Composition: `create_app` builds the Falcon app from injected dependencies and nothing else.

Nothing here connects to anything: the engine's pool opens its first connection on the first
request that needs one. So importing this module, or building an app with gunicorn's `--preload`
before workers fork, leaves no connection to be shared across processes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version

import falcon
import falcon.media
from sqlalchemy.engine import Engine

from ledger.service import Clock
from receipting.api import App, openapi
from receipting.api.errors import install_error_handlers
from receipting.api.middleware import StrictJSONHandler, middleware_stack
from receipting.api.resources import health
from receipting.api.resources import ledger as ledger_resources
from receipting.auth.middleware import auth_middleware
from receipting.channels import AppContext, Channel, load_channels
from receipting.council import api as council_api
from receipting.council.service import council_presentation
from receipting.gateways import api as gateways_api
from receipting.gateways.base import Gateway
from receipting.payments import api as payments_api
from receipting.settings import Settings
from receipting.web.assets import register_assets
from receipting.webhooks import api as webhooks_api
from receipting.wiring import build_dependencies

# Each registers its own routes (with their OpenAPI operations) on the app.
SUBSYSTEMS = (council_api, gateways_api, payments_api, webhooks_api)

DISTRIBUTION = "council-receipting"

API_DESCRIPTION = (
    "A council's payments and cash-receipting engine. Errors are JSON shaped like GOV.UK Pay's: "
    '{"code", "description", "field"}; every response carries an X-Request-Id header (send your '
    "own to have it echoed). Every path under /v1/ needs an API key, sent as "
    "'Authorization: Bearer api_live_...' (or api_test_...), whose scopes allow the operation: "
    "without a usable key the answer is 401, with a key lacking the scope 403, and a key making "
    "too many requests is answered 429 (code P0900) with a Retry-After header."
)

log = logging.getLogger(__name__)


def create_app(
    settings: Settings,
    *,
    engine: Engine | None = None,
    clock: Clock | None = None,
    channels: Sequence[Channel] | None = None,
    gateways: Mapping[str, Gateway] | None = None,
) -> App:
    """The WSGI app. `channels=None` loads the installed channels; tests pass their own list.
    `gateways=None` builds the gateways the settings turn on; tests may pass their own."""
    deps = build_dependencies(settings, engine=engine, clock=clock, gateways=gateways)
    app = falcon.App(middleware=[*middleware_stack(), *auth_middleware(deps)])
    _accept_json_only(app)
    install_error_handlers(app)
    context = AppContext(
        settings=settings,
        engine=deps.engine,
        session_factory=deps.session_factory,
        ledger=deps.ledger,
        clock=deps.clock,
        routes=openapi.RouteRegistry(app),
        gateways=deps.gateways,
    )
    _register_core_routes(context)
    for subsystem in SUBSYSTEMS:
        subsystem.register(context)
    for channel in load_channels() if channels is None else channels:
        channel.register_routes(app, context)
    return app


def _accept_json_only(app: App) -> None:
    json_only = falcon.media.Handlers({falcon.MEDIA_JSON: StrictJSONHandler()})
    app.req_options.media_handlers = json_only
    app.resp_options.media_handlers = json_only


def _register_core_routes(context: AppContext) -> None:
    openapi.register(context.routes, _api_info())
    health.register(context.routes, context.session_factory)
    # Each ledger resource needs the scope ledger:read (see receipting.auth.middleware).
    ledger_resources.register(context.routes, context.ledger)
    # Every page for people (the sandbox's card page, any channel's) uses these stylesheets.
    register_assets(context.routes, context.settings, _council_colour(context))


def _council_colour(context: AppContext) -> Callable[[], str]:
    def colour() -> str:
        with context.session_factory.begin() as session:
            return council_presentation(session).colour

    return colour


def _api_info() -> openapi.ApiInfo:
    try:
        api_version = version(DISTRIBUTION)
    except PackageNotFoundError:
        api_version = "unreleased"
    return openapi.ApiInfo(
        title="Council payments and cash-receipting API",
        version=api_version,
        description=API_DESCRIPTION,
    )
