"""Structured logs: one JSON object per line, each carrying the id of the request it belongs to.

Every line has `time` (UTC, ISO 8601), `level`, `logger`, `message` and `request_id` (null outside a
request), then whatever the caller passed as `extra=`. Log shippers can parse every line without a
pattern, and one request's lines are found by its id, which the client also sees in `X-Request-Id`.

Secrets: request headers are never logged, and any extra whose name looks like a credential
(`authorization`, `password`, `token`, ...) is written as "[redacted]" however it got there.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from typing import Any, TextIO

# Extras whose name contains one of these are never written out: a credential in a log line is a
# credential leaked to everyone who can read the logs.
SENSITIVE_NAME_PARTS = (
    "authorization",
    "cookie",
    "password",
    "passwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "seal_key",
    "private_key",
    "credential",
)
REDACTED = "[redacted]"

CORE_FIELDS = ("time", "level", "logger", "message", "request_id")

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "request_id",
}

_request_id: ContextVar[str | None] = ContextVar("receipting_request_id", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


def bind_request_id(request_id: str) -> Token[str | None]:
    """Make `request_id` the id of every log line written from this context until reset."""
    return _request_id.set(request_id)


def reset_request_id(token: Token[str | None]) -> None:
    _request_id.reset(token)


def is_sensitive(name: str) -> bool:
    lowered = name.lower()
    return any(part in lowered for part in SENSITIVE_NAME_PARTS)


def redact(value: Any) -> Any:
    """A copy of `value` with every credential-like key's value replaced, at any depth."""
    if isinstance(value, Mapping):
        return {
            str(key): REDACTED if is_sensitive(str(key)) else redact(inner)
            for key, inner in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(inner) for inner in value]
    return value


class RequestIdFilter(logging.Filter):
    """Stamps each record with the current request's id, whichever logger wrote it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or current_request_id(),
        }
        for name, value in _extras(record).items():
            # An extra may not pass itself off as one of the fields every line has.
            line[f"extra_{name}" if name in CORE_FIELDS else name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        # ASCII only: no character in a value can be mistaken for a line break by any tool.
        return json.dumps(line, default=str, ensure_ascii=True)


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    extras = {name: value for name, value in vars(record).items() if name not in _RECORD_ATTRIBUTES}
    return redact(extras)  # type: ignore[no-any-return]


def json_log_handler(stream: TextIO | None = None) -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr if stream is None else stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    return handler


def configure_logging(level: str = "INFO", stream: TextIO | None = None) -> None:
    """Send every log line of the process, as JSON, to `stream` (standard error by default).

    Replaces the root logger's handlers, so calling it twice does not write lines twice.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(json_log_handler(stream))
    root.setLevel(level.upper())
    logging.captureWarnings(True)


def gunicorn_logconfig_dict() -> dict[str, Any]:
    """gunicorn's `logconfig_dict` setting that makes its own lines JSON too.

    gunicorn's loggers keep the level given with `--log-level` and hand their lines to the root
    logger, which writes JSON to standard error like the application does.
    """
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {
            "json_stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "filters": ["request_id"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": "INFO", "handlers": ["json_stderr"]},
        "loggers": {
            "gunicorn.error": {"handlers": [], "propagate": True},
            "gunicorn.access": {"handlers": [], "propagate": True},
        },
    }
