"""Tables of the email outbox (migration 0009_email_receipts)."""

from __future__ import annotations
