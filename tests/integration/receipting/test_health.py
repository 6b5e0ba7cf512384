from pathlib import Path

from falcon.testing import TestClient

from ledger.db import make_engine
from receipting.app import create_app
from receipting.settings import Settings
from tests.conftest import TEST_SEAL_KEY
from tests.integration.receipting.conftest import LogLines


def test_healthz_is_ok_when_the_database_answers(client: TestClient) -> None:
    result = client.simulate_get("/healthz")

    assert result.status_code == 200
    assert result.json == {"status": "ok", "database": "ok"}


def unreachable_database_url(db_kind: str, tmp_path: Path) -> str:
    if db_kind == "sqlite":
        return f"sqlite:///{tmp_path / 'no-such-directory' / 'receipting.sqlite3'}"
    # Nothing listens on port 1, so the connection is refused at once.
    return "postgresql://postgres@127.0.0.1:1/receipting?connect_timeout=2"


def test_healthz_is_a_503_with_a_json_error_when_the_database_is_unreachable(
    db_kind: str, tmp_path: Path, log_lines: LogLines
) -> None:
    url = unreachable_database_url(db_kind, tmp_path)
    engine = make_engine(url)
    app = create_app(Settings(database_url=url, seal_key=TEST_SEAL_KEY), engine=engine, channels=[])
    try:
        result = TestClient(app).simulate_get("/healthz", headers={"X-Request-Id": "health-1"})
    finally:
        engine.dispose()

    assert result.status_code == 503
    assert result.json["code"] == "SERVICE_UNAVAILABLE"
    assert "RECEIPTING_DATABASE_URL" in result.json["description"]
    assert "127.0.0.1" not in result.text
    assert "no-such-directory" not in result.text
    failure = [line for line in log_lines.for_request("health-1") if line["level"] == "ERROR"]
    assert len(failure) == 1
    assert "OperationalError" in failure[0]["exception"]
