"""Driving pages in a real browser: the system's Chromium under Playwright, axe-core on every page,
and a numbered full-page screenshot of each page a journey visits.

Never a downloaded browser: Chromium is Debian's (`apt-get install chromium`), found at
$RECEIPTING_CHROMIUM, /usr/bin/chromium or on the PATH. Without it, or without the playwright
package, or without axe-core, browser tests are skipped with what to install, except in CI
(`CI` set), where a test that cannot run is a failure.

    with start_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = new_context(browser)
        page = context.new_page()
        page.goto(url)
        visit_page(page, "card-form")  # test-artifacts/screenshots/<test>/01-card-form.png + axe
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright

REPO_ROOT = Path(__file__).resolve().parents[2]

CHROMIUM_ENV = "RECEIPTING_CHROMIUM"
DEFAULT_CHROMIUM = "/usr/bin/chromium"

# Headless, and quiet: no sandbox (containers and CI runners seldom allow Chromium's user
# namespaces), no GPU, and nothing that phones home or updates itself during a test, so a run
# needs no network beyond loopback and is not slowed or changed by background traffic.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

# One size for every screenshot, so runs can be compared; wide enough for GOV.UK's two-thirds
# column layout at its desktop breakpoint.
VIEWPORT = {"width": 1280, "height": 900}

# How long a page may take to do anything in a test (Playwright's default is 30 s, which only
# makes a broken test slow to report on a loopback server answering in milliseconds).
ACTION_TIMEOUT_MS = 10_000

# Web fonts loaded (or given up on) and two frames drawn: until then a failed font's text may be
# unpainted, and sizes measured in the fallback font may still change.
SETTLED_SCRIPT = """async () => {
  await document.fonts.ready;
  await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
}"""

AXE_PATH = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"

# WCAG 2.0, 2.1 and 2.2 at levels A and AA (what UK public sector websites must meet), plus
# axe's best practices (landmarks, one h1, ...), which GOV.UK pages also follow.
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice")

SCREENSHOTS_DIR = REPO_ROOT / "test-artifacts" / "screenshots"

# A file name part: letters, digits, dots, hyphens and underscores only.
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


# --- what is needed to run, and what to install when it is missing -----------------------------


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def cannot_run(reason: str) -> NoReturn:
    """Skip the test, saying what to install; in CI, fail it, so a green run means it ran."""
    if in_ci():
        pytest.fail(f"{reason} (CI is set, so this fails instead of skipping)", pytrace=False)
    pytest.skip(reason)


def chromium_path() -> str:
    """The system Chromium to drive: $RECEIPTING_CHROMIUM, /usr/bin/chromium, or `chromium` on
    the PATH."""
    configured = os.environ.get(CHROMIUM_ENV)
    if configured:
        if not os.access(configured, os.X_OK):
            cannot_run(
                f"{CHROMIUM_ENV} is {configured!r}, which is not an executable file. Point it at "
                "a Chromium binary, or unset it to use /usr/bin/chromium "
                "(apt-get install chromium)."
            )
        return configured
    if os.access(DEFAULT_CHROMIUM, os.X_OK):
        return DEFAULT_CHROMIUM
    found = shutil.which("chromium")
    if found is None:
        cannot_run(
            "Chromium is not installed, and the browser tests drive the system's Chromium: "
            f"run `apt-get install chromium` (Debian/Ubuntu), or set {CHROMIUM_ENV} to a "
            "Chromium binary. Never `playwright install`."
        )
    return found


@contextmanager
def start_playwright() -> Iterator[Playwright]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        cannot_run(
            "The playwright package is not installed: run `pip install -e '.[dev]'` "
            "(it drives the system's Chromium; no browser download is needed)."
        )
    with sync_playwright() as playwright:
        yield playwright


def launch_chromium(playwright: Playwright) -> Browser:
    """The system Chromium, headless."""
    return playwright.chromium.launch(
        executable_path=chromium_path(), headless=True, args=list(CHROMIUM_ARGS)
    )


def new_context(browser: Browser, **options: Any) -> BrowserContext:
    """A fresh browser profile (no cookies, no storage), sized for the screenshots.

    It bypasses the pages' Content Security Policy, which forbids inline script, only so that
    axe-core can be injected to check them; the pages themselves still run under their policy's
    other rules, and tests of the headers check the policy itself."""
    settings: dict[str, Any] = {
        "bypass_csp": True,
        "viewport": VIEWPORT,
        "locale": "en-GB",
        "timezone_id": "Europe/London",
        **options,
    }
    context = browser.new_context(**settings)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    return context


# --- accessibility: axe-core -------------------------------------------------------------------


@cache
def axe_source() -> str:
    if not AXE_PATH.is_file():
        cannot_run(
            f"axe-core is not installed (no {AXE_PATH.relative_to(REPO_ROOT)}): run `npm ci` in "
            "the repository (or `make setup`)."
        )
    return AXE_PATH.read_text(encoding="utf-8")


def check_accessibility(page: Page, label: str, *, skip_rules: Sequence[str] = ()) -> None:
    """Run axe-core on the page as it is now, against WCAG 2.2 A/AA and best practice; fail
    listing every violation. `skip_rules` names axe rules not to run, each needing a reason where
    it is used."""
    page.evaluate(SETTLED_SCRIPT)  # sizes and colours are measured as a person would see them
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source())
    options = {
        "runOnly": {"type": "tag", "values": list(AXE_TAGS)},
        "rules": {rule: {"enabled": False} for rule in skip_rules},
        "resultTypes": ["violations"],
    }
    results = page.evaluate("options => window.axe.run(document, options)", options)
    violations = results["violations"]
    if violations:
        pytest.fail(describe_violations(label, page.url, violations), pytrace=False)


def describe_violations(label: str, url: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"axe found {len(violations)} accessibility violation(s) on {label} ({url}):"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation.get('impact') or 'no impact given'}): "
            f"{violation['help']} <{violation.get('helpUrl', '')}>"
        )
        for node in violation["nodes"]:
            lines.append(f"    at {json.dumps(node.get('target'))}: {node.get('html', '')}")
            summary = (node.get("failureSummary") or "").replace("\n", "\n      ")
            if summary:
                lines.append(f"      {summary}")
    return "\n".join(lines)


# --- screenshots -------------------------------------------------------------------------------


# How many screenshots each test has taken so far in this process, by its folder.
_taken: dict[Path, int] = {}


def current_test_name() -> str:
    """The running test's name with its parameters, e.g. `test_pays[sqlite]`, from the variable
    pytest keeps up to date (so `snap` needs no fixture)."""
    current = os.environ.get("PYTEST_CURRENT_TEST", "unknown-test")
    node_id = current.rsplit(" (", 1)[0]
    return node_id.rsplit("::", 1)[-1]


def screenshot_dir(test_name: str) -> Path:
    return SCREENSHOTS_DIR / _UNSAFE.sub("-", test_name).strip("-")


def snap(page: Page, name: str) -> Path:
    """Save a full-page PNG of the page as it is now to
    test-artifacts/screenshots/<test name>/<nn>-<name>.png, numbered in the order taken. A test's
    folder is emptied at its first screenshot, so it shows only the latest run."""
    folder = screenshot_dir(current_test_name())
    if folder not in _taken:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
        _taken[folder] = 0
    _taken[folder] += 1
    path = folder / f"{_taken[folder]:02d}-{_UNSAFE.sub('-', name).strip('-')}.png"
    # A web font that failed to load leaves its text unpainted until the next frames are drawn
    # in the fallback font; a screenshot taken before then shows blank text.
    page.evaluate(SETTLED_SCRIPT)
    page.screenshot(path=str(path), full_page=True)
    return path


def visit_page(page: Page, name: str, *, skip_rules: Sequence[str] = ()) -> Path:
    """What to do on every page of a journey: a screenshot, then the accessibility check (the
    screenshot first, so a page that fails the check can be looked at)."""
    path = snap(page, name)
    check_accessibility(page, name, skip_rules=skip_rules)
    return path


# --- forms ---------------------------------------------------------------------------------------


def press_button(page: Page, name: str) -> None:
    """Press the button named `name` and wait for the page its form leads to (a click returns as
    soon as it is made, before the browser has the next page)."""
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


# --- the sandbox gateway's card page -----------------------------------------------------------

SUCCESS_CARD = "4444333322221111"
DECLINED_CARD = "4000000000000002"
THREE_D_SECURE_CARD = "4000002500003155"

# The test card's expiry, in years from today: always in the future, never implausibly far.
CARD_VALID_FOR_YEARS = 3

# The card page's labels and buttons, by language, so journeys in Welsh drive it the same way.
CARD_PAGE_TEXTS = {
    "en": {
        "card_number": "Card number",
        "month": "Month",
        "year": "Year",
        "name": "Name on card",
        "cvc": "Card security code",
        "pay": "Pay",
        "cancel": "Cancel payment",
    },
    "cy": {
        "card_number": "Rhif y cerdyn",
        "month": "Mis",
        "year": "Blwyddyn",
        "name": "Enw ar y cerdyn",
        "cvc": "Cod diogelwch y cerdyn",
        "pay": "Talu",
        "cancel": "Canslo'r taliad",
    },
}


def fill_card_form(
    page: Page,
    card_number: str = SUCCESS_CARD,
    *,
    language: str = "en",
    expiry_month: str = "12",
    expiry_year: str | None = None,
    cardholder_name: str = "Ann Payer",
    cvc: str = "123",
) -> None:
    """Type a card into the sandbox gateway's card page, by its labels, as a payer would."""
    texts = CARD_PAGE_TEXTS[language]
    if expiry_year is None:
        expiry_year = f"{(date.today().year + CARD_VALID_FOR_YEARS) % 100:02d}"
    page.get_by_label(texts["card_number"], exact=True).fill(card_number)
    page.get_by_label(texts["month"], exact=True).fill(expiry_month)
    page.get_by_label(texts["year"], exact=True).fill(expiry_year)
    page.get_by_label(texts["name"], exact=True).fill(cardholder_name)
    page.get_by_label(texts["cvc"], exact=True).fill(cvc)


def pay_on_card_page(
    page: Page,
    card_number: str = SUCCESS_CARD,
    *,
    language: str = "en",
    screenshot: str | None = "sandbox-card-page",
    **fields: str,
) -> None:
    """On the sandbox card page: check and photograph it (unless `screenshot` is None), fill in
    the card and press Pay. Returns once the browser has the page the gateway sent it to: the
    service's return_url, the 3-D Secure challenge, or the form again with its errors."""
    if screenshot is not None:
        visit_page(page, screenshot)
    fill_card_form(page, card_number, language=language, **fields)
    press_button(page, CARD_PAGE_TEXTS[language]["pay"])
