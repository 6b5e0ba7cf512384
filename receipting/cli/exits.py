"""How the command line ends: exit statuses, and the group that turns refusals into them.

A refusal the user can act on (a bad setting, an unusable, unreachable or unmigrated database, a
ledger error) is printed as one plain message with exit status 2; a ledger that fails
verification exits with status 1; tracebacks are kept for real bugs.
"""

from __future__ import annotations

from typing import Any

import click
from alembic.util import CommandError as AlembicCommandError
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from ledger import LedgerError
from receipting.errors import ReceiptingError

# Exit statuses: 1 when the command ran and found the ledger at fault (like `diff` or `grep`),
# 2 when it could not do what was asked (click uses 2 for usage errors too).
EXIT_PROBLEM_FOUND = 1
EXIT_USER_ERROR = 2

SUPPORTED_DATABASES = (
    "SQLite (sqlite:///receipting.sqlite3) or PostgreSQL (postgresql://user@host:5432/receipting)"
)


class CommandFailed(click.ClickException):
    """A refusal the user can act on: printed as `Error: <message>`, no traceback."""

    exit_code = EXIT_USER_ERROR


class ReceiptingGroup(click.Group):
    """Turns the domain's refusals into plain messages, wherever in the command tree they arise."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (LedgerError, ReceiptingError) as exc:
            raise CommandFailed(exc.message) from exc
        except AlembicCommandError as exc:
            raise CommandFailed(
                f"The migration could not run: {exc}. `receipting db current` shows the "
                "database's revision and the latest one."
            ) from exc
        except NoSuchModuleError as exc:
            raise CommandFailed(
                f"The database URL names a kind of database this engine does not run on ({exc}). "
                f"Set RECEIPTING_DATABASE_URL to {SUPPORTED_DATABASES}."
            ) from exc
        except ArgumentError as exc:
            raise CommandFailed(
                f"The database URL is not usable: {exc}. Set RECEIPTING_DATABASE_URL to a "
                "SQLAlchemy URL such as sqlite:///receipting.sqlite3 or "
                "postgresql://user@host:5432/receipting."
            ) from exc
        except OperationalError as exc:
            raise CommandFailed(
                f"Could not use the database: {exc.orig}. Check RECEIPTING_DATABASE_URL and that "
                "the database server is running and reachable."
            ) from exc
