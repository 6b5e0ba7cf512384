"""The HTTP API: Falcon resources, the middleware every request passes through, the error table
and the OpenAPI document built from the routes."""

from typing import TypeAlias

import falcon

# The app as built by `receipting.app.create_app`: Falcon's own request and response classes.
App: TypeAlias = falcon.App[falcon.Request, falcon.Response]
