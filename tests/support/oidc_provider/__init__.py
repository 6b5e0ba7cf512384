"""A real OpenID Connect provider for tests, set up like GOV.UK One Login.

`start_oidc_provider` runs the npm package `oidc-provider` (panva's certified implementation,
installed by `npm ci`) through `provider.mjs` on a free loopback port: one private_key_jwt client,
ES256 ID tokens with `vot`/`vtm`, PKCE S256 required, `vtr` and `ui_locales` accepted, pairwise
`urn:fdc:gov.uk:2022:` subjects, RP-initiated logout, and its development login and consent
forms, which `login_over_http` fills in.

For the relying party's negative suite, `OidcProvider.tamper(mode)` makes the provider rewrite
the ID token of its next token response (see `TAMPER_MODES`).

Without Node.js or the npm packages the tests skip, saying what to install; when the environment
variable CI is set they fail instead, because CI must never skip them.
"""

from __future__ import annotations

import html
import json
import os
import queue
import re
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

PROVIDER_SCRIPT = Path(__file__).with_name("provider.mjs")
REPO_ROOT = Path(__file__).resolve().parents[3]
PROVIDER_PACKAGE = REPO_ROOT / "node_modules" / "oidc-provider" / "package.json"

# Loading the provider and making an RSA key takes about a second; slow CI machines need more.
STARTUP_TIMEOUT_S = 30.0
# The provider closes its server on SIGTERM at once; after this long it is killed.
STOP_TIMEOUT_S = 5.0
# Every call to the provider is on loopback; anything slower than this is a hang.
HTTP_TIMEOUT_S = 10.0
# A sign-in is authorize -> login form -> resume -> consent form -> resume -> redirect_uri.
MAX_LOGIN_STEPS = 12
# Enough of a failing process's stderr to explain itself without flooding the report.
MAX_STDERR_CHARS = 4000

DEFAULT_LOGIN = "resident@example.org"
# The development login form wants a password; it accepts any.
DEFAULT_PASSWORD = "any password"

TAMPER_MODES: tuple[str, ...] = (
    "none",
    "forged_signature",
    "alg_none",
    "hs256_public_key",
    "wrong_iss",
    "wrong_aud",
    "expired",
    "future_iat",
    "wrong_nonce",
    "lower_vot",
    "unknown_kid",
    "oversized",
)

NODE_MISSING = (
    "the test OpenID provider needs Node.js 20+ on PATH and the npm packages: "
    "install Node.js 20+ and run npm ci in the repository root ({problem})"
)


FixtureScope = Literal["session", "package", "module", "class", "function"]


class OidcProviderError(RuntimeError):
    """The test provider could not start, or did not answer as expected."""


def provider_unavailable_reason() -> str | None:
    """Why the provider cannot run here, or None when Node.js and oidc-provider are installed."""
    if shutil.which("node") is None:
        return NODE_MISSING.format(problem="no `node` on PATH")
    if not PROVIDER_PACKAGE.is_file():
        return NODE_MISSING.format(problem="node_modules/oidc-provider is missing")
    return None


def require_provider() -> None:
    """Skips the test when the provider cannot run here; fails instead when CI is set."""
    reason = provider_unavailable_reason()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@dataclass
