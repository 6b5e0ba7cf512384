"""The engine's shared dependencies (settings, database engine and sessions, ledger, clock,
gateways), built once from settings and handed to whatever needs them (the web app, the worker,
the CLI). Building connects to nothing."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from ledger.db import make_engine, make_session_factory
from ledger.service import LedgerService, utc_now
from receipting.gateways.base import Gateway
from receipting.gateways.registry import build_gateways
from receipting.settings import Settings


@dataclass(frozen=True)
class Dependencies:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    ledger: LedgerService
    clock: Callable[[], datetime]
    gateways: Mapping[str, Gateway]


def build_dependencies(
    settings: Settings,
    *,
    engine: Engine | None = None,
    clock: Callable[[], datetime] | None = None,
    gateways: Mapping[str, Gateway] | None = None,
) -> Dependencies:
    engine = make_engine(settings.database_url) if engine is None else engine
    clock = utc_now if clock is None else clock
    session_factory = make_session_factory(engine)
    return Dependencies(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        ledger=LedgerService(session_factory, seal_key=settings.seal_key, clock=clock),
        clock=clock,
        gateways=build_gateways(settings, session_factory, clock) if gateways is None else gateways,
    )
