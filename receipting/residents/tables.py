"""Tables of residents who sign in (migration 0008_residents)."""

from __future__ import annotations