class OidcProvider:
    """A running provider: its issuer, and the test-only controls of provider.mjs."""

    issuer: str
    process: subprocess.Popen[str]
    stderr_path: Path
    _http: httpx.Client = field(repr=False)

    def tamper(self, mode: str) -> None:
        """Makes the provider rewrite the ID token of its next successful token response."""
        if mode not in TAMPER_MODES:
            raise ValueError(f"unknown tamper mode {mode!r}; use one of {', '.join(TAMPER_MODES)}")
        response = self._http.post(f"{self.issuer}/__test__/tamper", json={"mode": mode})
        self._expect_ok(response, "setting the tamper mode")

    def last_authorization(self) -> dict[str, Any]:
        """vtr, ui_locales, code_challenge_method, scope, nonce, state of the last sign-in."""
        response = self._http.get(f"{self.issuer}/__test__/last-authorization")
        self._expect_ok(response, "reading the last authorization request")
        result: dict[str, Any] = response.json()
        return result

    def discovery(self) -> dict[str, Any]:
        response = self._http.get(f"{self.issuer}/.well-known/openid-configuration")
        self._expect_ok(response, "reading the discovery document")
        result: dict[str, Any] = response.json()
        return result

    def stderr(self) -> str:
        """What the provider wrote to stderr so far (the tail, when long)."""
        try:
            text = self.stderr_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""
        return text[-MAX_STDERR_CHARS:]

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not gone within STOP_TIMEOUT_S. Safe to call twice."""
        self._http.close()
        _terminate(self.process)

    def _expect_ok(self, response: httpx.Response, doing: str) -> None:
        if response.status_code != httpx.codes.OK:
            raise OidcProviderError(
                f"the test provider answered {response.status_code} when {doing}: "
                f"{response.text[:500]}\nprovider stderr:\n{self.stderr()}"
            )


def _terminate(process: subprocess.Popen[str]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_S)


def _read_lines(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    # Drains stdout for the whole life of the process so it can never block on a full pipe.
    for line in stream:
        lines.put(line)
    lines.put(None)


def _wait_for_ready(
    process: subprocess.Popen[str], lines: queue.Queue[str | None], stderr_path: Path
) -> str:
    def failure(what: str) -> OidcProviderError:
        stderr = stderr_path.read_text(encoding="utf-8", errors="replace")[-MAX_STDERR_CHARS:]
        return OidcProviderError(
            f"the test OpenID provider {what}. Check that `npm ci` ran and `node "
            f"{PROVIDER_SCRIPT.name}` works.\nprovider stderr:\n{stderr}"
        )

    try:
        line = lines.get(timeout=STARTUP_TIMEOUT_S)
    except queue.Empty:
        raise failure(f"did not say it was ready within {STARTUP_TIMEOUT_S:.0f} s") from None
    if line is None:
        process.wait(timeout=STOP_TIMEOUT_S)
        raise failure(f"exited with status {process.returncode} before it was ready")
    try:
        ready = json.loads(line)
        issuer = str(ready["issuer"])
    except (ValueError, KeyError, TypeError):
        raise failure(f"printed {line!r} instead of its ready line") from None
    return issuer


@contextmanager
def start_oidc_provider(
    tmp_path: Path,
    *,
    client_id: str,
    redirect_uris: Sequence[str],
    post_logout_redirect_uris: Sequence[str] = (),
    client_jwks: Mapping[str, Any],
    accounts: Mapping[str, Mapping[str, Any]] | None = None,
    port: int = 0,
) -> Iterator[OidcProvider]:
    """Runs the provider for the `with` block; port 0 picks a free one.

    `client_jwks` is the relying party's public JWKS ({"keys": [...]}) for private_key_jwt.
    `accounts` maps a login name to its claims (email, email_verified, phone_number); any other
    login also signs in, with email `login` (or `login@example.org`).
    """
    require_provider()
    config_path = tmp_path / "oidc-provider.json"
    config_path.write_text(
        json.dumps(
            {
                "port": port,
                "client_id": client_id,
                "redirect_uris": list(redirect_uris),
                "post_logout_redirect_uris": list(post_logout_redirect_uris),
                "client_jwks": dict(client_jwks),
                "accounts": {login: dict(claims) for login, claims in (accounts or {}).items()},
            }
        ),
        encoding="utf-8",
    )
    stderr_path = tmp_path / "oidc-provider.stderr"
    with stderr_path.open("w", encoding="utf-8") as stderr_file:
        process = subprocess.Popen(
            ["node", str(PROVIDER_SCRIPT), str(config_path)],
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr_file,
            text=True,
        )
    try:
        assert process.stdout is not None
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True).start()
        issuer = _wait_for_ready(process, lines, stderr_path)
        provider = OidcProvider(
            issuer=issuer,
            process=process,
            stderr_path=stderr_path,
            _http=httpx.Client(timeout=HTTP_TIMEOUT_S),
        )
        try:
            yield provider
        finally:
            provider.stop()
    finally:
        _terminate(process)


@dataclass(frozen=True)
class ClientRegistration:
    """What the provider knows of the relying party, for `oidc_provider_fixture`."""

    client_id: str
    redirect_uris: tuple[str, ...]
    client_jwks: Mapping[str, Any]
    post_logout_redirect_uris: tuple[str, ...] = ()
    accounts: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def oidc_provider_fixture(
    registration_fixture: str, *, scope: FixtureScope = "module"
) -> Callable[..., Iterator[OidcProvider]]:
    """A pytest fixture running one provider for the client a `ClientRegistration` fixture names.

    In a test module or conftest: `oidc_provider = oidc_provider_fixture("client_registration")`.
    """

    def run_provider(
        request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
    ) -> Iterator[OidcProvider]:
        registration: ClientRegistration = request.getfixturevalue(registration_fixture)
        with start_oidc_provider(
            tmp_path_factory.mktemp("oidc-provider"),
            client_id=registration.client_id,
            redirect_uris=registration.redirect_uris,
            post_logout_redirect_uris=registration.post_logout_redirect_uris,
            client_jwks=registration.client_jwks,
            accounts=registration.accounts,
        ) as provider:
            yield provider

    return pytest.fixture(scope=scope)(run_provider)


# --- driving the provider's development forms, as a browser would -------------------------------

_FORM_ACTION = re.compile(r'<form[^>]*\baction="([^"]*)"', re.IGNORECASE)
_PROMPT_FIELD = re.compile(r'name="prompt"\s+value="([^"]*)"', re.IGNORECASE)
_XSRF_FIELD = re.compile(r'name="xsrf"\s+value="([^"]*)"', re.IGNORECASE)


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def _form_action(page: httpx.Response) -> str:
    match = _FORM_ACTION.search(page.text)
    if match is None:
        raise OidcProviderError(
            f"the provider's page at {page.url} has no form; it said: {page.text[:500]}"
        )
    return urljoin(str(page.url), html.unescape(match.group(1)))


def _login_form_fields(page: httpx.Response, login: str, password: str) -> dict[str, str]:
    prompt = _PROMPT_FIELD.search(page.text)
    if prompt is None:
        raise OidcProviderError(
            f"the provider answered {page.status_code} at {page.url} with neither a login nor a "
            f"consent form (is the authorize URL right?); it said: {page.text[:500]}"
        )
    if prompt.group(1) == "login":
        return {"prompt": "login", "login": login, "password": password}
    return {"prompt": prompt.group(1)}


def login_over_http(
    client: httpx.Client,
    authorize_url: str,
    login: str = DEFAULT_LOGIN,
    *,
    password: str = DEFAULT_PASSWORD,
) -> str:
    """Signs in through the provider's own forms; returns the redirect back to the client.

    Follows the provider's redirects, submits the login form and the consent form when shown, and
    returns the first URL outside the provider (the redirect_uri with code, state and iss, or with
    error) without requesting it. `client` keeps the provider's cookies, so a second sign-in with
    the same client skips the forms, as a browser with a session would.
    """
    provider_origin = _origin(authorize_url)
    response = client.get(authorize_url, follow_redirects=False)
    for _ in range(MAX_LOGIN_STEPS):
        if response.is_redirect:
            location = urljoin(str(response.url), response.headers["location"])
            if _origin(location) != provider_origin:
                return location
            response = client.get(location, follow_redirects=False)
            continue
        fields = _login_form_fields(response, login, password)
        response = client.post(_form_action(response), data=fields, follow_redirects=False)
    raise OidcProviderError(
        f"signing in took more than {MAX_LOGIN_STEPS} steps; last page {response.url}: "
        f"{response.text[:500]}"
    )


def logout_over_http(client: httpx.Client, end_session_url: str) -> str:
    """Confirms the provider's sign-out page; returns where it sends the browser next.

    `end_session_url` is the end_session_endpoint with id_token_hint, post_logout_redirect_uri
    and state. The result is the post_logout_redirect_uri (with state) when the provider accepted
    it, otherwise the provider's own "signed out" page.
    """
    page = client.get(end_session_url, follow_redirects=False)
    xsrf = _XSRF_FIELD.search(page.text)
    if page.status_code != httpx.codes.OK or xsrf is None:
        raise OidcProviderError(
            f"the provider answered {page.status_code} to the logout request {end_session_url}: "
            f"{page.text[:500]}"
        )
    response = client.post(
        _form_action(page), data={"xsrf": xsrf.group(1), "logout": "yes"}, follow_redirects=False
    )
    if not response.is_redirect:
        raise OidcProviderError(
            f"the provider answered {response.status_code} to the logout confirmation: "
            f"{response.text[:500]}"
        )
    return urljoin(str(response.url), response.headers["location"])
