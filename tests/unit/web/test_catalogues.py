"""The web layer's Welsh catalogue covers every text of its templates and error pages."""

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from receipting.web.pages import ERROR_PAGE_MESSAGES, WEB_DIR, WEB_LOCALE_DIR

METHOD_MAP = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS_MAP = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
KEYWORDS = {"_": None, "gettext": None, "N_": None}


def _catalogue(language: str) -> Catalog:
    with (WEB_LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language, abort_invalid=True)


def _texts_in_the_code() -> set[str]:
    found = extract_from_dir(str(WEB_DIR), METHOD_MAP, OPTIONS_MAP, KEYWORDS)
    return {message for _, _, message, _, _ in found if isinstance(message, str)}


def test_the_extraction_finds_the_layouts_texts() -> None:
    texts = _texts_in_the_code()
    assert {"Skip to main content", "Sign in", "Error:", "There is a problem"} <= texts
    assert set(ERROR_PAGE_MESSAGES) <= texts


def test_every_text_of_the_web_layer_has_a_welsh_translation() -> None:
    welsh = _catalogue("cy")
    missing = sorted(
        text for text in _texts_in_the_code() if text not in welsh or not welsh[text].string
    )
    assert missing == []


def test_no_welsh_entry_is_empty_or_fuzzy() -> None:
    for message in _catalogue("cy"):
        if message.id:
            assert message.string, message.id
            assert not message.fuzzy, message.id


@pytest.mark.parametrize("language", ["en", "cy"])
def test_every_catalogue_entry_is_still_used(language: str) -> None:
    used = _texts_in_the_code()
    stale = sorted(str(m.id) for m in _catalogue(language) if m.id and m.id not in used)
    assert stale == []


def test_placeholders_are_kept_in_the_welsh_texts() -> None:
    for message in _catalogue("cy"):
        if message.id and isinstance(message.id, str):
            for placeholder in ("%(council)s", "%(reference)s"):
                assert (placeholder in message.id) == (placeholder in str(message.string))


@pytest.mark.parametrize(
    ("english", "welsh"),
    [
        ("Error:", "Gwall:"),
        ("Skip to main content", "Neidio i'r prif gynnwys"),
        ("Sign in", "Mewngofnodi"),
        ("Sign out", "Allgofnodi"),
        ("Your account", "Eich cyfrif"),
    ],
)
def test_the_common_texts_use_the_established_welsh(english: str, welsh: str) -> None:
    assert _catalogue("cy")[english].string == welsh


def test_the_catalogues_live_where_the_renderer_reads_them() -> None:
    assert Path(WEB_LOCALE_DIR, "cy", "LC_MESSAGES", "messages.po").is_file()
    assert Path(WEB_LOCALE_DIR, "en", "LC_MESSAGES", "messages.po").is_file()
