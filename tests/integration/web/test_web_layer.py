"""The web layer in a real app: assets, a page with a sealed cookie and a form, error pages.

A tiny channel builds one page the way the checkout does, so every piece is exercised through
`create_app`, its middleware and its one error handler, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import falcon
import pytest
from falcon.testing import Result, TestClient
from sqlalchemy.engine import Engine

from receipting.api import App
from receipting.api.openapi import Operation
from receipting.app import create_app
from receipting.channels import AppContext
from receipting.council.service import DEFAULT_PRESENTATION
from receipting.errors import NotFound
from receipting.settings import Settings
from receipting.web.cookies import SealedCookie, set_cookie
from receipting.web.csrf import CSRF_FIELD, check_csrf, csrf_token, new_csrf_seed
from receipting.web.forms import read_form
from receipting.web.i18n import choose_language, remember_requested_language
from receipting.web.pages import PageRenderer, render_error_page, send_page
from tests.conftest import TEST_SEAL_KEY

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
SECRET_KEY = b"integration-test-secret-key-0123456789abcdef"
SESSION_COOKIE = "demo"
COUNCIL_COLOUR = "#00703c"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
_TOKEN = re.compile(rf'name="{CSRF_FIELD}" value="([^"]+)"')


class Council:
    name = "Demo Borough Council"
    name_cy = "Cyngor Bwrdeistref Demo"
    colour = COUNCIL_COLOUR


HTML = {"type": "string"}
DEMO_GET = Operation("demoPage", "A demo page", HTML, success_media_type="text/html")
DEMO_POST = Operation(
    "demoSave",
    "Save the demo form",
    HTML,
    success_media_type="text/html",
    request_media_type="application/x-www-form-urlencoded",
    success_status=HTTPStatus.SEE_OTHER,
)
BROKEN_GET = Operation("demoBroken", "A page that fails", HTML, success_media_type="text/html")
MISSING_GET = Operation("demoMissing", "A page of nothing", HTML, success_media_type="text/html")


class _Page:
    auth_public = True

    def __init__(self, renderer: PageRenderer, settings: Settings) -> None:
        self.renderer = renderer
        self.settings = settings
        self.cookie = SealedCookie(settings.secret_key, "demo session", max_age_s=1800)

    def context(self, req: falcon.Request) -> dict[str, Any]:
        return {
            "council": Council(),
            "service_name": "Demo service",
            "current_url_path": req.path,
            "csrf_token": "",
            "signed_in": False,
            "sign_in_enabled": False,
        }

    def error_page(self, req: falcon.Request, status: HTTPStatus, body: dict[str, Any]) -> str:
        return render_error_page(
            self.renderer, choose_language(req), status, body, **self.context(req)
        )


class DemoPage(_Page):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        now = datetime.now(UTC)
        session = self.cookie.open(req.cookies.get(SESSION_COOKIE), now) or {}
        seed = session.get("seed") or new_csrf_seed()
        session["seed"] = seed
        set_cookie(
            resp,
            SESSION_COOKIE,
            self.cookie.seal(session, now),
            secure=self.settings.secure_cookies,
        )
        remember_requested_language(req, resp, secure=self.settings.secure_cookies)
        language = choose_language(req)
        html = self.renderer.render(
            language,
            "demo.html",
            **{
                **self.context(req),
                "csrf_token": csrf_token(self.settings.secret_key, seed),
                "saved": session.get("saved", ""),
                "errors": [],
            },
        )
        send_page(resp, html, production=not self.settings.development)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        now = datetime.now(UTC)
        session = self.cookie.open(req.cookies.get(SESSION_COOKIE), now) or {}
        form = read_form(req)
        check_csrf(self.settings.secret_key, session.get("seed"), form.get(CSRF_FIELD))
        session["saved"] = form.get("reference", "")
        set_cookie(
            resp,
            SESSION_COOKIE,
            self.cookie.seal(session, now),
            secure=self.settings.secure_cookies,
        )
        raise falcon.HTTPSeeOther("/demo")


class BrokenPage(_Page):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        raise RuntimeError("database password is hunter2")


class MissingPage(_Page):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        raise NotFound("There is no such demo. Check the address.")


class DemoChannel:
    name = "web-demo"

    def register_routes(self, app: App, context: AppContext) -> None:
        renderer = PageRenderer([TEMPLATES_DIR], [])
        context.routes.add(
            "/demo", DemoPage(renderer, context.settings), {"GET": DEMO_GET, "POST": DEMO_POST}
        )
        context.routes.add(
            "/demo/broken", BrokenPage(renderer, context.settings), {"GET": BROKEN_GET}
        )
        context.routes.add(
            "/demo/missing", MissingPage(renderer, context.settings), {"GET": MISSING_GET}
        )


@pytest.fixture
def client(engine: Engine, db_url: str) -> TestClient:
    settings = Settings(
        database_url=db_url, seal_key=TEST_SEAL_KEY, secret_key=SECRET_KEY, development=False
    )
    return TestClient(create_app(settings, engine=engine, channels=[DemoChannel()]))


def _session_cookie(result: Result) -> str:
    return str(result.cookies[SESSION_COOKIE].value)


def _cookie_header(**cookies: str) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items())}


# --- assets --------------------------------------------------------------------------------------


def test_govuk_frontends_stylesheet_is_served_from_node_modules(client: TestClient) -> None:
    result = client.simulate_get("/assets/stylesheets/govuk-frontend.min.css")
    assert result.status_code == 200
    assert result.headers["content-type"] == "text/css; charset=utf-8"
    assert ".govuk-service-navigation" in result.text
    assert result.headers["cache-control"].startswith("public, max-age=")


def test_govuk_frontends_script_is_an_es_module_exporting_init_all(client: TestClient) -> None:
    result = client.simulate_get("/assets/javascripts/govuk-frontend.min.js")
    assert result.status_code == 200
    assert result.headers["content-type"] == "text/javascript; charset=utf-8"
    assert re.search(r"export\{[^}]*\binitAll\b", result.text)


def test_the_councils_stylesheet_carries_its_colour(client: TestClient) -> None:
    # No council configuration is loaded here, so the stylesheet has the default colour.
    result = client.simulate_get("/assets/stylesheets/council.css")
    assert result.status_code == 200
    assert f"background-color: {DEFAULT_PRESENTATION.colour};" in result.text


def test_a_path_out_of_the_assets_is_not_found(client: TestClient) -> None:
    for path in ("/assets/stylesheets/..%2F..%2F..%2Fpyproject.toml", "/assets/x/../../setup"):
        assert client.simulate_get(path).status_code == 404


def test_a_nul_in_an_asset_path_is_refused(client: TestClient) -> None:
    assert client.simulate_get("/assets/stylesheets/council.css%00.png").status_code == 400


def test_assets_need_no_api_key_and_are_in_the_openapi_document(client: TestClient) -> None:
    paths = client.simulate_get("/openapi.json").json["paths"]
    assert "text/css" in str(paths["/assets/stylesheets/{name}"])
    assert "text/javascript" in str(paths["/assets/javascripts/{name}"])


# --- a page ------------------------------------------------------------------------------------


def test_a_page_is_served_with_the_layout_and_the_security_headers(client: TestClient) -> None:
    result = client.simulate_get("/demo")
    assert result.status_code == 200
    assert result.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'self'" in result.headers["content-security-policy"]
    assert result.headers["cache-control"] == "no-store"
    assert "strict-transport-security" in result.headers
    assert '<html lang="en"' in result.text
    assert "Demo Borough Council" in result.text
    cookie = result.cookies[SESSION_COOKIE]
    assert cookie.secure and cookie.http_only and cookie.same_site == "Lax"


def test_lang_cy_shows_welsh_and_is_remembered_for_the_next_page(client: TestClient) -> None:
    first = client.simulate_get("/demo", query_string="lang=cy")
    assert '<html lang="cy"' in first.text
    assert "Cyngor Bwrdeistref Demo" in first.text
    assert first.cookies["lang"].value == "cy"
    second = client.simulate_get("/demo", headers=_cookie_header(lang="cy"))
    assert '<html lang="cy"' in second.text
    assert "lang" not in second.cookies


def test_a_form_posted_with_its_token_is_accepted(client: TestClient) -> None:
    page = client.simulate_get("/demo")
    token = _TOKEN.search(page.text)
    assert token is not None
    posted = client.simulate_post(
        "/demo",
        body=urlencode({CSRF_FIELD: token.group(1), "reference": "A-123"}),
        headers={**FORM, **_cookie_header(demo=_session_cookie(page))},
    )
    assert posted.status_code == 303
    again = client.simulate_get("/demo", headers=_cookie_header(demo=_session_cookie(posted)))
    assert '<p class="govuk-body" id="saved">A-123</p>' in again.text


def test_a_form_posted_without_its_token_gets_the_expired_page(client: TestClient) -> None:
    page = client.simulate_get("/demo")
    posted = client.simulate_post(
        "/demo",
        body=urlencode({"reference": "A-123"}),
        headers={**FORM, **_cookie_header(demo=_session_cookie(page), lang="cy")},
    )
    assert posted.status_code == 403
    assert posted.headers["content-type"].startswith("text/html")
    assert "Mae eich sesiwn wedi dod i ben" in posted.text


def test_a_form_posted_from_another_browser_is_refused(client: TestClient) -> None:
    mine, theirs = client.simulate_get("/demo"), client.simulate_get("/demo")
    token = _TOKEN.search(theirs.text)
    assert token is not None
    posted = client.simulate_post(
        "/demo",
        body=urlencode({CSRF_FIELD: token.group(1), "reference": "A-123"}),
        headers={**FORM, **_cookie_header(demo=_session_cookie(mine))},
    )
    assert posted.status_code == 403
    assert "Your session has expired" in posted.text


def test_a_forged_session_cookie_is_treated_as_no_cookie(client: TestClient) -> None:
    result = client.simulate_get("/demo", headers=_cookie_header(demo="forged-value"))
    assert result.status_code == 200
    assert _session_cookie(result) != "forged-value"


def test_a_page_that_is_not_there_gets_the_not_found_page(client: TestClient) -> None:
    result = client.simulate_get("/demo/missing")
    assert result.status_code == 404
    assert result.headers["content-type"].startswith("text/html")
    assert "Page not found" in result.text
    assert '<html lang="en"' in result.text


def test_a_failure_gets_the_problem_page_with_the_request_id_and_no_detail(
    client: TestClient,
) -> None:
    result = client.simulate_get("/demo/broken", query_string="lang=cy")
    assert result.status_code == 500
    assert "Mae&#39;n ddrwg gennym, mae problem gyda&#39;r gwasanaeth" in result.text
    assert result.headers["x-request-id"] in result.text
    assert "hunter2" not in result.text
