import re
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any

import falcon
import falcon.testing
import pytest
from jinja2 import UndefinedError

from receipting.logs import bind_request_id, reset_request_id
from receipting.web.pages import (
    HSTS_MAX_AGE_S,
    PageRenderer,
    local_path,
    render_error_page,
    security_headers,
    send_page,
)


@dataclass(frozen=True)
class Council:
    name: str = "Demo Borough Council"
    name_cy: str | None = "Cyngor Bwrdeistref Demo"
    colour: str = "#005ea5"


def _layout_context(**overrides: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        "council": Council(),
        "service_name": "Pay the council",
        "current_url_path": "/pay",
        "csrf_token": "token-123",
        "signed_in": False,
        "sign_in_enabled": False,
    }
    context.update(overrides)
    return context


@pytest.fixture(scope="module")
def channel_dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("channel")
    templates, locale = root / "templates", root / "locale"
    templates.mkdir()
    (templates / "start.html").write_text(
        '{% extends "layout.html" %}\n'
        '{% from "macros.html" import error_summary, input_errors %}\n'
        '{% block title %}{{ _("Start") }}{% endblock %}\n'
        "{% block content %}\n"
        "{{ error_summary(errors | default([])) }}\n"
        "{{ input_errors('reference', errors | default([])) }}\n"
        '<h1 class="govuk-heading-l">{{ _("Start") }}</h1>\n'
        '<p class="govuk-body" id="amount">{{ amount | pounds }}</p>\n'
        '<p class="govuk-body" id="note">{{ note }}</p>\n'
        "{% endblock %}\n",
        encoding="utf-8",
    )
    po = locale / "cy" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Start"\nmsgstr "Dechrau"\n',
        encoding="utf-8",
    )
    return templates, locale


@pytest.fixture(scope="module")
def renderer(channel_dirs: tuple[Path, Path]) -> PageRenderer:
    templates, locale = channel_dirs
    return PageRenderer([templates], [locale], globals={"service_url": "/pay"})


def _start(renderer: PageRenderer, language: str, **overrides: Any) -> str:
    context = {"amount": 123450, "note": "", **_layout_context(), **overrides}
    return renderer.render(language, "start.html", **context)


def test_a_page_is_rendered_in_english_with_the_layout(renderer: PageRenderer) -> None:
    page = _start(renderer, "en")
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="en" class="govuk-template">' in page
    assert "<title>Start - Pay the council - Demo Borough Council</title>" in page
    assert '<h1 class="govuk-heading-l">Start</h1>' in page
    assert "Skip to main content" in page
    assert "£1,234.50" in page


def test_a_page_is_rendered_in_welsh_with_the_welsh_council_name(renderer: PageRenderer) -> None:
    page = _start(renderer, "cy")
    assert '<html lang="cy" class="govuk-template">' in page
    assert '<h1 class="govuk-heading-l">Dechrau</h1>' in page
    assert "Neidio i&#39;r prif gynnwys" in page or "Neidio i'r prif gynnwys" in page
    assert "Cyngor Bwrdeistref Demo" in page
    assert "Demo Borough Council" not in page
    assert "£1,234.50" in page


def test_without_a_welsh_name_the_council_keeps_its_english_one(renderer: PageRenderer) -> None:
    page = _start(renderer, "cy", council=Council(name_cy=None))
    assert "Demo Borough Council" in page


def test_text_from_outside_is_escaped(renderer: PageRenderer) -> None:
    page = _start(
        renderer,
        "en",
        note='<script>alert("x")</script>',
        council=Council(name="<b>Evil</b> & Co"),
    )
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "&lt;b&gt;Evil&lt;/b&gt; &amp; Co" in page


def test_a_variable_missing_from_the_context_is_an_error_not_a_gap(renderer: PageRenderer) -> None:
    with pytest.raises(UndefinedError):
        renderer.render("en", "start.html", **_layout_context())


