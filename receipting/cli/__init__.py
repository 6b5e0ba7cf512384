"""The `receipting` command line: the database, the server, the worker, the ledger, the demo,
the council's configuration, API keys and webhooks, and whatever installed channels add.

`receipting.cli.root` assembles the commands; each command group is a module of its own.
"""

from __future__ import annotations

from receipting.cli.root import cli, main

__all__ = ["cli", "main"]
