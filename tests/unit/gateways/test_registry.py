from datetime import UTC, datetime

from sqlalchemy.orm import sessionmaker

from receipting.gateways.registry import build_gateways
from receipting.gateways.sandbox.gateway import SandboxGateway
from receipting.settings import Settings


def _now() -> datetime:
    return datetime(2026, 11, 24, tzinfo=UTC)


def test_no_gateway_is_built_unless_settings_turn_one_on() -> None:
    assert build_gateways(Settings(), sessionmaker(), _now) == {}


def test_the_sandbox_gateway_is_built_when_settings_turn_it_on() -> None:
    gateways = build_gateways(
        Settings(sandbox_gateway=True, public_url="https://pay.example"), sessionmaker(), _now
    )
    assert list(gateways) == ["sandbox"]
    sandbox = gateways["sandbox"]
    assert isinstance(sandbox, SandboxGateway)
    assert sandbox.page_url("abc") == "https://pay.example/sandbox-gateway/pay/abc"