def test_the_layout_has_the_skip_link_first_and_the_landmarks(renderer: PageRenderer) -> None:
    page = _start(renderer, "en")
    body = page.split('<body class="govuk-template__body">', 1)[1]
    first_element = re.search(r"<[a-z]+[^>]*>", body)
    assert first_element is not None
    assert first_element.group(0).startswith('<a href="#main-content" class="govuk-skip-link"')
    assert '<header class="govuk-template__header">' in page
    assert '<main class="govuk-main-wrapper" id="main-content">' in page
    assert '<footer class="govuk-template__footer">' in page
    assert page.index("<header") < page.index("<main") < page.index("<footer")


def test_the_header_shows_the_council_not_the_crown(renderer: PageRenderer) -> None:
    page = _start(renderer, "en")
    assert "govuk-generic-header__homepage-link" in page
    assert "Demo Borough Council" in page.split("</header>")[0]
    assert "<svg" not in page
    assert "GOV.UK" not in page
    assert "Crown copyright" not in page


def test_the_layout_has_no_inline_script_or_style(renderer: PageRenderer) -> None:
    page = _start(renderer, "en")
    assert re.findall(r"<script[^>]*>", page) == [
        '<script type="module" src="/assets/javascripts/init.js">'
    ]
    assert "<style" not in page
    assert " style=" not in page
    assert " on" + "click=" not in page


def test_the_layout_loads_the_stylesheets_from_assets(renderer: PageRenderer) -> None:
    page = _start(renderer, "en")
    assert '<link rel="stylesheet" href="/assets/stylesheets/govuk-frontend.min.css">' in page
    assert '<link rel="stylesheet" href="/assets/stylesheets/council.css">' in page


def test_the_language_switch_links_to_the_other_language_of_this_page(
    renderer: PageRenderer,
) -> None:
    english = _start(renderer, "en", current_url_path="/pay/basket")
    assert (
        '<span class="govuk-language-navigation__text" lang="en" aria-current="true">English'
        in english
    )
    assert (
        '<a class="govuk-language-navigation__link" href="/pay/basket?lang=cy" lang="cy" '
        'hreflang="cy" rel="alternate">Cymraeg</a>' in english
    )
    welsh = _start(renderer, "cy", current_url_path="/pay/basket")
    assert 'href="/pay/basket?lang=en" lang="en" hreflang="en" rel="alternate">English</a>' in welsh
    assert 'lang="cy" aria-current="true">Cymraeg</span>' in welsh


def test_the_language_switch_never_links_to_another_site(renderer: PageRenderer) -> None:
    page = _start(renderer, "en", current_url_path="//evil.example/pay")
    assert "evil.example" not in page
    assert 'href="/?lang=cy"' in page


