"""The sandbox's hosted card pages, played at /sandbox-gateway/: what a real gateway shows the
payer. Plain HTML forms, no JavaScript.

`GET /sandbox-gateway/pay/{gateway_ref}` shows the card form (or the 3-D Secure challenge, or
"this payment is finished"); the form posts back to the same address, and the challenge to
`.../3ds`. When the payer is done their browser is sent (303) to the service's return_url.

Every page is sent with no-store cache headers and may not be framed; every form carries the
transaction's anti-forgery token. The card number and security code are never sent back to the
browser, not even when the form is shown again with errors.

The pages speak the payment's language (`en` or `cy`, as the service asked when it created the
payment): texts come from the gettext catalogues in `locale/`, whose message ids are the English
texts. The form's errors are English sentences from the card checks; they are looked up in the same
catalogue, so each has its Welsh beside it there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from gettext import NullTranslations
from http import HTTPStatus
from pathlib import Path
from typing import Any

import falcon
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from receipting.api.errors import UnsupportedContentType
from receipting.api.openapi import Operation, Parameter, RouteRegistry
from receipting.errors import InvalidRequest
from receipting.gateways.base import GatewayState
from receipting.gateways.sandbox import SANDBOX_PATH_PREFIX
from receipting.gateways.sandbox.gateway import (
    LANGUAGES,
    CardForm,
    PageView,
    SandboxFormRefused,
    SandboxGateway,
    SandboxPageNotFound,
)
from receipting.web.forms import read_form as read_posted_form
from receipting.web.i18n import Catalogues, format_pounds

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

# A payment in a language the pages have no catalogue for is shown in English; the gateway refuses
# such payments when they are created, so this is only a safety net.
DEFAULT_LANGUAGE = "en"

# GOV.UK Frontend's stylesheet and the engine's own (which sets GOV.UK's typeface name to Arial),
# as receipting.web.assets serves them. Where they are not served the pages are unstyled HTML,
# which still works: they have no script and no layout tricks.
STYLESHEET_URLS = (
    "/assets/stylesheets/govuk-frontend.min.css",
    "/assets/stylesheets/council.css",
)

HTML_MEDIA_TYPE = "text/html; charset=utf-8"

# The card form is a handful of short fields, well under a kilobyte; 8 KiB leaves ample room
# while refusing anything that is not this form before it is parsed.
MAX_FORM_BODY_BYTES = 8 * 1024

# The most fields any of these forms has is seven; more is not a form of ours.
MAX_FORM_FIELDS = 20

# Card pages hold payment details: never cached, never framed by another site (clickjacking),
# and the page address (which carries the transaction's reference) never sent on as a referrer.
PAGE_HEADERS = {
    "Cache-Control": "no-store, max-age=0",
    "Pragma": "no-cache",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def catalogue_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"


def load_translations(language: str) -> NullTranslations:
    """The language's messages from its .po file (compiled in memory: no .mo files to build or
    ship); a language without a catalogue shows the English message ids."""
    return Catalogues([LOCALE_DIR], languages=(language,)).translations(language)


def make_environment(
    language: str = DEFAULT_LANGUAGE, translations: NullTranslations | None = None
) -> Environment:
    """The templates, with `_()` answering in `language` (Jinja's i18n extension, new style: the
    arguments of `_("... %(name)s", name=...)` are escaped, the catalogue's text is trusted)."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    if translations is None:
        translations = load_translations(language)
    environment.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    environment.globals["language"] = language
    environment.globals["stylesheet_urls"] = STYLESHEET_URLS
    environment.filters["pounds"] = format_pounds
    return environment


@dataclass(frozen=True, slots=True)
class PageLanguage:
    """The templates and message catalogue of one language."""

    code: str
    environment: Environment
    translations: NullTranslations

    def errors(self, errors: Mapping[str, str] | None) -> dict[str, str]:
        """The form's errors in this language. An English message with no entry in the catalogue
        is shown as it is (better English than nothing; a test keeps the catalogue complete)."""
        return {
            name: self.translations.gettext(message) for name, message in (errors or {}).items()
        }


def make_language(language: str) -> PageLanguage:
    translations = load_translations(language)
    return PageLanguage(language, make_environment(language, translations), translations)


def make_languages() -> dict[str, PageLanguage]:
    return {language: make_language(language) for language in LANGUAGES}


@dataclass(frozen=True, slots=True)
class FormValues:
    """What may be shown again in the form: never the card number or security code."""

    expiry_month: str = ""
    expiry_year: str = ""
    cardholder_name: str = ""


class _Page:
    auth_public = True  # the payer's browser has no API key: these are the gateway's pages

    def __init__(self, gateway: SandboxGateway, languages: Mapping[str, PageLanguage]) -> None:
        self._gateway = gateway
        self._languages = languages

    def _language(self, view: PageView) -> PageLanguage:
        return self._languages.get(view.language) or self._languages[DEFAULT_LANGUAGE]

    def _render(self, resp: falcon.Response, view: PageView, template: str, **context: Any) -> None:
        language = self._language(view)
        resp.content_type = HTML_MEDIA_TYPE
        resp.set_headers(PAGE_HEADERS)
        resp.set_header("Content-Language", language.code)
        resp.text = language.environment.get_template(template).render(view=view, **context)

    def _show(
        self,
        resp: falcon.Response,
        view: PageView,
        errors: Mapping[str, str] | None = None,
        values: FormValues | None = None,
    ) -> None:
        pay_path = f"{SANDBOX_PATH_PREFIX}/pay/{view.gateway_ref}"
        if view.state in (GatewayState.CREATED, GatewayState.STARTED):
            if values is None:
                values = FormValues(cardholder_name=view.prefilled_cardholder_name or "")
            self._render(
                resp,
                view,
                "card_form.html",
                errors=self._language(view).errors(errors),
                values=values,
                action=pay_path,
            )
        elif view.state == GatewayState.SUBMITTED:
            self._render(resp, view, "challenge.html", errors={}, action=f"{pay_path}/3ds")
        else:
            self._render(resp, view, "finished.html", errors={})


class CardPageResource(_Page):
    def on_get(self, req: falcon.Request, resp: falcon.Response, gateway_ref: str) -> None:
        self._show(resp, self._gateway.open_page(gateway_ref))

    def on_post(self, req: falcon.Request, resp: falcon.Response, gateway_ref: str) -> None:
        form = read_form(req)
        token = form.get("form_token", "")
        if form.get("action") == "cancel":
            raise falcon.HTTPSeeOther(self._gateway.cancel_by_payer(gateway_ref, token))
        card = CardForm(
            card_number=form.get("card_number", ""),
            expiry_month=form.get("expiry_month", ""),
            expiry_year=form.get("expiry_year", ""),
            cvc=form.get("cvc", ""),
            cardholder_name=form.get("cardholder_name", ""),
        )
        submission = self._gateway.submit_card(gateway_ref, token, card)
        if submission.redirect_to is not None:
            raise falcon.HTTPSeeOther(submission.redirect_to)
        values = FormValues(
            expiry_month=card.expiry_month.strip(),
            expiry_year=card.expiry_year.strip(),
            cardholder_name=card.cardholder_name.strip(),
        )
        self._show(resp, submission.view, submission.errors, values)


class ChallengeResource(_Page):
    def on_post(self, req: falcon.Request, resp: falcon.Response, gateway_ref: str) -> None:
        form = read_form(req)
        action = form.get("action")
        if action not in ("authorise", "fail"):
            raise InvalidRequest(
                "Choose Authorise or Fail authentication on the 3-D Secure page.", field="action"
            )
        where = self._gateway.answer_challenge(
            gateway_ref, form.get("form_token", ""), authorised=action == "authorise"
        )
        raise falcon.HTTPSeeOther(where)


def read_form(req: falcon.Request) -> dict[str, str]:
    """The posted form's fields (the first value of each), within the card page's limits."""
    return read_posted_form(req, max_bytes=MAX_FORM_BODY_BYTES, max_fields=MAX_FORM_FIELDS)


# --- routes -------------------------------------------------------------------------------------

GATEWAY_REF = Parameter(
    "gateway_ref",
    "path",
    "The sandbox gateway's reference for the transaction, from the payment's next_url.",
    {"type": "string", "maxLength": 64},
)
HTML_PAGE = {"type": "string", "description": "An HTML page (text/html), not JSON."}
TAGS = ("sandbox gateway",)

CARD_PAGE_OPERATION = Operation(
    operation_id="sandboxGatewayCardPage",
    summary="The sandbox gateway's hosted card page (HTML, for the payer's browser)",
    description=(
        "Shows the card form; opening it moves the transaction from created to started. Shows "
        "the simulated 3-D Secure challenge while one is pending, and 'this payment is finished' "
        "once it is. Served only while RECEIPTING_SANDBOX_GATEWAY is on."
    ),
    response_schema=HTML_PAGE,
    success_media_type="text/html",
    parameters=(GATEWAY_REF,),
    errors=(SandboxPageNotFound,),
    tags=TAGS,
)
CARD_SUBMIT_OPERATION = Operation(
    operation_id="sandboxGatewaySubmitCard",
    summary="Submit the sandbox card form (an HTML form post)",
    description=(
        "Takes application/x-www-form-urlencoded fields form_token, action (pay or cancel), "
        "card_number, expiry_month, expiry_year, cvc and cardholder_name. Answers 303 to the "
        "service's return_url once the payment has an outcome (or to the 3-D Secure challenge), "
        "or 200 with the form again and its errors. Submitting twice charges once."
    ),
    response_schema=HTML_PAGE,
    success_media_type="text/html",
    parameters=(GATEWAY_REF,),
    errors=(SandboxPageNotFound, SandboxFormRefused, UnsupportedContentType),
    tags=TAGS,
    success_status=HTTPStatus.SEE_OTHER,
    success_description="Sent on to the service's return_url or the 3-D Secure challenge.",
)
CHALLENGE_OPERATION = Operation(
    operation_id="sandboxGatewayAnswerChallenge",
    summary="Answer the simulated 3-D Secure challenge (an HTML form post)",
    description=(
        "Takes form fields form_token and action: authorise (the payment succeeds, or waits for "
        "capture) or fail (it fails with P0010). Answers 303 to the service's return_url."
    ),
    response_schema=HTML_PAGE,
    success_media_type="text/html",
    parameters=(GATEWAY_REF,),
    errors=(SandboxPageNotFound, SandboxFormRefused, UnsupportedContentType),
    tags=TAGS,
    success_status=HTTPStatus.SEE_OTHER,
    success_description="Sent on to the service's return_url.",
)


def register(registry: RouteRegistry, gateway: SandboxGateway) -> None:
    languages = make_languages()
    registry.add(
        f"{SANDBOX_PATH_PREFIX}/pay/{{gateway_ref}}",
        CardPageResource(gateway, languages),
        {"GET": CARD_PAGE_OPERATION, "POST": CARD_SUBMIT_OPERATION},
    )
    registry.add(
        f"{SANDBOX_PATH_PREFIX}/pay/{{gateway_ref}}/3ds",
        ChallengeResource(gateway, languages),
        {"POST": CHALLENGE_OPERATION},
    )
