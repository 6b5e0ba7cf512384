"""The checkout's Welsh catalogue covers every text of its pages and messages."""

from __future__ import annotations

import re

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from channels.web_checkout.pages import (
    AMOUNT_MESSAGES,
    BASKET_MESSAGES,
    EMAIL_MESSAGES,
    LOCALE_DIR,
    PACKAGE_DIR,
    REFERENCE_MESSAGES,
)
from receipting.council.references import ReferenceProblem

METHOD_MAP = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS_MAP = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
KEYWORDS = {"_": None, "gettext": None, "N_": None}

_PLACEHOLDER = re.compile(r"%\([a-z_]+\)s")


def _catalogue(language: str) -> Catalog:
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language, abort_invalid=True)


def _texts_in_the_code() -> set[str]:
    found = extract_from_dir(str(PACKAGE_DIR), METHOD_MAP, OPTIONS_MAP, KEYWORDS)
    return {message for _, _, message, _, _ in found if isinstance(message, str)}


def test_the_extraction_finds_the_pages_and_the_messages() -> None:
    texts = _texts_in_the_code()
    assert {"Pay now", "Try again", "Add another payment", "Continue", "Change"} <= texts
    for messages in (REFERENCE_MESSAGES, AMOUNT_MESSAGES, EMAIL_MESSAGES, BASKET_MESSAGES):
        assert set(messages.values()) <= texts


def test_every_text_of_the_checkout_has_a_welsh_translation() -> None:
    welsh = _catalogue("cy")
    missing = sorted(
        text for text in _texts_in_the_code() if text not in welsh or not welsh[text].string
    )
    assert missing == []


@pytest.mark.parametrize("language", ["en", "cy"])
def test_every_catalogue_entry_is_still_used(language: str) -> None:
    used = _texts_in_the_code()
    stale = sorted(str(m.id) for m in _catalogue(language) if m.id and m.id not in used)
    assert stale == []


def test_placeholders_are_kept_in_the_welsh_texts() -> None:
    for message in _catalogue("cy"):
        if message.id and isinstance(message.id, str):
            english = sorted(_PLACEHOLDER.findall(message.id))
            assert english == sorted(_PLACEHOLDER.findall(str(message.string))), message.id


def test_every_kind_of_reference_problem_has_its_own_message() -> None:
    assert {problem.value for problem in ReferenceProblem} <= set(REFERENCE_MESSAGES)