@pytest.mark.parametrize(
    ("path", "kept"),
    [
        ("/pay", "/pay"),
        ("/", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_only_paths_on_this_site_are_linked_to(path: object, kept: str) -> None:
    assert local_path(path) == kept


def test_without_sign_in_there_is_no_account_navigation(renderer: PageRenderer) -> None:
    page = _start(renderer, "en")
    assert "Sign in" not in page
    assert "govuk-service-navigation__list" not in page


def test_a_signed_out_resident_is_offered_sign_in(renderer: PageRenderer) -> None:
    page = _start(renderer, "en", sign_in_enabled=True)
    assert 'href="/account/sign-in"' in page
    assert "Sign in" in page
    assert "Sign out" not in page


def test_a_signed_in_resident_sees_their_account_and_a_sign_out_form(
    renderer: PageRenderer,
) -> None:
    page = _start(renderer, "cy", sign_in_enabled=True, signed_in=True)
    assert 'href="/account"' in page
    assert "Eich cyfrif" in page
    assert '<form method="post" action="/account/sign-out" class="council-sign-out">' in page
    assert '<input type="hidden" name="csrf_token" value="token-123">' in page
    assert "Allgofnodi" in page


def test_errors_prefix_the_title_and_show_the_summary_and_the_message(
    renderer: PageRenderer,
) -> None:
    errors = [{"field": "reference", "message": "Enter your reference"}]
    page = _start(renderer, "en", errors=errors)
    assert "<title>Error: Start -" in page
    assert '<div class="govuk-error-summary" data-module="govuk-error-summary">' in page
    assert '<a href="#reference">Enter your reference</a>' in page
    assert '<p class="govuk-error-message" id="reference-error">' in page
    assert '<span class="govuk-visually-hidden">Error:</span> Enter your reference' in page


def test_errors_in_welsh_say_gwall(renderer: PageRenderer) -> None:
    errors = [{"field": "reference", "message": "Rhowch eich cyfeirnod"}]
    page = _start(renderer, "cy", errors=errors)
    assert "<title>Gwall: Dechrau -" in page
    assert "Mae problem wedi codi" in page
    assert '<span class="govuk-visually-hidden">Gwall:</span> Rhowch eich cyfeirnod' in page


def test_a_field_with_two_errors_shows_one_message(renderer: PageRenderer) -> None:
    errors = [
        {"field": "reference", "message": "First"},
        {"field": "reference", "message": "Second"},
    ]
    page = _start(renderer, "en", errors=errors)
    assert page.count('id="reference-error"') == 1


def test_without_errors_there_is_no_summary(renderer: PageRenderer) -> None:
    page = _start(renderer, "en", errors=[])
    assert "govuk-error-summary" not in page
    assert "<title>Start" in page


def test_python_texts_are_translated_with_their_placeholders(renderer: PageRenderer) -> None:
    assert renderer.gettext("cy", "Start") == "Dechrau"
    assert (
        renderer.gettext("en", "This service is run by %(council)s.", council="X")
        == "This service is run by X."
    )


def test_an_unknown_language_is_an_error(renderer: PageRenderer) -> None:
    with pytest.raises(ValueError, match="fr"):
        renderer.render("fr", "start.html")


# --- headers -------------------------------------------------------------------------------------


def test_pages_may_load_only_from_this_site_and_may_not_be_framed() -> None:
    csp = security_headers(production=False)["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp


def test_form_action_allows_the_origins_the_caller_names() -> None:
    csp = security_headers(production=True, form_action_origins=["https://pay.gateway.example"])[
        "Content-Security-Policy"
    ]
    assert "form-action 'self' https://pay.gateway.example;" in csp


@pytest.mark.parametrize(
    "origin", ["pay.example", "https://pay.example/path", "https://a.example; script-src *", "*"]
)
def test_something_that_is_not_an_origin_is_refused_for_form_action(origin: str) -> None:
    with pytest.raises(ValueError, match="not an origin"):
        security_headers(production=True, form_action_origins=[origin])


def test_pages_are_not_cached_sniffed_or_framed() -> None:
    headers = security_headers(production=False)
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"


def test_pages_with_tokens_in_their_address_send_no_referrer() -> None:
    assert security_headers(production=False, no_referrer=True)["Referrer-Policy"] == "no-referrer"


def test_hsts_is_sent_in_production_only() -> None:
    assert "Strict-Transport-Security" not in security_headers(production=False)
    assert (
        security_headers(production=True)["Strict-Transport-Security"]
        == f"max-age={HSTS_MAX_AGE_S}; includeSubDomains"
    )


def test_send_page_sets_the_status_type_headers_and_body() -> None:
    app = falcon.App()

    class Resource:
        def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
            send_page(resp, "<p>Hi</p>", production=True, status=HTTPStatus.CREATED)

    app.add_route("/", Resource())
    result = falcon.testing.TestClient(app).simulate_get("/")
    assert result.status_code == 201
    assert result.headers["content-type"] == "text/html; charset=utf-8"
    assert result.headers["cache-control"] == "no-store"
    assert "strict-transport-security" in result.headers
    assert result.text == "<p>Hi</p>"


# --- error pages ---------------------------------------------------------------------------------


def _error(renderer: PageRenderer, language: str, status: HTTPStatus, body: dict[str, str]) -> str:
    return render_error_page(renderer, language, status, body, **_layout_context())


@pytest.mark.parametrize(
    ("status", "code", "english", "welsh"),
    [
        (HTTPStatus.BAD_REQUEST, "INVALID_REQUEST", "There is a problem", "Mae problem wedi codi"),
        (
            HTTPStatus.FORBIDDEN,
            "CSRF_REFUSED",
            "Your session has expired",
            "Mae eich sesiwn wedi dod i ben",
        ),
        (HTTPStatus.NOT_FOUND, "NOT_FOUND", "Page not found", "Heb ddod o hyd i&#39;r dudalen"),
        (
            HTTPStatus.INTERNAL_SERVER_ERROR,
            "INTERNAL_ERROR",
            "Sorry, there is a problem with the service",
            "Mae&#39;n ddrwg gennym, mae problem gyda&#39;r gwasanaeth",
        ),
        (
            HTTPStatus.SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            "Sorry, there is a problem with the service",
            "Mae&#39;n ddrwg gennym, mae problem gyda&#39;r gwasanaeth",
        ),
    ],
)
def test_error_pages_have_a_title_for_their_status_in_both_languages(
    renderer: PageRenderer, status: HTTPStatus, code: str, english: str, welsh: str
) -> None:
    body = {"code": code, "description": "What went wrong."}
    assert f'<h1 class="govuk-heading-l">{english}</h1>' in _error(renderer, "en", status, body)
    assert f'<h1 class="govuk-heading-l">{welsh}</h1>' in _error(renderer, "cy", status, body)


def test_a_refusal_shows_its_description_marked_as_english_on_a_welsh_page(
    renderer: PageRenderer,
) -> None:
    body = {"code": "INVALID_REQUEST", "description": "The amount must be <b>positive</b>."}
    english = _error(renderer, "en", HTTPStatus.BAD_REQUEST, body)
    assert '<p class="govuk-body">The amount must be &lt;b&gt;positive&lt;/b&gt;.</p>' in english
    welsh = _error(renderer, "cy", HTTPStatus.BAD_REQUEST, body)
    assert '<p class="govuk-body" lang="en">The amount must be' in welsh


def test_a_failure_of_ours_shows_the_request_id_never_the_detail(renderer: PageRenderer) -> None:
    token = bind_request_id("req-42")
    try:
        body = {"code": "INTERNAL_ERROR", "description": "Traceback: secret internals"}
        english = _error(renderer, "en", HTTPStatus.INTERNAL_SERVER_ERROR, body)
        welsh = _error(renderer, "cy", HTTPStatus.INTERNAL_SERVER_ERROR, body)
    finally:
        reset_request_id(token)
    assert "secret internals" not in english and "secret internals" not in welsh
    assert "quote reference req-42" in english
    assert "rhowch y cyfeirnod req-42" in welsh


def test_a_refusal_shows_no_request_id(renderer: PageRenderer) -> None:
    token = bind_request_id("req-43")
    try:
        page = _error(renderer, "en", HTTPStatus.NOT_FOUND, {"code": "NOT_FOUND"})
    finally:
        reset_request_id(token)
    assert "req-43" not in page


def test_an_error_page_in_an_unknown_language_is_shown_in_english(renderer: PageRenderer) -> None:
    page = _error(renderer, "fr", HTTPStatus.NOT_FOUND, {"code": "NOT_FOUND"})
    assert '<html lang="en"' in page


def test_an_error_page_that_cannot_be_drawn_is_replaced_by_a_plain_one(
    renderer: PageRenderer, caplog: pytest.LogCaptureFixture
) -> None:
    # No council or service name: the layout cannot be drawn (StrictUndefined), but the resident
    # still gets a page with the title.
    page = render_error_page(
        renderer, "cy", HTTPStatus.NOT_FOUND, {"code": "NOT_FOUND"}, council=object()
    )
    assert page.startswith('<!DOCTYPE html><html lang="cy">')
    assert "<h1>Heb ddod o hyd i&#x27;r dudalen</h1>" in page
    assert "could not be rendered" in caplog.text
