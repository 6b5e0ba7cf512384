"""Signing in (optional for paying) and "your account": saved references, payments made signed
in, their receipts. A resident sees only their own; anything else answers as if it did not exist.

    GET  /account/sign-in?return_to=/pay/check   -> 303 the provider's authorize page
    GET  /account/callback                      back from the provider: signed in, or refused
    GET  /account                               your account (sends a guest to sign in)
    POST /account/references                    save a reference (checked by its fund's rule)
    POST /account/references/{saved_id}/remove
    GET  /account/payments/{payment_id}         the receipt of one of your payments
    POST /account/sign-out                      -> the provider's logout, then /account/signed-out
    GET  /account/signed-out
    GET  /.well-known/jwks.json                 this engine's public keys, for private_key_jwt

The sign-in's `state` is bound twice: to this browser (a sealed cookie) and to one stored attempt
that can be taken once. A refused sign-in stores nothing and shows a page saying why and offering
to try again. The session itself is server-side; the browser's cookie holds only a random token.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime
from http import HTTPStatus
from typing import Any

import falcon

from channels.web_checkout.pages import PageRequest, Pages
from channels.web_checkout.resources import show_payment
from channels.web_checkout.service import Outcome
from receipting.auth.oidc import OidcClient, SignInRefused
from receipting.auth.oidc.pkce import new_state
from receipting.residents.errors import SignInAttemptUnknown
from receipting.residents.service import SESSION_TTL, ResidentService, safe_return_path
from receipting.web.cookies import SealedCookie, clear_cookie, set_cookie
from receipting.web.pages import N_

log = logging.getLogger(__name__)

SESSION_COOKIE = "resident_session"
SIGN_IN_COOKIE = "sign_in"
# Long enough to sign in at the provider, like the stored attempt it is bound to.
SIGN_IN_COOKIE_MAX_AGE_S = 15 * 60
ACCOUNT_PATH = "/account"
CALLBACK_PATH = "/account/callback"
SIGNED_OUT_PATH = "/account/signed-out"

# The reason codes of refused sign-ins, in words a resident understands (both languages).
REFUSED_TEXT = N_("We could not sign you in")
REFUSAL_TEXTS: dict[str, str] = {
    "state_unknown": N_(
        "This sign-in link has already been used, has expired, or was not started from this "
        "browser."
    ),
    "provider_error": N_("The sign-in service did not sign you in."),
    "code_rejected": N_("The sign-in code was already used or has expired."),
    "vot_too_low": N_("You did not sign in with the level of security this service needs."),
    "vot_missing": N_("You did not sign in with the level of security this service needs."),
}
GENERIC_REFUSAL_TEXT = N_("The sign-in service's answer could not be trusted.")
SAVED_REFERENCE_ADDED = N_("Reference saved")


class Accounts:
    """What the checkout pages ask about residents, and what the account pages share."""

    def __init__(
        self,
        pages: Pages,
        residents: ResidentService,
        oidc: OidcClient | None,
        clock: Callable[[], datetime],
    ) -> None:
        self.pages = pages
        self.residents = residents
        self.oidc = oidc
        self._clock = clock
        self._sign_in_cookie = SealedCookie(
            pages.settings.secret_key, "sign-in", max_age_s=SIGN_IN_COOKIE_MAX_AGE_S
        )

    @property
    def redirect_uri(self) -> str:
        return self.pages.settings.public_url + CALLBACK_PATH

    # --- cookies ------------------------------------------------------------------------------

    def remember_attempt(self, resp: falcon.Response, state: str) -> None:
        sealed = self._sign_in_cookie.seal({"state": state}, self._clock())
        set_cookie(
            resp,
            SIGN_IN_COOKIE,
            sealed,
            secure=self.pages.settings.secure_cookies,
            max_age_s=SIGN_IN_COOKIE_MAX_AGE_S,
        )

    def attempt_state(self, req: falcon.Request) -> str | None:
        opened = self._sign_in_cookie.open(req.cookies.get(SIGN_IN_COOKIE), self._clock())
        state = None if opened is None else opened.get("state")
        return state if isinstance(state, str) else None

    def start_session(self, resp: falcon.Response, token: str) -> None:
        set_cookie(
            resp,
            SESSION_COOKIE,
            token,
            secure=self.pages.settings.secure_cookies,
            max_age_s=int(SESSION_TTL.total_seconds()),
        )

    def forget(self, resp: falcon.Response, name: str) -> None:
        clear_cookie(resp, name, secure=self.pages.settings.secure_cookies)


class _AccountResource:
    auth_public = True  # residents have no API key; each page checks its own session

    def __init__(self, accounts: Accounts) -> None:
        self._accounts = accounts
        self._pages = accounts.pages

    def error_page(self, req: falcon.Request, status: HTTPStatus, body: dict[str, Any]) -> str:
        return self._pages.error_page(req, status, body)

    def _oidc(self) -> OidcClient:
        if self._accounts.oidc is None:
            raise falcon.HTTPNotFound()
        return self._accounts.oidc

    def _signed_in(
        self, req: falcon.Request, resp: falcon.Response, page: PageRequest
    ) -> int | None:
        """The signed-in resident's id; a guest is sent (303) to sign in and come back here, and
        None says the answer is already made."""
        if page.resident_id is None:
            target = "/account/sign-in?" + falcon.to_query_str(
                {"return_to": req.relative_uri}, prefix=False
            )
            self._pages.redirect(resp, page, target)
            return None
        return int(page.resident_id)

    def _show(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        page: PageRequest,
        resident_id: int,
        *,
        errors: list[Any] | None = None,
        values: dict[str, str] | None = None,
    ) -> None:
        service = self._pages.service
        funds = service.fund_names()
        saved = [
            {
                "id": kept.id,
                "fund_code": kept.fund_code,
                "fund_name": funds[kept.fund_code].name_in(page.language)
                if kept.fund_code in funds
                else kept.fund_code,
                "reference": kept.reference,
                "payable": kept.fund_code in funds,
            }
            for kept in self._accounts.residents.saved_references(resident_id)
        ]
        payments = []
        for payment_id in self._accounts.residents.payment_ids(resident_id):
            view = service.view(payment_id)
            if view is not None:
                payments.append(view)
        self._pages.show(
            req,
            resp,
            page,
            "account.html",
            saved=saved,
            payments=payments,
            paid_on={
                view.payment_id: date.fromisoformat(view.created_date[:10]) for view in payments
            },
            funds=[fund for fund in service.payable_funds()],
            errors=errors or [],
            values=values or {},
            success=Outcome.SUCCESS,
        )


class SignInResource(_AccountResource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        page = self._pages.begin(req, resp)
        oidc = self._oidc()
        request = oidc.authorization_request(self._accounts.redirect_uri, page.language)
        return_to = safe_return_path(req.get_param("return_to"), default=ACCOUNT_PATH)
        self._accounts.residents.begin_sign_in(
            request.state, request.nonce, request.code_verifier, return_to, page.language
        )
        self._accounts.remember_attempt(resp, request.state)
        self._pages.redirect(resp, page, request.url)


class CallbackResource(_AccountResource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        page = self._pages.begin(req, resp)
        oidc = self._oidc()
        self._accounts.forget(resp, SIGN_IN_COOKIE)
        try:
            return_path = self._sign_in(req, resp, oidc)
        except SignInRefused as refused:
            # The error table decides the status; `error_page` shows why, in the page's language.
            log.warning("sign-in refused: %s", refused.reason)
            req.context.sign_in_refused = refused
            raise
        self._pages.redirect(resp, page, return_path)

    def error_page(self, req: falcon.Request, status: HTTPStatus, body: dict[str, Any]) -> str:
        refused = getattr(req.context, "sign_in_refused", None)
        page = getattr(req.context, "checkout_page", None)
        if refused is None or page is None:
            return self._pages.error_page(req, status, body)
        layout = self._pages.layout(req, page)
        reason = REFUSAL_TEXTS.get(refused.reason, GENERIC_REFUSAL_TEXT)
        return self._pages.renderer.render(
            page.language,
            "sign_in_failed.html",
            **{name: value for name, value in layout.items() if name != "language"},
            reason=self._pages.text(page, reason),
            provider_error=refused.provider_error,
        )

    def _sign_in(self, req: falcon.Request, resp: falcon.Response, oidc: OidcClient) -> str:
        params = {name: value for name, value in req.params.items() if isinstance(value, str)}
        callback = oidc.parse_callback(params)
        if callback.state != self._accounts.attempt_state(req):
            raise SignInRefused("state_unknown")
        try:
            attempt = self._accounts.residents.take_sign_in_attempt(callback.state)
        except SignInAttemptUnknown:
            raise SignInRefused("state_unknown") from None
        settings = self._pages.settings
        assert settings.oidc is not None, "a callback is only routed with a provider configured"
        signed_in = oidc.exchange_code(
            callback.code,
            self._accounts.redirect_uri,
            attempt.code_verifier,
            attempt.nonce,
            settings.oidc.vtr,
        )
        info = oidc.userinfo(signed_in.access_token, expected_sub=signed_in.sub)
        email = info.get("email") if info.get("email_verified", True) else None
        token, _session = self._accounts.residents.sign_in(
            settings.oidc.issuer,
            signed_in.sub,
            email if isinstance(email, str) else None,
            signed_in.id_token,
        )
        self._accounts.start_session(resp, token)
        return attempt.return_path


class AccountResource(_AccountResource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        page = self._pages.begin(req, resp)
        resident_id = self._signed_in(req, resp, page)
        if resident_id is None:
            return
        self._show(req, resp, page, resident_id)


class SavedReferencesResource(_AccountResource):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        page = self._pages.begin(req, resp)
        form = self._pages.check_form(req, page)
        resident_id = self._signed_in(req, resp, page)
        if resident_id is None:
            return
        fund_code = form.get("fund_code", "").strip().upper()
        service = self._pages.service
        funds = service.fund_names()
        values = {"fund_code": fund_code, "reference": form.get("reference", "")}
        if fund_code not in funds:
            errors = [
                {
                    "field": "fund_code",
                    "message": self._pages.text(page, N_("Choose what it is for")),
                }
            ]
            self._show(req, resp, page, resident_id, errors=errors, values=values)
            return
        fund = funds[fund_code]
        checked = service.check_reference(fund_code, values["reference"])
        if checked.problem is not None:
            message = self._pages.reference_text(page, fund, checked.problem)
            self._show(
                req,
                resp,
                page,
                resident_id,
                errors=[{"field": "reference", "message": message}],
                values=values,
            )
            return
        self._accounts.residents.save_reference(resident_id, fund_code, checked.reference)
        self._pages.redirect(resp, page, ACCOUNT_PATH)


class RemoveSavedReferenceResource(_AccountResource):
    def on_post(self, req: falcon.Request, resp: falcon.Response, saved_id: str) -> None:
        page = self._pages.begin(req, resp)
        self._pages.check_form(req, page)
        resident_id = self._signed_in(req, resp, page)
        if resident_id is None:
            return
        if not saved_id.isdigit():
            raise falcon.HTTPNotFound()
        self._accounts.residents.remove_reference(resident_id, int(saved_id))
        self._pages.redirect(resp, page, ACCOUNT_PATH)


class AccountPaymentResource(_AccountResource):
    def on_get(self, req: falcon.Request, resp: falcon.Response, payment_id: str) -> None:
        page = self._pages.begin(req, resp)
        resident_id = self._signed_in(req, resp, page)
        if resident_id is None:
            return
        # Another resident's payment answers exactly as one that does not exist.
        if not self._accounts.residents.owns_payment(resident_id, payment_id):
            raise falcon.HTTPNotFound()
        view = self._pages.service.view(payment_id)
        if view is None or view.outcome is not Outcome.SUCCESS:
            raise falcon.HTTPNotFound()
        show_payment(self._pages, req, resp, page, "receipt.html", view)


class SignOutResource(_AccountResource):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        page = self._pages.begin(req, resp)
        self._pages.check_form(req, page)
        id_token = self._accounts.residents.end_session(req.cookies.get(SESSION_COOKIE))
        self._accounts.forget(resp, SESSION_COOKIE)
        page.resident_id = None
        target = SIGNED_OUT_PATH
        oidc = self._accounts.oidc
        if id_token is not None and oidc is not None:
            logout = oidc.logout_url(
                id_token,
                self._pages.settings.public_url + SIGNED_OUT_PATH,
                # Any fresh value: the signed-out page trusts nothing it brings back.
                new_state(),
            )
            target = logout or SIGNED_OUT_PATH
        self._pages.redirect(resp, page, target)


class SignedOutResource(_AccountResource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        page = self._pages.begin(req, resp)
        self._pages.show(req, resp, page, "signed_out.html")


class JwksResource:
    """The engine's public key, which the provider uses to check our client assertions."""

    auth_public = True

    def __init__(self, oidc: OidcClient) -> None:
        self._oidc = oidc

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self._oidc.key.public_jwks()
        resp.set_header("Cache-Control", "public, max-age=3600")
