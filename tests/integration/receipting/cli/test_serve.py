"""`receipting serve` refuses what it cannot serve on, before gunicorn starts."""

from __future__ import annotations

from tests.integration.receipting.cli.support import RunCli


def test_serve_refuses_a_bind_address_that_is_not_host_and_port(run_cli: RunCli) -> None:
    result = run_cli("serve", "--bind", "localhost")
    assert result.exit_code == 2
    assert "HOST:PORT" in result.output
