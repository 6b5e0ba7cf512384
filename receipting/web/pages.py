"""Rendering pages: one Jinja environment per language, security headers, HTML error pages.

Every environment autoescapes, treats a missing variable as an error (a typo in a template fails
its test rather than showing an empty gap to a resident), and has that language's translations
installed for `_()` (new-style gettext: `_("Pay %(amount)s", amount=...)` is escaped properly).
The web layer's own templates and catalogues come first, then the channel's.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any

import falcon
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from receipting.logs import current_request_id
from receipting.web.errors import CsrfRefused
from receipting.web.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    Catalogues,
    format_long_date,
    format_pounds,
    format_time,
)

WEB_DIR = Path(__file__).resolve().parent
WEB_TEMPLATES_DIR = WEB_DIR / "templates"
WEB_LOCALE_DIR = WEB_DIR / "locale"

HTML_MEDIA_TYPE = "text/html; charset=utf-8"

# Browsers that have seen this header keep to https for a year, subdomains included: the
# minimum the HSTS preload list accepts.
HSTS_MAX_AGE_S = 365 * 24 * 60 * 60

# An origin a form may post to (or be redirected to after posting): scheme, host and port only.
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?")

log = logging.getLogger(__name__)


def N_(message: str) -> str:  # gettext's conventional name for "mark only"
    """Mark a text for the catalogues without translating it yet (it is translated when shown)."""
    return message


class PageRenderer:
    def __init__(
        self,
        template_dirs: Sequence[Path],
        catalogue_dirs: Sequence[Path],
        *,
        globals: Mapping[str, Any] | None = None,  # the contract's name, as Jinja's
    ) -> None:
        self.catalogues = Catalogues([WEB_LOCALE_DIR, *catalogue_dirs])
        loader = FileSystemLoader([WEB_TEMPLATES_DIR, *template_dirs])
        self._environments = {
            language: self._environment(loader, language, globals or {}) for language in LANGUAGES
        }

    def _environment(
        self, loader: FileSystemLoader, language: str, extra_globals: Mapping[str, Any]
    ) -> Environment:
        environment = Environment(
            loader=loader,
            autoescape=True,
            undefined=StrictUndefined,
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        environment.install_gettext_translations(  # type: ignore[attr-defined]
            self.catalogues.translations(language), newstyle=True
        )
        environment.filters["pounds"] = format_pounds
        environment.filters["long_date"] = lambda value: _long_date(value, language)
        environment.filters["time"] = format_time
        environment.filters["local_path"] = local_path
        environment.globals.update(extra_globals)
        return environment

    def environment(self, language: str) -> Environment:
        try:
            return self._environments[language]
        except KeyError:
            raise ValueError(f"No pages in {language!r}; the languages are {LANGUAGES}.") from None

    def render(self, language: str, template: str, **context: Any) -> str:
        context.setdefault("language", language)
        return self.environment(language).get_template(template).render(**context)

    def gettext(self, language: str, message: str, **variables: Any) -> str:
        """A text in `language`, with %(name)s placeholders filled (for texts made in Python)."""
        text = self.catalogues.gettext(language, message)
        return text % variables if variables else text


def _long_date(value: date | datetime, language: str) -> str:
    return format_long_date(value, language)


def local_path(path: object) -> str:
    """`path` if it is a path on this site, else "/": a link built from the request's path must
    not become a link to another site ("//evil.example" is one)."""
    if not isinstance(path, str) or not path.startswith("/") or path.startswith(("//", "/\\")):
        return "/"
    return path


# --- headers -----------------------------------------------------------------------------------


def security_headers(
    *,
    production: bool,
    form_action_origins: Sequence[str] = (),
    no_referrer: bool = False,
) -> dict[str, str]:
    """Headers for every page: what it may load, that it is not framed or cached, and HSTS.

    `form_action_origins` are the other origins a form may post to. Browsers apply form-action to
    the redirects after a post too, so a form answered with a 303 to a payment gateway on another
    origin needs that gateway's origin here. `no_referrer` is for pages whose address carries a
    token, so it is not sent on to other sites.
    """
    for origin in form_action_origins:
        if not _ORIGIN.fullmatch(origin):
            raise ValueError(
                f"{origin!r} is not an origin; give scheme, host and port only, such as "
                "https://pay.example.com"
            )
    form_action = " ".join(("'self'", *form_action_origins))
    headers = {
        "Content-Security-Policy": (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"font-src 'self'; connect-src 'self'; object-src 'none'; form-action {form_action}; "
            "frame-ancestors 'none'; base-uri 'none'"
        ),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer" if no_referrer else "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
        # Pages show a resident's payments: never kept by the browser or a proxy.
        "Cache-Control": "no-store",
        "Pragma": "no-cache",
    }
    if production:
        headers["Strict-Transport-Security"] = f"max-age={HSTS_MAX_AGE_S}; includeSubDomains"
    return headers


def send_page(
    resp: falcon.Response,
    html_text: str,
    *,
    production: bool,
    status: HTTPStatus = HTTPStatus.OK,
    form_action_origins: Sequence[str] = (),
    no_referrer: bool = False,
) -> None:
    resp.status = status
    resp.content_type = HTML_MEDIA_TYPE
    resp.set_headers(
        security_headers(
            production=production,
            form_action_origins=form_action_origins,
            no_referrer=no_referrer,
        )
    )
    resp.text = html_text


# --- error pages -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ErrorTexts:
    title: str
    paragraphs: tuple[str, ...] = ()
    show_description: bool = False
    show_request_id: bool = False


PROBLEM = ErrorTexts(
    N_("There is a problem"),
    (N_("Go back and check what you entered, then try again."),),
    show_description=True,
)
FORM_EXPIRED = ErrorTexts(
    N_("Your session has expired"),
    (
        N_(
            "This form has expired or was not sent from this site, so nothing was done. "
            "Go back, reload the page and try again."
        ),
    ),
)
PAGE_NOT_FOUND = ErrorTexts(
    N_("Page not found"),
    (
        N_("If you typed the web address, check it is correct."),
        N_("If you pasted the web address, check you copied the entire address."),
    ),
)
SERVICE_PROBLEM = ErrorTexts(
    N_("Sorry, there is a problem with the service"),
    (N_("Try again later."),),
    show_request_id=True,
)
SERVICE_UNAVAILABLE = ErrorTexts(
    N_("Sorry, there is a problem with the service"),
    (N_("The service is not available just now. Try again in a few minutes."),),
    show_request_id=True,
)

# The texts of the error pages, for the catalogue test: each must have a Welsh translation.
ERROR_PAGE_MESSAGES: tuple[str, ...] = tuple(
    text
    for texts in (PROBLEM, FORM_EXPIRED, PAGE_NOT_FOUND, SERVICE_PROBLEM, SERVICE_UNAVAILABLE)
    for text in (texts.title, *texts.paragraphs)
)


def error_texts(status: HTTPStatus, code: str | None) -> ErrorTexts:
    if code == CsrfRefused.code:
        return FORM_EXPIRED
    if status == HTTPStatus.NOT_FOUND:
        return PAGE_NOT_FOUND
    if status == HTTPStatus.SERVICE_UNAVAILABLE:
        return SERVICE_UNAVAILABLE
    if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        return SERVICE_PROBLEM
    return PROBLEM


def render_error_page(
    renderer: PageRenderer,
    language: str,
    status: HTTPStatus,
    body: Mapping[str, Any],
    **context: Any,
) -> str:
    """The page for an error, in the resident's language, for a resource's `error_page`.

    `body` is the API's error body ({code, description, field}); `context` is what the layout
    needs (council, service_name, current_url_path, ...). A refusal shows its description (the
    error's own English text, marked lang="en"); a failure of ours shows a generic text and the
    request id to quote, never the detail. Never raises: if the page itself cannot be drawn, a
    plain one is sent instead.
    """
    if language not in LANGUAGES:
        language = DEFAULT_LANGUAGE
    texts = error_texts(status, body.get("code"))
    description = body.get("description") if texts.show_description else None
    request_id = (current_request_id() or "") if texts.show_request_id else ""
    title = renderer.gettext(language, texts.title)
    try:
        return renderer.render(
            language,
            "error.html",
            **{
                **context,
                "title": title,
                "paragraphs": [renderer.gettext(language, p) for p in texts.paragraphs],
                "description": description or "",
                "request_id": request_id,
            },
        )
    except Exception:
        log.exception("The %d error page could not be rendered; sending a plain one.", status)
        return _plain_error_page(language, title, request_id)


def _plain_error_page(language: str, title: str, request_id: str) -> str:
    reference = f"<p>{html.escape(request_id)}</p>" if request_id else ""
    return (
        f'<!DOCTYPE html><html lang="{html.escape(language)}"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body><main><h1>{html.escape(title)}</h1>"
        f"{reference}</main></body></html>"
    )
