"""The checkout's pages, one resource per address. Every form post checks the anti-forgery token
before reading anything else; every page works without JavaScript.

    GET  /                               -> 303 /pay
    GET  /pay                            what can be paid, and where to find each reference
    GET  /pay/{fund_code}         + POST the reference, amount and email for one fund
    GET  /pay/basket                     the basket: change, remove, total, add another, continue
    GET  /pay/basket/{item}/change + POST
    GET  /pay/basket/{item}/remove + POST (a confirmation page, then the removal)
    GET  /pay/email               + POST the email for the receipt, from check your answers
    GET  /pay/check               + POST check your answers; "Pay now" -> 303 the card page
    GET  /pay/return                     back from the card page: confirmation or failure
    POST /pay/retry                      "Try again": a new payment from the same basket
    GET  /pay/receipt                    the printable receipt of this browser's last payment
"""

from __future__ import annotations

from datetime import date
from http import HTTPStatus
from typing import Any

import falcon

from channels.web_checkout.basket import MAX_BASKET_ITEMS, BasketItem
from channels.web_checkout.emails import check_email
from channels.web_checkout.errors import BasketRefused, EmailRefused, NoPaymentFound
from channels.web_checkout.money import format_for_input
from channels.web_checkout.pages import PageError, PageRequest, Pages
from channels.web_checkout.service import Outcome, PayableFund, PaymentView
from receipting.council.references import as_sentence
from receipting.web.pages import N_

PAYMENT_DESCRIPTION = N_("Payment to %(council)s")

# A reference filled in from a link: no reference is longer; anything longer is not one of ours.
MAX_PREFILLED_REFERENCE_LEN = 64

START_PATH = "/pay"
BASKET_PATH = "/pay/basket"
CHECK_PATH = "/pay/check"
RETURN_PATH = "/pay/return"
RECEIPT_PATH = "/pay/receipt"


class _Resource:
    # A resident's browser has no API key: every page is public (receipting.auth.middleware).
    auth_public = True

    def __init__(self, pages: Pages) -> None:
        self._pages = pages

    def error_page(self, req: falcon.Request, status: HTTPStatus, body: dict[str, Any]) -> str:
        return self._pages.error_page(req, status, body)


def _rows(pages: Pages, page: PageRequest, funds: dict[str, PayableFund]) -> list[dict[str, Any]]:
    """The basket's items as the summary lists show them."""
    return [
        {
            "item_id": item.item_id,
            "fund_name": _fund_name(funds, item.fund_code, page.language),
            "reference": item.reference,
            "amount_pence": item.amount_pence,
        }
        for item in page.basket.items
    ]


def _fund_name(funds: dict[str, PayableFund], code: str, language: str) -> str:
    fund = funds.get(code)
    return fund.name_in(language) if fund is not None else code


