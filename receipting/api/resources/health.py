"""`GET /healthz`: is this instance able to serve? It is, when it can reach its database.

Load balancers and orchestrators call this often, so it does the least that proves the point: one
`SELECT 1` through the same session factory the use cases use.
"""

from __future__ import annotations

import falcon
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from receipting.api.errors import DependencyUnavailable
from receipting.api.openapi import Operation, RouteRegistry


def check_database(session_factory: sessionmaker[Session]) -> None:
    try:
        with session_factory() as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        # The cause (host, driver message) goes to the log with the request id, not to the caller.
        raise DependencyUnavailable(
            "The database cannot be reached, so this instance cannot serve requests. "
            "Check that the database is running and that RECEIPTING_DATABASE_URL points at it."
        ) from exc


class HealthResource:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        check_database(self._session_factory)
        resp.media = {"status": "ok", "database": "ok"}


HEALTH_OPERATION = Operation(
    operation_id="getHealth",
    summary="Whether this instance can serve: it can reach its database",
    response_schema={
        "type": "object",
        "required": ["status", "database"],
        "properties": {
            "status": {"type": "string", "const": "ok"},
            "database": {"type": "string", "const": "ok"},
        },
    },
    errors=(DependencyUnavailable,),
    tags=("meta",),
)


def register(registry: RouteRegistry, session_factory: sessionmaker[Session]) -> None:
    registry.add("/healthz", HealthResource(session_factory), {"GET": HEALTH_OPERATION})
