"""What every checkout page shares: the language, the basket cookie, the layout's context, the
anti-forgery check, security headers, the messages for a form's problems, and error pages.

A request begins with `Pages.begin`, which sets the security headers first (so even an error page
has them), chooses the language (remembering `?lang=`), and opens the basket from the sealed
cookie (a new, empty one with a fresh anti-forgery seed if there is none). A page is sent with
`show`, a redirect with `redirect`; both seal the basket into the cookie again, which also keeps
it alive while the resident is busy.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import falcon

from channels.web_checkout.basket import Basket, BasketCookie, new_basket
from channels.web_checkout.errors import BasketRefused, EmailRefused, NoPaymentFound
from channels.web_checkout.service import CheckoutService, FieldProblem, PayableFund
from receipting.council.references import as_sentence
from receipting.council.service import DEFAULT_PRESENTATION, CouncilPresentation
from receipting.settings import Settings
from receipting.web.cookies import set_cookie
from receipting.web.csrf import CSRF_FIELD, check_csrf, csrf_token, new_csrf_seed
from receipting.web.forms import read_form
from receipting.web.i18n import choose_language, format_pounds, remember_requested_language
from receipting.web.pages import N_, PageRenderer, render_error_page, security_headers

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
LOCALE_DIR = PACKAGE_DIR / "locale"

# How long a basket lives after the resident's last page: longer than the gateway gives a payment
# (90 minutes) plus time to come back and print the receipt; short enough that a shared computer
# forgets it the same day. Each page view starts the time again.
CHECKOUT_COOKIE_MAX_AGE_S = 4 * 60 * 60

SERVICE_NAME_TEXT = N_("Pay the council")

CurrentResident = Callable[[falcon.Request], str | None]

log = logging.getLogger(__name__)

# --- the messages for what was typed, by field and kind of problem ------------------------------

REFERENCE_MESSAGES: Mapping[str, str] = {
    "empty": N_("Enter your reference"),
    "too_long": N_("The reference is too long"),
    "wrong_length": N_("The reference has the wrong number of characters"),
    "wrong_character": N_("The reference has a character that should not be there"),
    "pattern": N_("The reference is not in the right format"),
    "check_character": N_("The reference is not right. Check it against your bill"),
    "on_stop": N_("This reference cannot be paid online. Contact the council"),
    "fund_retired": N_("This can no longer be paid online. Contact the council"),
    "invalid": N_("Check the reference on your bill and enter it again"),
}
# Problems with the reference's format, after which the format itself is explained.
FORMAT_PROBLEMS = frozenset(
    {"too_long", "wrong_length", "wrong_character", "pattern", "check_character"}
)
AMOUNT_MESSAGES: Mapping[str, str] = {
    "empty": N_("Enter the amount you want to pay"),
    "not_a_number": N_("Enter the amount in pounds and pence, like 125.50"),
    "negative": N_("Enter the amount without a minus sign"),
    "too_many_decimals": N_(
        "Enter the amount with no more than 2 numbers after the decimal point, like 125.50"
    ),
    "zero": N_("Enter an amount more than £0.00"),
    "too_large": N_("The amount must be %(maximum)s or less"),
}
EMAIL_MESSAGES: Mapping[str, str] = {
    "too_long": N_("Email address must be 254 characters or fewer"),
    "format": N_("Enter an email address in the correct format, like name@example.com"),
}
BASKET_MESSAGES: Mapping[str, str] = {
    "duplicate": N_(
        "This reference is already in your basket. To pay a different amount, change it in "
        "your basket"
    ),
    "full": N_("You can pay up to %(count)s bills in one payment. Pay these first"),
    "total_too_large": N_(
        "One payment can be at most %(maximum)s in total. Pay the rest in another payment"
    ),
}
# The field an error summary links to for each basket problem.
BASKET_FIELDS: Mapping[str, str] = {
    "duplicate": "reference",
    "full": "reference",
    "total_too_large": "amount",
}


@dataclass(frozen=True, slots=True)
class PageError:
    field: str
    message: str


@dataclass
class PageRequest:
    """One request's language, basket and council, as `begin` found them."""

    language: str
    basket: Basket
    council: CouncilPresentation
    resident_id: str | None
    had_cookie: bool
    extra_headers: dict[str, str] = field(default_factory=dict)


