"""English and Welsh: which language a page is shown in, and the texts for each.

Texts live in gettext `.po` catalogues, `<dir>/<language>/LC_MESSAGES/messages.po`, read once at
start-up with Babel. The web layer's own catalogue (the layout's texts) comes first; a channel's
catalogue adds its pages' texts and may override the layout's. A message with no translation is
shown as its English msgid.

Money and dates are formatted here too, the same way in both languages (GOV.UK style: £1,234.50
and 24 November 2026).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import falcon
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from receipting.errors import ConfigurationError

# Pages format money and dates as emails and receipts do; these names are the web layer's too.
from receipting.formats import (
    LOCAL_TIME_ZONE,
    PENCE_PER_POUND,
    format_long_date,
    format_pounds,
)
from receipting.web.cookies import set_cookie

LANGUAGES = ("en", "cy")
DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "lang"
LANGUAGE_PARAM = "lang"

# A language chosen once is remembered for a year: long enough not to ask again, and the cookie
# says nothing about the resident.
LANGUAGE_COOKIE_MAX_AGE_S = 365 * 24 * 60 * 60

CATALOGUE_DOMAIN = "messages"

__all__ = ["LOCAL_TIME_ZONE", "PENCE_PER_POUND", "format_long_date", "format_pounds"]

log = logging.getLogger(__name__)


def requested_language(req: falcon.Request) -> str | None:
    """The language asked for with `?lang=`, if it is one we speak; anything else is ignored."""
    value = req.get_param(LANGUAGE_PARAM)
    return value if value in LANGUAGES else None


def choose_language(req: falcon.Request) -> str:
    """`?lang=en|cy` wins, then the lang cookie, then English."""
    asked = requested_language(req)
    if asked is not None:
        return asked
    remembered = req.cookies.get(LANGUAGE_COOKIE)
    return remembered if remembered in LANGUAGES else DEFAULT_LANGUAGE


def remember_language(resp: falcon.Response, language: str, *, secure: bool) -> None:
    """Keep the resident's choice for the following pages (call it when `?lang=` was given)."""
    if language not in LANGUAGES:
        raise ValueError(f"{language!r} is not one of the languages {LANGUAGES}.")
    set_cookie(resp, LANGUAGE_COOKIE, language, secure=secure, max_age_s=LANGUAGE_COOKIE_MAX_AGE_S)


def remember_requested_language(
    req: falcon.Request, resp: falcon.Response, *, secure: bool
) -> None:
    """Set the lang cookie if, and only if, this request asked for a language with `?lang=`."""
    asked = requested_language(req)
    if asked is not None:
        remember_language(resp, asked, secure=secure)


class Catalogues:
    """The translations of each language, merged from several catalogue folders in order."""

    def __init__(self, dirs: Sequence[Path], languages: Sequence[str] = LANGUAGES) -> None:
        self.dirs = tuple(Path(d) for d in dirs)
        self.languages = tuple(languages)
        self._translations = {
            language: _load_translations(self.dirs, language) for language in self.languages
        }

    def translations(self, language: str) -> Translations:
        try:
            return self._translations[language]
        except KeyError:
            raise ValueError(
                f"No catalogue for {language!r}; the languages are {self.languages}."
            ) from None

    def gettext(self, language: str, message: str) -> str:
        """`message` in `language` (for texts made in Python, such as a field's error)."""
        return self.translations(language).gettext(message)

    def ngettext(self, language: str, singular: str, plural: str, n: int) -> str:
        return self.translations(language).ngettext(singular, plural, n)


def _load_translations(dirs: Sequence[Path], language: str) -> Translations:
    merged = Catalog(locale=language, domain=CATALOGUE_DOMAIN)
    for directory in dirs:
        path = directory / language / "LC_MESSAGES" / f"{CATALOGUE_DOMAIN}.po"
        if not path.is_file():
            if language != DEFAULT_LANGUAGE:
                log.warning(
                    "No %s catalogue at %s: its pages will be shown in English. Add the file "
                    "with the translations of that folder's templates.",
                    language,
                    path,
                )
            continue
        for message in _read_catalogue(path, language):
            # Untranslated and fuzzy entries are left out, so they fall back to the English msgid
            # instead of overriding an earlier folder's translation with nothing.
            if message.id and message.string and not message.fuzzy:
                # Babel keeps the first translation of an id it is given twice: drop it first.
                if message.id in merged:
                    merged.delete(message.id)
                merged[message.id] = message
    buffer = io.BytesIO()
    write_mo(buffer, merged)
    buffer.seek(0)
    return Translations(fp=buffer, domain=CATALOGUE_DOMAIN)


def _read_catalogue(path: Path, language: str) -> Catalog:
    try:
        with path.open("rb") as handle:
            return read_po(handle, locale=language, domain=CATALOGUE_DOMAIN, abort_invalid=True)
    except Exception as exc:  # Babel raises several kinds of error for a broken file
        raise ConfigurationError(
            f"The message catalogue {path} cannot be read ({exc}). Fix the .po file's syntax; "
            "`pybabel compile --check` shows where."
        ) from exc


def format_time(value: datetime) -> str:
    """10:05 in UK local time, the 24-hour clock being read the same in both languages."""
    local = value.astimezone(LOCAL_TIME_ZONE) if value.tzinfo else value
    return local.strftime("%H:%M")
