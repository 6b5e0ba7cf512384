"""The WSGI entry point: `gunicorn receipting.wsgi:app`.

Settings come from the environment (see `receipting.settings`). Logging is configured here, before
anything logs, so every line the process writes is one JSON object. Building the app opens no
connection, so this module is safe to import in gunicorn's master with `--preload`.
"""

from __future__ import annotations

from receipting.api import App
from receipting.app import create_app
from receipting.logs import configure_logging
from receipting.settings import Settings


def build() -> App:
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    settings.warn_about_defaults()
    return create_app(settings)


app = build()
