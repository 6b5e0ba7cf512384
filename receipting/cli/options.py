"""Options that more than one command takes."""

from __future__ import annotations

import click

from receipting import serve as server
from receipting.errors import ConfigurationError


def validate_bind(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    try:
        server.parse_bind(value)
    except ConfigurationError as exc:
        raise click.BadParameter(exc.message) from exc
    return value


BIND_OPTION = click.option(
    "--bind",
    default=server.DEFAULT_BIND,
    show_default=True,
    callback=validate_bind,
    help="HOST:PORT to listen on.",
)
