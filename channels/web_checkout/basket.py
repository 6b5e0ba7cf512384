"""The resident's basket: what they are about to pay, kept in their own browser. Pure, apart from
the sealing, which `BasketCookie` leaves to `receipting.web.cookies`.

The basket is the browser's only link to its payments: it is sealed (encrypted and authenticated)
into one cookie, so nothing about a guest is stored on the server until they pay, and no id in a
URL can show anyone else's payment. It holds the items, the email for the receipt, the seed of
the anti-forgery token, the payment made from it (and for which contents), and after a success
the id of that payment, so its receipt stays viewable.

The same bill (fund and reference) is never in the basket twice: adding it again with the same
amount is taken as the same form sent twice and changes nothing; with another amount it is
refused, pointing the resident at "Change". Merging by adding the amounts would turn a double
click into paying a bill twice over, and one allocation per bill is what the back office expects.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from channels.web_checkout.errors import (
    BasketItemNotFound,
    BasketProblem,
    BasketRefused,
)
from receipting.council.config import MAX_CODE_LEN
from receipting.council.references import MAX_REFERENCE_LEN
from receipting.payments.ids import looks_like_id
from receipting.payments.limits import MAX_AMOUNT_PENCE
from receipting.web.cookies import SealedCookie
from receipting.web.i18n import format_pounds

# A household's bills at once (council tax, rent, a parking fine, an invoice or two) with room to
# spare; at this many items with the longest references and email the sealed cookie stays under
# the 4 KB browsers keep (a unit test checks it).
MAX_BASKET_ITEMS = 10

# One card payment may be at most this much (GOV.UK Pay's limit, the payments API's too).
MAX_BASKET_TOTAL_PENCE = MAX_AMOUNT_PENCE

# Item ids only need to tell apart the items of one basket, and appear in change/remove links.
ITEM_ID_BYTES = 4
ITEM_ID_LEN = 2 * ITEM_ID_BYTES

# A fingerprint of the contents a payment was made for; 128 bits is ample to tell two baskets
# apart, and keeps the cookie small.
FINGERPRINT_LEN = 32

# The payment attempts one basket may make (each a "Try again"); far beyond what a person does,
# a bound so a forged count cannot grow without limit.
MAX_ATTEMPTS = 1000

# Emails are at most this long (the payments API's MAX_EMAIL_LEN); csrf seeds are 43 characters.
MAX_EMAIL_LEN = 254
MAX_SEED_LEN = 128

# The shape of the cookie's payload; a cookie of another version reads as an empty basket.
PAYLOAD_VERSION = 1


@dataclass(frozen=True, slots=True)
class BasketItem:
    item_id: str
    fund_code: str
    reference: str  # normalised: upper case, no spaces
    amount_pence: int


@dataclass(frozen=True, slots=True)
class Basket:
    csrf_seed: str
    items: tuple[BasketItem, ...] = ()
    email: str | None = None
    # The payment made from this basket, and the fingerprint of the contents it was made for.
    payment_id: str | None = None
    paid_for: str | None = None
    # How many payments this basket has started; part of the payment's idempotency key, so a
    # double click repeats an attempt while "Try again" makes a new one.
    attempt: int = 0
    # The last payment that succeeded: its confirmation and receipt stay viewable.
    receipt_payment_id: str | None = None

    @property
    def total_pence(self) -> int:
        return sum(item.amount_pence for item in self.items)

    @property
    def is_empty(self) -> bool:
        return not self.items

    def find(self, item_id: str) -> BasketItem:
        for item in self.items:
            if item.item_id == item_id:
                return item
        raise BasketItemNotFound(item_id)

    def add(
        self, fund_code: str, reference: str, amount_pence: int, *, item_id: str | None = None
    ) -> Basket:
        """The basket with one more item; the same item sent twice changes nothing."""
        for item in self.items:
            if (item.fund_code, item.reference) == (fund_code, reference):
                if item.amount_pence == amount_pence:
                    return self
                raise _duplicate(item)
        if len(self.items) >= MAX_BASKET_ITEMS:
            raise BasketRefused(
                BasketProblem.FULL,
                f"The basket already holds {MAX_BASKET_ITEMS} payments, the most one card payment "
                "may include. Pay these first, then start another payment for the rest.",
                limit=MAX_BASKET_ITEMS,
            )
        item = BasketItem(item_id or new_item_id(), fund_code, reference, amount_pence)
        return self._with_items((*self.items, item))

    def change(self, item_id: str, fund_code: str, reference: str, amount_pence: int) -> Basket:
        """The basket with one item's reference and amount changed (its fund stays)."""
        self.find(item_id)
        for other in self.items:
            if other.item_id != item_id and (other.fund_code, other.reference) == (
                fund_code,
                reference,
            ):
                raise _duplicate(other)
        items = tuple(
            BasketItem(item_id, fund_code, reference, amount_pence)
            if item.item_id == item_id
            else item
            for item in self.items
        )
        return self._with_items(items)

    def remove(self, item_id: str) -> Basket:
        self.find(item_id)
        return replace(self, items=tuple(item for item in self.items if item.item_id != item_id))

    def with_email(self, email: str | None) -> Basket:
        return replace(self, email=email)

    def fingerprint(self) -> str:
        """The same for the same contents (items in order, email), whatever else changed."""
        contents = {
            "items": [[i.fund_code, i.reference, i.amount_pence] for i in self.items],
            "email": self.email,
        }
        canonical = json.dumps(contents, separators=(",", ":"), sort_keys=True)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:FINGERPRINT_LEN]

    def payment_started(self, payment_id: str) -> Basket:
        return replace(self, payment_id=payment_id, paid_for=self.fingerprint())

    def holds_payment_for_contents(self) -> bool:
        """Whether the basket's payment was made for exactly what the basket holds now."""
        return self.payment_id is not None and self.paid_for == self.fingerprint()

    def next_attempt(self) -> Basket:
        return replace(self, attempt=min(self.attempt + 1, MAX_ATTEMPTS))

    def paid(self, payment_id: str) -> Basket:
        """After a success: empty, ready for another payment, the receipt still viewable."""
        return Basket(csrf_seed=self.csrf_seed, receipt_payment_id=payment_id)

    def _with_items(self, items: tuple[BasketItem, ...]) -> Basket:
        total_pence = sum(item.amount_pence for item in items)
        if total_pence > MAX_BASKET_TOTAL_PENCE:
            raise BasketRefused(
                BasketProblem.TOTAL_TOO_LARGE,
                f"The basket would total {format_pounds(total_pence)}; one card payment may be at "
                f"most {format_pounds(MAX_BASKET_TOTAL_PENCE)}. Pay the rest in another payment.",
                limit=MAX_BASKET_TOTAL_PENCE,
            )
        return replace(self, items=items)