class Pages:
    def __init__(
        self,
        settings: Settings,
        service: CheckoutService,
        renderer: PageRenderer,
        clock: Callable[[], datetime],
        *,
        current_resident: CurrentResident | None = None,
        sign_in_enabled: bool = False,
        form_action_origins: Sequence[str] = (),
        on_success: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        # Called with a payment's id each time its confirmation is shown (emails its receipt).
        self.on_success = on_success
        self.service = service
        self.renderer = renderer
        self._clock = clock
        self._cookie = BasketCookie(settings.secret_key, max_age_s=CHECKOUT_COOKIE_MAX_AGE_S)
        self._current_resident = current_resident
        self._sign_in_enabled = sign_in_enabled
        self._form_action_origins = tuple(form_action_origins)

    @property
    def production(self) -> bool:
        return self.settings.secure_cookies

    # --- a request's beginning and end ----------------------------------------------------------

    def begin(self, req: falcon.Request, resp: falcon.Response) -> PageRequest:
        resp.set_headers(self._headers())
        language = choose_language(req)
        remember_requested_language(req, resp, secure=self.settings.secure_cookies)
        opened = self._cookie.open(req.cookies.get(BasketCookie.NAME), self._clock())
        basket = opened if opened is not None else new_basket(new_csrf_seed())
        page = PageRequest(
            language=language,
            basket=basket,
            council=self.service.council(),
            resident_id=self._current_resident(req) if self._current_resident else None,
            had_cookie=opened is not None,
        )
        req.context.checkout_page = page
        return page

    def check_form(self, req: falcon.Request, page: PageRequest) -> dict[str, str]:
        """The posted form, once its anti-forgery token matches this browser's seed."""
        form = read_form(req)
        seed = page.basket.csrf_seed if page.had_cookie else None
        check_csrf(self.settings.secret_key, seed, form.get(CSRF_FIELD))
        return form

    def show(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        page: PageRequest,
        template: str,
        *,
        status: HTTPStatus = HTTPStatus.OK,
        **context: Any,
    ) -> None:
        layout = self.layout(req, page)
        del layout["language"]  # render() sets it from its first argument
        html = self.renderer.render(page.language, template, **layout, **context)
        self.save(resp, page)
        resp.status = status
        resp.content_type = falcon.MEDIA_HTML
        resp.text = html

    def redirect(self, resp: falcon.Response, page: PageRequest, location: str) -> None:
        self.save(resp, page)
        resp.status = HTTPStatus.SEE_OTHER
        resp.location = location
        # An empty body, but a page's type: these addresses answer pages, never JSON.
        resp.content_type = falcon.MEDIA_HTML
        # An empty page, said to be one: the API's JSON default would be wrong here.
        resp.content_type = falcon.MEDIA_HTML
        resp.text = ""

    def save(self, resp: falcon.Response, page: PageRequest) -> None:
        set_cookie(
            resp,
            BasketCookie.NAME,
            self._cookie.seal(page.basket, self._clock()),
            secure=self.settings.secure_cookies,
            max_age_s=CHECKOUT_COOKIE_MAX_AGE_S,
        )

    def layout(self, req: falcon.Request, page: PageRequest) -> dict[str, Any]:
        """What the web layer's layout.html needs, and what every checkout page uses."""
        return {
            "language": page.language,
            "council": page.council,
            "service_name": self.text(page, SERVICE_NAME_TEXT),
            "service_url": "/pay",
            "current_url_path": req.path,
            "csrf_token": csrf_token(self.settings.secret_key, page.basket.csrf_seed),
            "signed_in": page.resident_id is not None,
            "sign_in_enabled": self._sign_in_enabled,
            "basket_count": len(page.basket.items),
        }

    def _headers(self) -> dict[str, str]:
        return security_headers(
            production=self.production, form_action_origins=self._form_action_origins
        )

    # --- texts ----------------------------------------------------------------------------------

    def text(self, page: PageRequest, message: str, **variables: Any) -> str:
        return self.renderer.gettext(page.language, message, **variables)

    def field_errors(
        self, page: PageRequest, fund: PayableFund, problems: Sequence[FieldProblem]
    ) -> list[PageError]:
        return [PageError(p.field, self._problem_text(page, fund, p)) for p in problems]

    def _problem_text(self, page: PageRequest, fund: PayableFund, problem: FieldProblem) -> str:
        if problem.field == "reference":
            return self.reference_text(page, fund, problem)
        if problem.field == "amount":
            message = AMOUNT_MESSAGES.get(problem.kind, AMOUNT_MESSAGES["not_a_number"])
            return self.text(page, message, maximum=format_pounds(problem.limit_pence))
        message = EMAIL_MESSAGES.get(problem.kind, EMAIL_MESSAGES["format"])
        return self.text(page, message)

    def reference_text(self, page: PageRequest, fund: PayableFund, problem: FieldProblem) -> str:
        """In English the engine's own plain-words message, which names the format and where to
        find the reference; in Welsh the catalogue's message for the kind of problem, followed by
        the rule's Welsh description and hint when the council has given them."""
        if page.language == "en" and problem.message:
            return problem.message.rstrip(".")
        message = REFERENCE_MESSAGES.get(problem.kind, REFERENCE_MESSAGES["invalid"])
        parts = [as_sentence(self.text(page, message))]
        if problem.kind in FORMAT_PROBLEMS:
            for extra in (fund.description_in(page.language), fund.hint_in(page.language)):
                if extra:
                    parts.append(as_sentence(extra))
        # GOV.UK error messages end without a full stop.
        return " ".join(parts).rstrip(".")

    def email_error(self, page: PageRequest, refused: EmailRefused) -> PageError:
        message = EMAIL_MESSAGES.get(refused.problem.value, EMAIL_MESSAGES["format"])
        return PageError("email", self.text(page, message))

    def basket_error(self, page: PageRequest, refused: BasketRefused) -> PageError:
        kind = refused.problem.value
        message = self.text(
            page,
            BASKET_MESSAGES[kind],
            count=refused.limit,
            maximum=format_pounds(refused.limit),
        )
        return PageError(BASKET_FIELDS[kind], message)

    # --- errors as pages ------------------------------------------------------------------------

    def error_page(self, req: falcon.Request, status: HTTPStatus, body: Mapping[str, Any]) -> str:
        page = getattr(req.context, "checkout_page", None)
        language = page.language if page is not None else choose_language(req)
        council = page.council if page is not None else DEFAULT_PRESENTATION
        layout: dict[str, Any] = {
            "council": council,
            "service_name": self.renderer.gettext(language, SERVICE_NAME_TEXT),
            "service_url": "/pay",
            "current_url_path": req.path,
            "signed_in": False,
            "sign_in_enabled": self._sign_in_enabled,
        }
        if body.get("code") == NoPaymentFound.code:
            try:
                return self.renderer.render(language, "no_payment.html", **layout)
            except Exception:
                log.exception("the no-payment page could not be rendered")
        return render_error_page(self.renderer, language, status, body, **layout)


def origin_of(url: str) -> str | None:
    """scheme://host[:port] of an absolute http(s) URL, for the form-action policy."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"
