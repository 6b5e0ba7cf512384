"""The list of every table module of the engine, imported so the shared metadata describes the
whole schema (for Alembic's drift check and for anything that inspects the schema)."""

from __future__ import annotations

import ledger.tables
import receipting.auth.tables
import receipting.council.tables
import receipting.gateways.tables
import receipting.notify.tables
import receipting.payments.tables
import receipting.residents.tables
import receipting.webhooks.tables
from ledger.tables import Base

metadata = Base.metadata

__all__ = [
    "ledger",
    "metadata",
    "receipting",
]
