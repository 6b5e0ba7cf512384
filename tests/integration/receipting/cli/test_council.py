"""`receipting council load` and `receipting council show`, and the demo loading the council."""

from __future__ import annotations

from pathlib import Path

from click.testing import Result
from sqlalchemy.orm import Session, sessionmaker

from receipting import demo
from receipting.council import service
from tests.integration.receipting.cli.support import RunCli, invoke, no_traceback


def demo_file(tmp_path: Path, text: str | None = None) -> Path:
    path = tmp_path / "council.toml"
    path.write_text(text if text is not None else demo.demo_council_config().decode("utf-8"))
    return path


def test_load_reports_the_version_and_loading_the_same_file_again_says_nothing_changed(
    run_cli: RunCli, tmp_path: Path
) -> None:
    path = demo_file(tmp_path)

    first = run_cli("council", "load", str(path))
    second = run_cli("council", "load", str(path))

    assert first.exit_code == 0, first.output
    assert "configuration version 1 loaded: 8 funds, 20 accounts" in first.output
    assert second.exit_code == 0, second.output
    assert "already the current configuration (version 1); nothing changed" in second.output


def test_a_bad_file_is_refused_with_its_line_and_key_and_no_traceback(
    run_cli: RunCli, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    text = demo.demo_council_config().decode("utf-8").replace('vat_code = "STD"', 'vat_code = "SR"')
    line = next(n for n, row in enumerate(text.splitlines(), 1) if 'vat_code = "SR"' in row)

    result: Result = run_cli("council", "load", str(demo_file(tmp_path, text)))

    assert result.exit_code == 2
    assert no_traceback(result)
    assert f"council.toml line {line}, funds.PEST.vat_code: is 'SR'" in result.output
    with session_factory() as session:
        assert service.current_version(session) is None


def test_show_lists_the_funds_vat_codes_methods_and_gateways(
    run_cli: RunCli, tmp_path: Path
) -> None:
    assert "No council configuration is loaded" in run_cli("council", "show").output
    run_cli("council", "load", str(demo_file(tmp_path)))

    result = run_cli("council", "show")

    assert result.exit_code == 0, result.output
    assert "Demo Borough Council: configuration version 1" in result.output
    assert "Residents see: Demo Borough Council / Cyngor Bwrdeistref Demo; colour #00703c" in (
        result.output
    )
    assert "PCN       Parking fines" in result.output
    assert "£500.00" in result.output
    assert "20% from 2011-01-04" in result.output
    assert "sandbox          clearing account CARD-CLR-SANDBOX" in result.output


def test_load_needs_a_migrated_database(tmp_path: Path) -> None:
    result = invoke(
        f"sqlite:///{tmp_path / 'empty.sqlite3'}", "council", "load", str(demo_file(tmp_path))
    )

    assert result.exit_code == 2
    assert "receipting db upgrade" in result.output


def test_the_demo_loads_the_demo_council_once(
    db_url: str, run_cli: RunCli, session_factory: sessionmaker[Session]
) -> None:
    assert run_cli("demo", "--no-serve", "--database", db_url).exit_code == 0
    assert run_cli("demo", "--no-serve", "--database", db_url).exit_code == 0

    with session_factory() as session:
        version = service.current_version(session)
        assert version is not None and version.version == 1
        assert service.check_reference(session, "PCN", demo.PCN_REF).valid
        assert service.gateway_clearing_account(session, "sandbox") == demo.CARD_SANDBOX
