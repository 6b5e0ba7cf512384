"""Channels are plug-ins: the doors money comes in through (web checkout, contact centre, ...).

A channel is any object with a `name` and a `register_routes(app, context)` method. It may also
offer templates (`templates_dir()`) and command-line commands (`cli_commands()`). Channels are
found through the `receipting.channels` entry-point group, so a council adds its own by installing
a package that declares, in its pyproject.toml:

    [project.entry-points."receipting.channels"]
    my_channel = "my_package.channel:MyChannel"

The entry point names a channel object, or a class or factory that builds one with no arguments.
`receipting` never imports a channel by name.

Routes should be added through `context.routes` (the route registry), which documents them in the
OpenAPI document as it adds them; a route added straight to the app fails the drift test.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Protocol, runtime_checkable

import click
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from ledger.service import LedgerService
from receipting.api import App
from receipting.api.openapi import RouteRegistry
from receipting.errors import ConfigurationError
from receipting.gateways.base import Gateway
from receipting.settings import Settings

CHANNEL_ENTRY_POINT_GROUP = "receipting.channels"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AppContext:
    """What a channel is given to build on: the app's shared, already-configured dependencies."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    ledger: LedgerService
    clock: Callable[[], datetime]
    routes: RouteRegistry
    gateways: Mapping[str, Gateway] = field(default_factory=dict)


@runtime_checkable
class Channel(Protocol):
    name: str

    def register_routes(self, app: App, context: AppContext) -> None: ...


@runtime_checkable
class ChannelWithTemplates(Protocol):
    def templates_dir(self) -> Path: ...


@runtime_checkable
class ChannelWithCommands(Protocol):
    def cli_commands(self) -> Sequence[click.Command]: ...


def templates_dir_of(channel: Channel) -> Path | None:
    return channel.templates_dir() if isinstance(channel, ChannelWithTemplates) else None


def cli_commands_of(channel: Channel) -> tuple[click.Command, ...]:
    return tuple(channel.cli_commands()) if isinstance(channel, ChannelWithCommands) else ()


def load_channels(discovered: Iterable[EntryPoint] | None = None) -> list[Channel]:
    """Every installed channel, sorted by name.

    A channel that is declared but cannot be loaded stops start-up: serving without a door the
    council configured would lose its payments quietly.
    """
    points = entry_points(group=CHANNEL_ENTRY_POINT_GROUP) if discovered is None else discovered
    channels: dict[str, Channel] = {}
    for point in points:
        channel = _load(point)
        if channel.name in channels:
            raise ConfigurationError(
                f"Two installed channels are both named {channel.name!r} (the second from entry "
                f"point {point.name} = {point.value}). Uninstall one, or give it another name."
            )
        channels[channel.name] = channel
        log.info("channel loaded", extra={"channel": channel.name, "entry_point": point.value})
    return [channels[name] for name in sorted(channels)]


def _load(point: EntryPoint) -> Channel:
    where = f"entry point {point.name} = {point.value} (group {CHANNEL_ENTRY_POINT_GROUP})"
    try:
        channel = _instantiate(point.load())
    except Exception as exc:
        raise ConfigurationError(
            f"The channel in {where} could not be loaded: {exc!r}. Reinstall the package that "
            "provides it, or uninstall it."
        ) from exc
    if not isinstance(channel, Channel):
        raise ConfigurationError(
            f"{where} does not give a channel: it needs a `name` and a "
            "`register_routes(app, context)` method."
        )
    if not isinstance(channel.name, str) or not channel.name.strip():
        raise ConfigurationError(f"The channel from {where} has an empty name; give it one.")
    return channel


def _instantiate(loaded: object) -> object:
    # A class would pass the protocol check itself, so build it first; likewise a factory.
    if isinstance(loaded, type) or (not isinstance(loaded, Channel) and callable(loaded)):
        return loaded()
    return loaded
