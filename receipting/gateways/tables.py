"""This subsystem's tables: typed SQLAlchemy models on the shared metadata."""

from __future__ import annotations
