from datetime import UTC, date, datetime
from pathlib import Path

import falcon
import falcon.testing
import pytest
from falcon.testing import create_req

from receipting.errors import ConfigurationError
from receipting.web.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGE_COOKIE,
    LANGUAGES,
    Catalogues,
    choose_language,
    format_long_date,
    format_pounds,
    format_time,
    remember_language,
    remember_requested_language,
)


def _req(query: str = "", cookie: str | None = None) -> falcon.Request:
    headers = {"Cookie": f"{LANGUAGE_COOKIE}={cookie}"} if cookie is not None else {}
    return create_req(path="/pay", query_string=query, headers=headers)


def test_english_and_welsh_are_spoken_and_english_is_the_default() -> None:
    assert LANGUAGES == ("en", "cy")
    assert DEFAULT_LANGUAGE == "en"


def test_without_a_choice_pages_are_in_english() -> None:
    assert choose_language(_req()) == "en"


def test_the_lang_cookie_chooses_the_language() -> None:
    assert choose_language(_req(cookie="cy")) == "cy"


def test_the_lang_query_parameter_wins_over_the_cookie() -> None:
    assert choose_language(_req("lang=cy", cookie="en")) == "cy"
    assert choose_language(_req("lang=en", cookie="cy")) == "en"


@pytest.mark.parametrize("asked", ["fr", "CY", "cy-GB", "", "<script>"])
def test_a_language_we_do_not_speak_is_ignored(asked: str) -> None:
    assert choose_language(_req(f"lang={asked}", cookie="cy")) == "cy"
    assert choose_language(_req(cookie=asked or "x")) == "en"


def _cookies_set(action: object, query: str = "") -> list[str]:
    app = falcon.App()

    class Resource:
        def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
            assert callable(action)
            action(req, resp)

    app.add_route("/", Resource())
    result = falcon.testing.TestClient(app).simulate_get("/", query_string=query)
    return [value for name, value in result.headers.items() if name == "set-cookie"]


def test_remembering_a_language_sets_a_long_lived_site_wide_cookie() -> None:
    [header] = _cookies_set(lambda req, resp: remember_language(resp, "cy", secure=True))
    assert header.startswith("lang=cy")
    assert "Path=/" in header and "Secure" in header and "Max-Age=31536000" in header


def test_only_languages_we_speak_are_remembered() -> None:
    with pytest.raises(ValueError, match="fr"):
        remember_language(falcon.Response(), "fr", secure=True)


def test_the_requested_language_is_remembered_only_when_lang_was_given() -> None:
    def action(req: falcon.Request, resp: falcon.Response) -> None:
        remember_requested_language(req, resp, secure=False)

    assert _cookies_set(action) == []
    assert _cookies_set(action, "lang=fr") == []
    [header] = _cookies_set(action, "lang=cy")
    assert header.startswith("lang=cy")


def _write_po(folder: Path, language: str, entries: dict[str, str]) -> None:
    path = folder / language / "LC_MESSAGES" / "messages.po"
    path.parent.mkdir(parents=True)
    lines = ['msgid ""', 'msgstr ""', '"Content-Type: text/plain; charset=UTF-8\\n"', ""]
    for msgid, msgstr in entries.items():
        lines += [f'msgid "{msgid}"', f'msgstr "{msgstr}"', ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def test_catalogues_of_later_folders_extend_and_override_earlier_ones(tmp_path: Path) -> None:
    first, second = tmp_path / "web", tmp_path / "channel"
    _write_po(first, "cy", {"Error:": "Gwall:", "Sign in": "Mewngofnodi", "Menu": "Dewislen"})
    _write_po(second, "cy", {"Pay": "Talu", "Menu": "Y ddewislen", "Sign in": ""})
    catalogues = Catalogues([first, second])
    assert catalogues.gettext("cy", "Error:") == "Gwall:"
    assert catalogues.gettext("cy", "Pay") == "Talu"
    assert catalogues.gettext("cy", "Menu") == "Y ddewislen"
    # An untranslated entry does not wipe out an earlier translation.
    assert catalogues.gettext("cy", "Sign in") == "Mewngofnodi"


def test_a_message_without_a_translation_is_shown_in_english(tmp_path: Path) -> None:
    _write_po(tmp_path, "cy", {"Error:": "Gwall:"})
    catalogues = Catalogues([tmp_path])
    assert catalogues.gettext("cy", "Nothing like this") == "Nothing like this"
    assert catalogues.gettext("en", "Error:") == "Error:"


def test_a_missing_welsh_catalogue_is_logged_and_english_shown(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    catalogues = Catalogues([tmp_path])
    assert catalogues.gettext("cy", "Error:") == "Error:"
    assert "No cy catalogue" in caplog.text


def test_a_broken_catalogue_stops_start_up_saying_which_file(tmp_path: Path) -> None:
    path = tmp_path / "cy" / "LC_MESSAGES" / "messages.po"
    path.parent.mkdir(parents=True)
    path.write_text('msgid "a"\nthis is not a catalogue\n', encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"messages\.po"):
        Catalogues([tmp_path])


def test_asking_for_a_language_without_a_catalogue_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="fr"):
        Catalogues([tmp_path]).gettext("fr", "Error:")


@pytest.mark.parametrize(
    ("pence", "text"),
    [
        (0, "£0.00"),
        (5, "£0.05"),
        (12345, "£123.45"),
        (123450, "£1,234.50"),
        (100000000, "£1,000,000.00"),
        (-500, "-£5.00"),
    ],
)
def test_amounts_are_shown_in_pounds_the_gov_uk_way(pence: int, text: str) -> None:
    assert format_pounds(pence) == text


def test_dates_are_written_out_in_the_pages_language() -> None:
    assert format_long_date(date(2026, 11, 24), "en") == "24 November 2026"
    assert format_long_date(date(2026, 11, 24), "cy") == "24 Tachwedd 2026"


def test_a_moment_is_shown_as_the_date_and_time_in_the_uk() -> None:
    late_in_summer = datetime(2026, 7, 31, 23, 30, tzinfo=UTC)  # 00:30 on 1 August in London
    assert format_long_date(late_in_summer, "en") == "1 August 2026"
    assert format_time(late_in_summer) == "00:30"
    assert format_time(datetime(2026, 11, 24, 9, 5, tzinfo=UTC)) == "09:05"
