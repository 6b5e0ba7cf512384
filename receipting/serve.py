"""Serving the API with gunicorn, embedded, so `receipting serve` needs no separate config file.

Gunicorn imports `receipting.wsgi:app` in each worker; that module builds the application from
the environment, so everything a worker needs (the database URL, the development flag, the
sealing key) travels in environment variables, which forked workers inherit.
"""

from __future__ import annotations

import errno
import importlib.util
import socket
from collections.abc import Mapping
from typing import Any

from gunicorn import glogging, util
from gunicorn.app.base import BaseApplication

from receipting.errors import ConfigurationError
from receipting.logs import gunicorn_logconfig_dict

APP_MODULE = "receipting.wsgi"
APP_URI = f"{APP_MODULE}:app"

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_BIND = f"{DEFAULT_HOST}:{DEFAULT_PORT}"

# Sync workers each serve one request at a time; two keep the API answering while one is busy
# with a slow request, and suit the two cores of a small host. Production sizes this with
# --workers (gunicorn's rule of thumb is 2 x cores + 1).
DEFAULT_WORKERS = 2

# More workers than this on one host mostly adds database connections, not throughput; scale out
# with more hosts instead.
MAX_WORKERS = 64

# On SIGTERM, how long in-flight requests get to finish before workers are killed. A card payment
# round trip to a gateway can take several seconds; twenty leaves room for that.
GRACEFUL_TIMEOUT_S = 20

# A worker silent for this long is presumed stuck and restarted (gunicorn's default).
WORKER_TIMEOUT_S = 30

PROCESS_NAME = "receipting"

REQUEST_ID_HEADER = "x-request-id"

# Settings that only newer gunicorn releases know; older ones within our range go without.
OPTIONAL_SETTINGS = frozenset({"control_socket_disable"})


class JsonAccessLogger(glogging.Logger):  # type: ignore[misc]
    """Gunicorn's logger, writing each request as one structured line with the request's id.

    The fields travel as `extra=` so the JSON formatter of `receipting.logs` writes them as
    fields; the request id comes from the response header the application sets, so an access
    line joins up with the application's own lines for the same request.
    """

    def access(self, resp: Any, req: Any, environ: Mapping[str, Any], request_time: Any) -> None:
        # A logging config turns gunicorn's access log on regardless; --no-access-log wins here.
        if not self.cfg.accesslog or not self.access_log_enabled:
            return
        status = str(resp.status).split(None, 1)[0]
        request_id = None
        for name, value in resp.headers:
            if name.lower() == REQUEST_ID_HEADER:
                request_id = value
        method, path = environ.get("REQUEST_METHOD"), environ.get("PATH_INFO")
        self.access_log.info(
            "%s %s %s",
            method,
            path,
            status,
            extra={
                "event": "http_access",
                "method": method,
                "path": path,
                "query": environ.get("QUERY_STRING") or None,
                "status": int(status) if status.isdigit() else status,
                "bytes": getattr(resp, "sent", None),
                "duration_ms": request_time.seconds * 1000 + request_time.microseconds // 1000,
                "remote_addr": environ.get("REMOTE_ADDR"),
                "request_id": request_id,
            },
        )


class ReceiptingServer(BaseApplication):  # type: ignore[misc]
    """Gunicorn configured from a mapping of its settings instead of a command line or file."""

    def __init__(self, options: Mapping[str, object], app_uri: str = APP_URI) -> None:
        self._options = dict(options)
        self._app_uri = app_uri
        super().__init__(prog=PROCESS_NAME)

    def load_config(self) -> None:
        for key, value in self._options.items():
            if key in OPTIONAL_SETTINGS and key not in self.cfg.settings:
                continue
            self.cfg.set(key, value)

    def load(self) -> Any:
        return util.import_app(self._app_uri)


def app_available() -> bool:
    return importlib.util.find_spec(APP_MODULE) is not None


def parse_bind(bind: str) -> tuple[str, int]:
    """`HOST:PORT` (IPv6 hosts in brackets) into its parts, refusing anything else."""
    host, sep, port_text = bind.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigurationError(
            f"--bind {bind!r} is not HOST:PORT. Use, for example, {DEFAULT_BIND} "
            "(or 0.0.0.0:8000 to listen on every interface)."
        )
    return host, int(port_text)


def check_bind_available(bind: str) -> None:
    """Fail early and plainly when the address is taken, instead of gunicorn's retry loop."""
    host, port = parse_bind(bind)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConfigurationError(
                    f"{host}:{port} is already in use (is another server running?). Stop it, or "
                    f"choose another port, for example --bind {host}:{port + 1}."
                ) from exc
            raise ConfigurationError(f"Cannot listen on {host}:{port}: {exc.strerror}.") from exc


def browser_base_url(bind: str) -> str:
    """The address a person on this host should open for a server bound to `bind`."""
    host, port = parse_bind(bind)
    if host in ("0.0.0.0", "::"):
        host = DEFAULT_HOST
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def gunicorn_options(
    *, bind: str, workers: int, access_log: bool, log_level: str = "info"
) -> dict[str, object]:
    return {
        "bind": [bind],
        "workers": workers,
        "worker_class": "sync",
        "timeout": WORKER_TIMEOUT_S,
        "graceful_timeout": GRACEFUL_TIMEOUT_S,
        "proc_name": PROCESS_NAME,
        "accesslog": "-" if access_log else None,
        "errorlog": "-",
        "loglevel": log_level.lower(),
        "logger_class": JsonAccessLogger,
        "logconfig_dict": gunicorn_logconfig_dict(),
        # Gunicorn's control socket sits at one path per user, so two servers on a host (the demo
        # beside a real one, or parallel tests) would fight over it; signals manage ours.
        "control_socket_disable": True,
    }


def preflight(bind: str) -> None:
    """Refuse, in words, what would otherwise fail inside gunicorn with a traceback or a retry
    loop: a missing application module or an address already taken."""
    check_bind_available(bind)
    if not app_available():
        raise ConfigurationError(
            f"The web application module {APP_MODULE} is not installed, so there is nothing to "
            "serve. Reinstall the package (pip install -e .)."
        )


def run(*, bind: str, workers: int, access_log: bool = False, log_level: str = "info") -> None:
    """Serve until SIGTERM or SIGINT (gunicorn's master handles both, gracefully)."""
    preflight(bind)
    ReceiptingServer(
        gunicorn_options(bind=bind, workers=workers, access_log=access_log, log_level=log_level)
    ).run()
