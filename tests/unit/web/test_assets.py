import logging
from pathlib import Path

import falcon
import pytest
from falcon.testing import TestClient

from receipting.api.errors import install_error_handlers
from receipting.api.openapi import RouteRegistry
from receipting.errors import ConfigurationError
from receipting.settings import Settings
from receipting.web.assets import (
    ASSET_MAX_AGE_S,
    BLACK,
    COUNCIL_STYLESHEET_MAX_AGE_S,
    DEFAULT_COUNCIL_COLOUR,
    FRONTEND_SUBPATH,
    INIT_SCRIPT_SOURCE,
    WHITE,
    checked_colour,
    contrast_ratio,
    council_stylesheet,
    find_frontend_dir,
    inside,
    register_assets,
    text_colour_on,
)

STYLES = b".govuk-body{color:#0b0c0c}"
SCRIPT = b"export function initAll(){}"


@pytest.fixture
def frontend(tmp_path: Path) -> Path:
    """A stand-in govuk-frontend package installed in a project folder."""
    folder = tmp_path / "project" / FRONTEND_SUBPATH
    folder.mkdir(parents=True)
    (folder / "govuk-frontend.min.css").write_bytes(STYLES)
    (folder / "govuk-frontend.min.js").write_bytes(SCRIPT)
    (tmp_path / "secret.txt").write_text("not for browsers")
    return folder


def _client(settings: Settings, colour: str = "#005ea5") -> TestClient:
    app = falcon.App()
    install_error_handlers(app)
    register_assets(RouteRegistry(app), settings, lambda: colour)
    return TestClient(app)


# --- finding the package -------------------------------------------------------------------------


def test_the_package_is_found_walking_up_from_a_folder_inside_the_project(frontend: Path) -> None:
    project = frontend.parents[3]
    deep = project / "some" / "folder"
    deep.mkdir(parents=True)
    assert find_frontend_dir(Settings(), start_dirs=(deep,)) == frontend.resolve()


def test_the_setting_overrides_the_search(frontend: Path, tmp_path: Path) -> None:
    settings = Settings(frontend_dir=str(frontend))
    assert find_frontend_dir(settings, start_dirs=(tmp_path / "nowhere",)) == frontend.resolve()


def test_a_setting_naming_a_folder_without_the_package_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="RECEIPTING_FRONTEND_DIR"):
        find_frontend_dir(Settings(frontend_dir=str(tmp_path)))


def test_a_missing_package_is_logged_with_how_to_install_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        assert find_frontend_dir(Settings(), start_dirs=(tmp_path,)) is None
    assert "npm ci" in caplog.text


def test_the_projects_own_node_modules_is_found_by_default() -> None:
    found = find_frontend_dir(Settings())
    assert found is not None
    assert (found / "govuk-frontend.min.css").is_file()


# --- no way out of the folder --------------------------------------------------------------------


def test_a_file_inside_the_folder_is_found(frontend: Path) -> None:
    assert inside(frontend, "govuk-frontend.min.css") == (frontend / "govuk-frontend.min.css")


@pytest.mark.parametrize(
    "name",
    [
        "",
        "../secret.txt",
        "../../../../secret.txt",
        "a/../../secret.txt",
        "/etc/passwd",
        "..\\secret.txt",
        "govuk-frontend.min.css\x00.png",
        "missing.css",
        ".",
    ],
)
def test_nothing_outside_the_folder_or_not_a_file_is_found(frontend: Path, name: str) -> None:
    assert inside(frontend, name) is None


def test_a_symbolic_link_leading_out_of_the_folder_is_not_followed(frontend: Path) -> None:
    (frontend / "link.css").symlink_to(frontend.parents[4] / "secret.txt")
    assert inside(frontend, "link.css") is None


# --- serving -------------------------------------------------------------------------------------


def test_govuk_frontends_styles_and_script_are_served_with_their_types(frontend: Path) -> None:
    client = _client(Settings(frontend_dir=str(frontend)))
    css = client.simulate_get("/assets/stylesheets/govuk-frontend.min.css")
    assert css.status_code == 200
    assert css.headers["content-type"] == "text/css; charset=utf-8"
    assert css.content == STYLES
    assert css.headers["cache-control"] == f"public, max-age={ASSET_MAX_AGE_S}"
    assert css.headers["x-content-type-options"] == "nosniff"
    js = client.simulate_get("/assets/javascripts/govuk-frontend.min.js")
    assert js.headers["content-type"] == "text/javascript; charset=utf-8"
    assert js.content == SCRIPT