def new_basket(csrf_seed: str) -> Basket:
    return Basket(csrf_seed=csrf_seed)


def new_item_id() -> str:
    return secrets.token_hex(ITEM_ID_BYTES)


def _duplicate(item: BasketItem) -> BasketRefused:
    return BasketRefused(
        BasketProblem.DUPLICATE,
        f"Reference {item.reference} for {item.fund_code} is already in the basket. Use its "
        "Change link to change the amount instead of adding it again.",
    )


# --- the cookie ---------------------------------------------------------------------------------


def to_payload(basket: Basket) -> dict[str, Any]:
    """Short keys: the cookie is limited to a few kilobytes."""
    payload: dict[str, Any] = {
        "v": PAYLOAD_VERSION,
        "s": basket.csrf_seed,
        "i": [[i.item_id, i.fund_code, i.reference, i.amount_pence] for i in basket.items],
    }
    optional = {
        "e": basket.email,
        "p": basket.payment_id,
        "f": basket.paid_for,
        "n": basket.attempt or None,
        "r": basket.receipt_payment_id,
    }
    payload.update({key: value for key, value in optional.items() if value is not None})
    return payload


def from_payload(payload: Mapping[str, Any]) -> Basket | None:
    """The basket in a cookie's payload, or None if it is not one this version wrote.

    The cookie is authenticated, so a resident cannot forge one; the checks are against cookies
    written by an older or newer version of this code during an upgrade.
    """
    if payload.get("v") != PAYLOAD_VERSION:
        return None
    seed = payload.get("s")
    raw_items = payload.get("i")
    if not isinstance(seed, str) or not _text(seed, MAX_SEED_LEN):
        return None
    if not isinstance(raw_items, list):
        return None
    if len(raw_items) > MAX_BASKET_ITEMS:
        return None
    items = [_item(raw) for raw in raw_items]
    if any(item is None for item in items):
        return None
    attempt = payload.get("n", 0)
    if not _whole_number(attempt) or not 0 <= attempt <= MAX_ATTEMPTS:
        return None
    email, payment_id = payload.get("e"), payload.get("p")
    paid_for, receipt = payload.get("f"), payload.get("r")
    if not _optional_text(email, MAX_EMAIL_LEN) or not _optional_text(paid_for, FINGERPRINT_LEN):
        return None
    if not _optional_id(payment_id) or not _optional_id(receipt):
        return None
    return Basket(
        csrf_seed=seed,
        items=tuple(item for item in items if item is not None),
        email=email,
        payment_id=payment_id,
        paid_for=paid_for,
        attempt=attempt,
        receipt_payment_id=receipt,
    )


def _item(raw: object) -> BasketItem | None:
    if not isinstance(raw, list) or len(raw) != 4:
        return None
    item_id, fund_code, reference, amount_pence = raw
    if not (
        _text(item_id, ITEM_ID_LEN)
        and _text(fund_code, MAX_CODE_LEN)
        and _text(reference, MAX_REFERENCE_LEN)
        and _whole_number(amount_pence)
        and 0 < amount_pence <= MAX_BASKET_TOTAL_PENCE
    ):
        return None
    return BasketItem(item_id, fund_code, reference, amount_pence)


def _text(value: object, max_len: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= max_len


def _optional_text(value: object, max_len: int) -> bool:
    return value is None or _text(value, max_len)


def _optional_id(value: object) -> bool:
    return value is None or (isinstance(value, str) and looks_like_id(value))


def _whole_number(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class BasketCookie:
    """The basket sealed into, and opened from, the checkout cookie."""

    NAME = "checkout"
    PURPOSE = "checkout"

    def __init__(self, secret_key: bytes, *, max_age_s: int) -> None:
        self._sealed = SealedCookie(secret_key, self.PURPOSE, max_age_s=max_age_s)
        self.max_age_s = max_age_s

    def open(self, token: str | None, now: datetime) -> Basket | None:
        payload = self._sealed.open(token, now)
        return None if payload is None else from_payload(payload)

    def seal(self, basket: Basket, now: datetime) -> str:
        return self._sealed.seal(to_payload(basket), now)
