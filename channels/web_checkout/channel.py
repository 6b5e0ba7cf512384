"""The resident checkout channel: residents pay one or several bills by card, in English or Welsh.

Found through the `receipting.channels` entry point group:

    web_checkout = "channels.web_checkout.channel:WebCheckoutChannel"

Signing in is optional for paying and is added by another part of the engine, through two hooks:
`current_resident(req)` gives the signed-in resident's id (None for a guest), and
`on_payment_created(resident_id, payment_id)` is called once for each payment a signed-in
resident starts, so their account can list it. Without them every resident is a guest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from http import HTTPStatus
from pathlib import Path

import falcon
import httpx

from channels.web_checkout import account, resources
from channels.web_checkout.errors import BasketItemNotFound, FundNotPayableOnline, NoPaymentFound
from channels.web_checkout.pages import LOCALE_DIR, TEMPLATES_DIR, CurrentResident, Pages, origin_of
from channels.web_checkout.service import CheckoutService, ResidentHook
from receipting.api import App
from receipting.api.errors import UnsupportedContentType
from receipting.api.openapi import Operation, Parameter
from receipting.auth.oidc import ONE_LOGIN, OidcClient
from receipting.auth.oidc.transport import TIMEOUT as OIDC_TIMEOUT
from receipting.channels import AppContext
from receipting.notify.delivery import send_due_now
from receipting.notify.smtp import smtp_sender
from receipting.payments.service import PaymentService
from receipting.residents.service import ResidentService
from receipting.web.errors import CsrfRefused, FormRefused
from receipting.web.pages import PageRenderer

CHANNEL_NAME = "web_checkout"

HTML_PAGE: Mapping[str, object] = {
    "type": "string",
    "description": "An HTML page (text/html), not JSON.",
}
FORM_BODY: Mapping[str, object] = {
    "type": "object",
    "description": "An HTML form post; every form carries the page's csrf_token.",
    "properties": {"csrf_token": {"type": "string"}},
}
ITEM_FORM_BODY: Mapping[str, object] = {
    "type": "object",
    "description": "The item form: reference, amount as typed (such as £1,234.50) and email.",
    "properties": {
        "csrf_token": {"type": "string"},
        "reference": {"type": "string"},
        "amount": {"type": "string"},
        "email": {"type": "string"},
    },
}
EMAIL_FORM_BODY: Mapping[str, object] = {
    "type": "object",
    "properties": {"csrf_token": {"type": "string"}, "email": {"type": "string"}},
}
TAGS = ("resident checkout",)

FUND_CODE = Parameter(
    "fund_code",
    "path",
    "The fund's code, from the start page's links.",
    {"type": "string", "maxLength": 32},
)
ITEM = Parameter(
    "item",
    "path",
    "The basket item's id, from the basket page's links.",
    {"type": "string", "maxLength": 16},
)
FORM_ERRORS = (CsrfRefused, FormRefused, UnsupportedContentType)


def _page(operation_id: str, summary: str, description: str = "", **extra: object) -> Operation:
    return Operation(
        operation_id=operation_id,
        summary=summary,
        description=description,
        response_schema=HTML_PAGE,
        success_media_type="text/html",
        tags=TAGS,
        # The pages answer their errors as pages too (`error_page`).
        error_media_type="text/html",
        **extra,  # type: ignore[arg-type]
    )


def _form(
    operation_id: str,
    summary: str,
    description: str,
    *,
    body: Mapping[str, object] = FORM_BODY,
    **extra: object,
) -> Operation:
    return _page(
        operation_id,
        summary,
        description,
        request_schema=body,
        request_media_type="application/x-www-form-urlencoded",
        success_status=HTTPStatus.SEE_OTHER,
        success_description="Sent on to the next page.",
        **extra,
    )


ROOT = _page(
    "checkoutRoot",
    "The site's front door: sends residents to the checkout",
    success_status=HTTPStatus.SEE_OTHER,
    success_description="Sent on to /pay.",
)
START = _page(
    "checkoutStart",
    "What a resident can pay online, with where to find each reference",
)
ITEM_FORM = _page(
    "checkoutItemForm",
    "The reference, amount and email form for one fund",
    parameters=(
        FUND_CODE,
        Parameter(
            "reference",
            "query",
            "A reference to fill in (from a saved reference's Pay link); checked when posted.",
            {"type": "string", "maxLength": 64},
        ),
    ),
    errors=(FundNotPayableOnline,),
)
ITEM_ADD = _form(
    "checkoutItemAdd",
    "Add a payment to the basket",
    "Answers 303 to the basket, or 200 with the form again and its errors.",
    body=ITEM_FORM_BODY,
    parameters=(FUND_CODE,),
    errors=(FundNotPayableOnline, *FORM_ERRORS),
)
BASKET = _page("checkoutBasket", "The basket: each payment, its total, change and remove")
ITEM_CHANGE_FORM = _page(
    "checkoutItemChangeForm",
    "The form to change a payment in the basket",
    parameters=(ITEM,),
    errors=(BasketItemNotFound,),
)
ITEM_CHANGE = _form(
    "checkoutItemChange",
    "Change a payment in the basket",
    "Answers 303 to the basket, or 200 with the form again and its errors.",
    body=ITEM_FORM_BODY,
    parameters=(ITEM,),
    errors=(BasketItemNotFound, *FORM_ERRORS),
)
ITEM_REMOVE_CONFIRM = _page(
    "checkoutItemRemoveConfirm",
    "Asks whether to remove a payment from the basket",
    parameters=(ITEM,),
    errors=(BasketItemNotFound,),
)
ITEM_REMOVE = _form(
    "checkoutItemRemove",
    "Remove a payment from the basket",
    "Answers 303 to the basket.",
    parameters=(ITEM,),
    errors=(BasketItemNotFound, *FORM_ERRORS),
)
EMAIL_FORM = _page("checkoutEmailForm", "The email address for the receipt")
EMAIL_CHANGE = _form(
    "checkoutEmailChange",
    "Change the email address for the receipt",
    "Answers 303 to check your answers, or 200 with the form again and its errors.",
    body=EMAIL_FORM_BODY,
    errors=FORM_ERRORS,
)
CHECK = _page("checkoutCheck", "Check your answers before paying")
PAY = _form(
    "checkoutPay",
    "Pay now: one payment for the whole basket",
    "Creates one payment with an allocation per item (or finds the one already made for this "
    "basket, so a double click pays once) and answers 303 to the card page.",
    errors=FORM_ERRORS,
)
RETURN = _page(
    "checkoutReturn",
    "Back from the card page: the confirmation, or what went wrong",
    "Reads this browser's payment from its checkout cookie.",
    errors=(NoPaymentFound,),
)
RETRY = _form(
    "checkoutRetry",
    "Try again: a new payment for the same basket",
    "Answers 303 to the card page of a new payment; nothing is typed again.",
    errors=FORM_ERRORS,
)
RECEIPT = _page(
    "checkoutReceipt",
    "The printable receipt of this browser's last payment",
    errors=(NoPaymentFound,),
)


SAVED_ID = Parameter(
    "saved_id",
    "path",
    "The saved reference's id, from the account page.",
    {"type": "string", "maxLength": 20},
)
PAYMENT_ID = Parameter(
    "payment_id",
    "path",
    "One of the signed-in resident's payments.",
    {"type": "string", "maxLength": 26},
)
ACCOUNT = _page(
    "accountHome",
    "Your account: saved references and payments made signed in",
    "A guest is sent (303) to sign in and brought back here.",
)
SAVE_REFERENCE = _form(
    "accountSaveReference",
    "Save a reference, checked by its fund's rule",
    "Answers 303 to the account page, or 200 with the account page and the form's errors.",
    body={
        "type": "object",
        "properties": {
            "csrf_token": {"type": "string"},
            "fund_code": {"type": "string"},
            "reference": {"type": "string"},
        },
    },
    errors=FORM_ERRORS,
)
REMOVE_REFERENCE = _form(
    "accountRemoveReference",
    "Remove a saved reference",
    "Answers 303 to the account page.",
    parameters=(SAVED_ID,),
    errors=FORM_ERRORS,
)
ACCOUNT_PAYMENT = _page(
    "accountPaymentReceipt",
    "The receipt of one of your payments",
    "Another resident's payment answers 404, as one that does not exist.",
    parameters=(PAYMENT_ID,),
)
SIGN_OUT = _form(
    "accountSignOut",
    "Sign out: ends the session here, then at the provider",
    "Answers 303 to the provider's logout page (or straight to /account/signed-out).",
    errors=FORM_ERRORS,
)
SIGNED_OUT = _page("accountSignedOut", "You have signed out")
SIGN_IN = _page(
    "accountSignIn",
    "Start signing in: 303 to the provider's authorize page",
    "Authorization code flow with state, nonce, PKCE (S256), vtr and ui_locales.",
    parameters=(
        Parameter(
            "return_to",
            "query",
            "A path on this site to come back to after signing in.",
            {"type": "string", "maxLength": 200},
        ),
    ),
    success_status=HTTPStatus.SEE_OTHER,
    success_description="Sent on to the provider.",
)
CALLBACK = _page(
    "accountCallback",
    "Back from the provider: signed in (303 onwards), or a page saying why not",
    "The state must match this browser's and an unused sign-in attempt; the ID token is checked "
    "for signature, algorithm, issuer, audience, expiry, issue time, nonce and level of "
    "confidence (vot).",
    success_status=HTTPStatus.SEE_OTHER,
    success_description="Signed in, and sent on to where the sign-in started.",
)
JWKS = Operation(
    operation_id="engineJwks",
    summary="This engine's public keys, for its private_key_jwt client assertions",
    response_schema={"type": "object", "properties": {"keys": {"type": "array"}}},
    tags=TAGS,
)


class WebCheckoutChannel:
    name = CHANNEL_NAME

    def __init__(
        self,
        *,
        current_resident: CurrentResident | None = None,
        on_payment_created: ResidentHook | None = None,
        sign_in_enabled: bool | None = None,
        gateway_origins: Sequence[str] = (),
    ) -> None:
        """`sign_in_enabled=None` shows the sign-in links when the settings configure an OIDC
        provider; `gateway_origins` are card pages on other sites the "Pay now" form may be
        redirected to (the sandbox's, at the engine's own address, is always allowed)."""
        self._current_resident = current_resident
        self._on_payment_created = on_payment_created
        self._sign_in_enabled = sign_in_enabled
        self._gateway_origins = tuple(gateway_origins)

    def templates_dir(self) -> Path:
        return TEMPLATES_DIR

    def register_routes(self, app: App, context: AppContext) -> None:
        residents = ResidentService(context.session_factory, context.clock)
        pages = self.build_pages(context, residents)
        routes = context.routes
        add: Callable[..., None] = routes.add
        self._register_accounts(context, pages, residents)
        add("/", resources.RootResource(pages), {"GET": ROOT})
        add("/pay", resources.StartResource(pages), {"GET": START})
        add("/pay/basket", resources.BasketResource(pages), {"GET": BASKET})
        add(
            "/pay/basket/{item}/change",
            resources.ChangeItemResource(pages),
            {"GET": ITEM_CHANGE_FORM, "POST": ITEM_CHANGE},
        )
        add(
            "/pay/basket/{item}/remove",
            resources.RemoveItemResource(pages),
            {"GET": ITEM_REMOVE_CONFIRM, "POST": ITEM_REMOVE},
        )
        add("/pay/email", resources.EmailResource(pages), {"GET": EMAIL_FORM, "POST": EMAIL_CHANGE})
        add("/pay/check", resources.CheckResource(pages), {"GET": CHECK, "POST": PAY})
        add("/pay/return", resources.ReturnResource(pages), {"GET": RETURN})
        add("/pay/retry", resources.RetryResource(pages), {"POST": RETRY})
        add("/pay/receipt", resources.ReceiptResource(pages), {"GET": RECEIPT})
        # Last: the fixed /pay/... paths above win over a fund code of the same spelling.
        add(
            "/pay/{fund_code}",
            resources.ItemResource(pages),
            {"GET": ITEM_FORM, "POST": ITEM_ADD},
        )

    def _register_accounts(
        self, context: AppContext, pages: Pages, residents: ResidentService
    ) -> None:
        """The account pages always answer (a guest is sent to sign in); signing in itself, and
        the engine's public keys, only when a provider is configured."""
        settings = context.settings
        oidc = (
            None
            if settings.oidc is None
            else OidcClient(settings.oidc, ONE_LOGIN, httpx.Client(timeout=OIDC_TIMEOUT))
        )
        accounts = account.Accounts(pages, residents, oidc, context.clock)
        add: Callable[..., None] = context.routes.add
        add("/account", account.AccountResource(accounts), {"GET": ACCOUNT})
        add(
            "/account/references",
            account.SavedReferencesResource(accounts),
            {"POST": SAVE_REFERENCE},
        )
        add(
            "/account/references/{saved_id}/remove",
            account.RemoveSavedReferenceResource(accounts),
            {"POST": REMOVE_REFERENCE},
        )
        add(
            "/account/payments/{payment_id}",
            account.AccountPaymentResource(accounts),
            {"GET": ACCOUNT_PAYMENT},
        )
        add("/account/sign-out", account.SignOutResource(accounts), {"POST": SIGN_OUT})
        add("/account/signed-out", account.SignedOutResource(accounts), {"GET": SIGNED_OUT})
        if oidc is not None:
            add("/account/sign-in", account.SignInResource(accounts), {"GET": SIGN_IN})
            add("/account/callback", account.CallbackResource(accounts), {"GET": CALLBACK})
            add("/.well-known/jwks.json", account.JwksResource(oidc), {"GET": JWKS})

    def build_pages(self, context: AppContext, residents: ResidentService | None = None) -> Pages:
        settings = context.settings
        residents = residents or ResidentService(context.session_factory, context.clock)
        current_resident = self._current_resident or _current_resident_of(residents)
        on_payment_created = self._on_payment_created or _recorder_of(residents)
        payments = PaymentService(
            context.session_factory, context.gateways, context.clock, settings.public_url
        )
        service = CheckoutService(
            context.session_factory,
            payments,
            settings.public_url,
            settings.secret_key,
            on_payment_created=on_payment_created,
        )
        sign_in = (
            settings.oidc is not None if self._sign_in_enabled is None else self._sign_in_enabled
        )
        # Signing out posts a form whose answer is a redirect to the provider's logout page, and
        # browsers hold redirects after a form post to the form-action policy too.
        issuer = settings.oidc.issuer if settings.oidc is not None else None
        origins = [
            origin
            for origin in (origin_of(settings.public_url), issuer and origin_of(issuer))
            if origin
        ]
        return Pages(
            settings,
            service,
            PageRenderer([TEMPLATES_DIR], [LOCALE_DIR]),
            context.clock,
            current_resident=current_resident,
            sign_in_enabled=sign_in,
            on_success=_receipt_emailer(context),
            form_action_origins=[*origins, *self._gateway_origins],
        )


def _current_resident_of(residents: ResidentService) -> CurrentResident:
    def current_resident(req: falcon.Request) -> str | None:
        session = residents.current(req.cookies.get(account.SESSION_COOKIE))
        return None if session is None else str(session.resident.id)

    return current_resident


def _recorder_of(residents: ResidentService) -> ResidentHook:
    def record(resident_id: str, payment_id: str) -> None:
        residents.record_payment(int(resident_id), payment_id)

    return record


def _receipt_emailer(context: AppContext) -> Callable[[str], None]:
    """Sends a paid payment's receipt email at once, when one is due, rather than leaving it to
    the worker's next pass; the worker still sends anything this misses."""
    sender = smtp_sender(context.settings)

    def email_receipt(payment_id: str) -> None:
        send_due_now(context.session_factory, sender, context.clock, payment_id)

    return email_receipt
