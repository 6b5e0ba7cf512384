"""Command line: `receipting api-keys ...`: create, list and revoke the keys systems call with.

A key is printed once, when it is created, and never again: only a slow hash of it is kept.
"""

from __future__ import annotations

import click

from receipting.auth.keys import (
    VERIFIED_KEY_CACHE_TTL_S,
    ApiKeyInfo,
    issue_key,
    list_keys,
    revoke_key,
)
from receipting.auth.scopes import Scope
from receipting.cli.context import migrated_sessions

SCOPE_NAMES = [scope.value for scope in Scope]


@click.group("api-keys")
def api_keys() -> None:
    """API keys for systems that call the API: create, list and revoke them."""


@api_keys.command("create")
@click.option("--name", required=True, help="Who holds the key, e.g. 'Parking system'.")
@click.option(
    "--service",
    required=True,
    help="The council service that owns what the key creates, e.g. parking or council-tax.",
)
@click.option(
    "--scope",
    "scopes",
    required=True,
    multiple=True,
    type=click.Choice(SCOPE_NAMES),
    help="What the key may do; repeat for several.",
)
@click.option("--live", is_flag=True, help="An api_live_ key for real money (default: api_test_).")
def create(name: str, service: str, scopes: tuple[str, ...], live: bool) -> None:
    """Create a key and print it, once. Store it where its holder keeps secrets."""
    with migrated_sessions() as session_factory:
        key = issue_key(session_factory, name=name, service=service, scopes=scopes, live=live)
    click.echo(key)
    click.echo(
        "This is the only time the key is shown: only a hash of it is kept. Copy it now.",
        err=True,
    )


def _row(info: ApiKeyInfo) -> str:
    state = "active" if info.revoked_at is None else f"revoked {info.revoked_at:%Y-%m-%d %H:%M}Z"
    scopes = ",".join(sorted(s.value for s in info.scopes))
    return (
        f"{info.id:>5}  {info.shown_prefix}...  {info.service:<16}  {scopes:<40}  "
        f"{info.created_at:%Y-%m-%d %H:%M}Z  {state}  {info.name}"
    )


@api_keys.command("list")
def list_command() -> None:
    """Every key with its id, start, service, scopes and state (never its secret)."""
    with migrated_sessions() as session_factory:
        keys = list_keys(session_factory)
    if not keys:
        click.echo("No API keys yet. Create one with `receipting api-keys create`.")
        return
    click.echo(
        f"{'id':>5}  {'key':<22}  {'service':<16}  {'scopes':<40}  {'created':<17}  state  name"
    )
    for info in keys:
        click.echo(_row(info))


@api_keys.command("revoke")
@click.argument("key_id", type=int)
def revoke(key_id: int) -> None:
    """Revoke the key with this id (from `api-keys list`), for good."""
    with migrated_sessions() as session_factory:
        info = revoke_key(session_factory, key_id)
    click.echo(
        f"Revoked key {info.id} ({info.shown_prefix}..., {info.name}). Running servers refuse it "
        f"within {VERIFIED_KEY_CACHE_TTL_S:.0f} seconds."
    )