def test_init_js_starts_govuk_frontend_as_a_module(frontend: Path) -> None:
    result = _client(Settings(frontend_dir=str(frontend))).simulate_get(
        "/assets/javascripts/init.js"
    )
    assert result.headers["content-type"] == "text/javascript; charset=utf-8"
    assert result.text == INIT_SCRIPT_SOURCE
    assert "import { initAll } from './govuk-frontend.min.js'" in result.text
    assert "classList.add('govuk-frontend-supported')" in result.text
    assert "initAll()" in result.text


def test_council_css_is_made_from_the_councils_colour(frontend: Path) -> None:
    result = _client(Settings(frontend_dir=str(frontend)), colour="#005EA5").simulate_get(
        "/assets/stylesheets/council.css"
    )
    assert result.status_code == 200
    assert result.headers["content-type"] == "text/css; charset=utf-8"
    assert result.headers["cache-control"] == f"public, max-age={COUNCIL_STYLESHEET_MAX_AGE_S}"
    assert "background-color: #005ea5;" in result.text
    assert f"--govuk-text-colour: {WHITE};" in result.text


@pytest.mark.parametrize(
    "path",
    [
        "/assets/stylesheets/other.css",
        "/assets/stylesheets/..%2F..%2Fsecret.txt",
        "/assets/stylesheets/%2E%2E",
        "/assets/javascripts/govuk-frontend.min.css",
        "/assets/fonts/bold-b542beb274-v2.woff2",
        "/assets/images/govuk-crest.svg",
        "/assets/../secret.txt",
    ],
)
def test_anything_else_under_assets_is_not_found(frontend: Path, path: str) -> None:
    result = _client(Settings(frontend_dir=str(frontend))).simulate_get(path)
    assert result.status_code == 404
    assert "not for browsers" not in result.text


def test_an_unknown_asset_is_answered_with_what_is_served(frontend: Path) -> None:
    result = _client(Settings(frontend_dir=str(frontend))).simulate_get(
        "/assets/stylesheets/other.css"
    )
    assert result.json["code"] == "ASSET_NOT_FOUND"
    assert "/assets/stylesheets/council.css" in result.json["description"]


def test_without_the_package_council_css_and_init_js_are_still_served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("receipting.web.assets._project_dir", lambda: tmp_path)
    client = _client(Settings())
    assert client.simulate_get("/assets/stylesheets/govuk-frontend.min.css").status_code == 404
    assert client.simulate_get("/assets/stylesheets/council.css").status_code == 200
    assert client.simulate_get("/assets/javascripts/init.js").status_code == 200


# --- the council's colour ----------------------------------------------------------------------


@pytest.mark.parametrize(("colour", "kept"), [("#1D70B8", "#1d70b8"), (" #00703c ", "#00703c")])
def test_a_hex_colour_is_kept(colour: str, kept: str) -> None:
    assert checked_colour(colour) == kept


@pytest.mark.parametrize(
    "colour", ["", "red", "#fff", "#12345g", "1d70b8", "#1d70b8; } body { display:none", "#1d70b80"]
)
def test_anything_else_falls_back_to_the_default_with_a_warning(
    colour: str, caplog: pytest.LogCaptureFixture
) -> None:
    assert checked_colour(colour) == DEFAULT_COUNCIL_COLOUR
    assert "not a #rrggbb colour" in caplog.text


def test_a_malformed_colour_never_reaches_the_stylesheet() -> None:
    css = council_stylesheet("#000000; } body { display: none")
    assert "display: none" not in css
    assert f"background-color: {DEFAULT_COUNCIL_COLOUR};" in css


def test_contrast_ratios_are_wcags() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert contrast_ratio("#1d70b8", "#ffffff") == pytest.approx(5.17, abs=0.01)


@pytest.mark.parametrize(
    ("background", "text"),
    [
        ("#1d70b8", WHITE),
        ("#0b0c0c", WHITE),
        ("#00703c", WHITE),
        ("#ffdd00", BLACK),
        ("#f3f2f1", BLACK),
        ("#85994b", BLACK),
    ],
)
def test_header_text_is_white_or_black_whichever_contrasts_more(background: str, text: str) -> None:
    assert text_colour_on(background) == text


def test_a_colour_with_poor_contrast_either_way_is_warned_about(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # #767676 reaches 4.5:1 with white; #787878 reaches 4.4:1 at best, with either.
    assert text_colour_on("#767676") == WHITE
    assert "contrast" not in caplog.text
    assert text_colour_on("#787878") == BLACK
    assert "contrast of only 4.4:1" in caplog.text


def test_the_stylesheet_keeps_gds_transport_off_the_councils_pages() -> None:
    css = council_stylesheet("#1d70b8")
    assert 'font-family: "GDS Transport"' in css
    assert "url(" not in css
    assert 'local("Arial")' in css