class RootResource(_Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        page = self._pages.begin(req, resp)
        self._pages.redirect(resp, page, START_PATH)


class StartResource(_Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        page = self._pages.begin(req, resp)
        funds = self._pages.service.payable_funds()
        self._pages.show(
            req,
            resp,
            page,
            "start.html",
            funds=[
                {
                    "code": fund.code,
                    "name": fund.name_in(page.language),
                    "guidance": fund.guidance_in(page.language),
                }
                for fund in funds
            ],
            basket_full=len(page.basket.items) >= MAX_BASKET_ITEMS,
            max_items=MAX_BASKET_ITEMS,
        )


class _ItemForm(_Resource):
    """The reference, amount and email form, for a new item or a change to one."""

    def _show_form(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        page: PageRequest,
        fund: PayableFund,
        values: dict[str, str],
        errors: list[PageError],
        *,
        action: str,
        changing: bool,
    ) -> None:
        self._pages.show(
            req,
            resp,
            page,
            "item.html",
            fund_name=fund.name_in(page.language),
            reference_hint=" ".join(
                as_sentence(text)
                for text in (fund.description_in(page.language), fund.hint_in(page.language))
                if text
            ),
            maximum_pence=fund.max_amount_pence,
            values=values,
            errors=errors,
            action=action,
            changing=changing,
            back_path=BASKET_PATH if changing or page.basket.items else START_PATH,
        )

    def _checked(
        self, page: PageRequest, fund: PayableFund, form: dict[str, str]
    ) -> tuple[Any, list[PageError]]:
        line = self._pages.service.check_line(
            fund, form.get("reference", ""), form.get("amount", ""), form.get("email", "")
        )
        return line, self._pages.field_errors(page, fund, line.problems)


def _values(form: dict[str, str]) -> dict[str, str]:
    return {name: form.get(name, "") for name in ("reference", "amount", "email")}


class ItemResource(_ItemForm):
    def on_get(self, req: falcon.Request, resp: falcon.Response, fund_code: str) -> None:
        page = self._pages.begin(req, resp)
        fund = self._pages.service.payable_fund(fund_code)
        # A saved reference's "Pay" link fills the reference in; it is checked when posted.
        reference = req.get_param("reference") or ""
        values = {
            "reference": reference[:MAX_PREFILLED_REFERENCE_LEN],
            "amount": "",
            "email": page.basket.email or "",
        }
        self._show_form(req, resp, page, fund, values, [], action=req.path, changing=False)

    def on_post(self, req: falcon.Request, resp: falcon.Response, fund_code: str) -> None:
        page = self._pages.begin(req, resp)
        form = self._pages.check_form(req, page)
        fund = self._pages.service.payable_fund(fund_code)
        line, errors = self._checked(page, fund, form)
        if not errors:
            try:
                basket = page.basket.add(fund.code, line.reference, line.amount_pence)
                page.basket = basket.with_email(line.email)
            except BasketRefused as refused:
                errors = [self._pages.basket_error(page, refused)]
        if errors:
            self._show_form(
                req, resp, page, fund, _values(form), errors, action=req.path, changing=False
            )
            return
        self._pages.redirect(resp, page, BASKET_PATH)


class ChangeItemResource(_ItemForm):
    def on_get(self, req: falcon.Request, resp: falcon.Response, item: str) -> None:
        page = self._pages.begin(req, resp)
        found = page.basket.find(item)
        fund = self._fund(found)
        values = {
            "reference": found.reference,
            "amount": format_for_input(found.amount_pence),
            "email": page.basket.email or "",
        }
        self._show_form(req, resp, page, fund, values, [], action=req.path, changing=True)

    def on_post(self, req: falcon.Request, resp: falcon.Response, item: str) -> None:
        page = self._pages.begin(req, resp)
        form = self._pages.check_form(req, page)
        found = page.basket.find(item)
        fund = self._fund(found)
        line, errors = self._checked(page, fund, form)
        if not errors:
            try:
                basket = page.basket.change(item, fund.code, line.reference, line.amount_pence)
                page.basket = basket.with_email(line.email)
            except BasketRefused as refused:
                errors = [self._pages.basket_error(page, refused)]
        if errors:
            self._show_form(
                req, resp, page, fund, _values(form), errors, action=req.path, changing=True
            )
            return
        self._pages.redirect(resp, page, BASKET_PATH)

    def _fund(self, item: BasketItem) -> PayableFund:
        # A fund that stopped being payable online since the item was added answers "not
        # found" here; the basket page still lists the item, to be removed.
        return self._pages.service.payable_fund(item.fund_code)


class BasketResource(_Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        page = self._pages.begin(req, resp)
        funds = self._pages.service.fund_names()
        self._pages.show(
            req,
            resp,
            page,
            "basket.html",
            rows=_rows(self._pages, page, funds),
            total_pence=page.basket.total_pence,
            basket_full=len(page.basket.items) >= MAX_BASKET_ITEMS,
            max_items=MAX_BASKET_ITEMS,
        )


class RemoveItemResource(_Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response, item: str) -> None:
        page = self._pages.begin(req, resp)
        found = page.basket.find(item)
        funds = self._pages.service.fund_names()
        self._pages.show(
            req,
            resp,
            page,
            "remove.html",
            fund_name=_fund_name(funds, found.fund_code, page.language),
            reference=found.reference,
            amount_pence=found.amount_pence,
            action=req.path,
        )

    def on_post(self, req: falcon.Request, resp: falcon.Response, item: str) -> None:
        page = self._pages.begin(req, resp)
        self._pages.check_form(req, page)
        page.basket = page.basket.remove(item)
        self._pages.redirect(resp, page, BASKET_PATH)


class EmailResource(_Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        page = self._pages.begin(req, resp)
        self._show(req, resp, page, page.basket.email or "", [])

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        page = self._pages.begin(req, resp)
        form = self._pages.check_form(req, page)
        typed = form.get("email", "")
        try:
            email = check_email(typed)
        except EmailRefused as refused:
            self._show(req, resp, page, typed, [self._pages.email_error(page, refused)])
            return
        page.basket = page.basket.with_email(email)
        self._pages.redirect(resp, page, CHECK_PATH)

    def _show(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        page: PageRequest,
        email: str,
        errors: list[PageError],
    ) -> None:
        self._pages.show(req, resp, page, "email.html", email=email, errors=errors)


class CheckResource(_Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        page = self._pages.begin(req, resp)
        funds = self._pages.service.fund_names()
        self._pages.show(
            req,
            resp,
            page,
            # Nothing to check: the (empty) basket's page, at this address, rather than a
            # redirect, so the address always answers with a page.
            "basket.html" if page.basket.is_empty else "check.html",
            rows=_rows(self._pages, page, funds),
            total_pence=page.basket.total_pence,
            email=page.basket.email,
            basket_full=False,
            max_items=MAX_BASKET_ITEMS,
        )

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        page = self._pages.begin(req, resp)
        self._pages.check_form(req, page)
        _pay(self._pages, resp, page)


class RetryResource(_Resource):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        page = self._pages.begin(req, resp)
        self._pages.check_form(req, page)
        _pay(self._pages, resp, page)


def _pay(pages: Pages, resp: falcon.Response, page: PageRequest) -> None:
    """Send the browser to the card page of this basket's payment, made now if need be."""
    if page.basket.is_empty:
        pages.redirect(resp, page, BASKET_PATH)
        return
    council = page.council
    council_name = (council.name_cy if page.language == "cy" else None) or council.name
    started = pages.service.pay(
        page.basket,
        language=page.language,
        description=pages.text(page, PAYMENT_DESCRIPTION, council=council_name),
        resident_id=page.resident_id,
    )
    page.basket = started.basket
    payment = started.payment
    if payment.outcome is Outcome.IN_PROGRESS and payment.next_url is not None:
        pages.redirect(resp, page, payment.next_url)
    else:
        pages.redirect(resp, page, RETURN_PATH)


class ReturnResource(_Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        page = self._pages.begin(req, resp)
        basket = page.basket
        payment_id = basket.payment_id or basket.receipt_payment_id
        if payment_id is None:
            raise NoPaymentFound()
        payment = self._pages.service.view(payment_id)
        if payment is None:
            raise NoPaymentFound()
        if payment.outcome is Outcome.SUCCESS:
            page.basket = basket.paid(payment.payment_id)
            if self._pages.on_success is not None:
                self._pages.on_success(payment.payment_id)
            show_payment(self._pages, req, resp, page, "confirmation.html", payment)
        elif payment.outcome is Outcome.IN_PROGRESS:
            show_payment(self._pages, req, resp, page, "in_progress.html", payment)
        else:
            funds = self._pages.service.fund_names()
            self._pages.show(
                req,
                resp,
                page,
                "failure.html",
                outcome=payment.outcome.value,
                rows=_rows(self._pages, page, funds),
                total_pence=basket.total_pence,
                can_retry=not basket.is_empty,
            )


class ReceiptResource(_Resource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        page = self._pages.begin(req, resp)
        payment_id = page.basket.receipt_payment_id
        payment = self._pages.service.view(payment_id) if payment_id is not None else None
        if payment is None or payment.outcome is not Outcome.SUCCESS:
            raise NoPaymentFound()
        show_payment(self._pages, req, resp, page, "receipt.html", payment)


def show_payment(
    pages: Pages,
    req: falcon.Request,
    resp: falcon.Response,
    page: PageRequest,
    template: str,
    payment: PaymentView,
) -> None:
    funds = pages.service.fund_names()
    lines = [
        {
            "fund_name": _fund_name(funds, line.fund_code, page.language),
            "reference": line.reference,
            "amount_pence": line.amount_pence,
        }
        for line in payment.lines
    ]
    pages.show(
        req,
        resp,
        page,
        template,
        payment=payment,
        lines=lines,
        paid_on=date.fromisoformat(payment.captured_date or payment.created_date[:10]),
    )
