"""Settings, read from environment variables once, at start-up, and passed in from there.

- RECEIPTING_DATABASE_URL: SQLAlchemy URL, `sqlite:///file` or `postgresql://...`
  (default: `sqlite:///receipting.sqlite3` in the working directory).
- RECEIPTING_SEAL_KEY: secret for the ledger's hash chain, at least 32 characters
  (default: a public development key, with a loud warning).
- RECEIPTING_DEVELOPMENT: `1` marks a development or demo installation: it relaxes checks
  meant for live money, such as https-only webhook URLs (default: off).
- RECEIPTING_LOG_LEVEL: DEBUG, INFO, WARNING or ERROR (default: INFO).
- RECEIPTING_PUBLIC_URL: the address payers' browsers and API clients reach this engine at, used
  in links (default: http://127.0.0.1:8000).
- RECEIPTING_SANDBOX_GATEWAY: `1` turns on the sandbox card gateway and its test card page
  (default: off; the demo turns it on).
- RECEIPTING_RATE_LIMIT_PER_MINUTE: requests one API key may make per minute (default: 600).
- RECEIPTING_SECRET_KEY: secret for the pages' encrypted cookies and anti-forgery tokens, at
  least 32 characters (default: a public development key, with a loud warning).
- RECEIPTING_FRONTEND_DIR: the `govuk-frontend` package's `dist/govuk` folder, whose styles,
  fonts and images the pages use (default: found under `node_modules/` beside the project, as
  `npm ci` installs it).
- RECEIPTING_SMTP_HOST, RECEIPTING_SMTP_PORT (default 25), RECEIPTING_SMTP_FROM,
  RECEIPTING_SMTP_USERNAME, RECEIPTING_SMTP_PASSWORD, RECEIPTING_SMTP_STARTTLS (`1` to upgrade
  the connection): where emailed receipts are sent from. Without a host no email is sent.
- RECEIPTING_OIDC_ISSUER, RECEIPTING_OIDC_CLIENT_ID, RECEIPTING_OIDC_PRIVATE_KEY_FILE (a PEM
  file holding the engine's EC P-256 or RSA private key, for private_key_jwt),
  RECEIPTING_OIDC_SCOPES (default `openid email`), RECEIPTING_OIDC_VTR (default `["Cl.Cm"]`):
  the One Login-style provider residents sign in with. Without an issuer, signing in is off.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from receipting.errors import ConfigurationError

DEFAULT_DATABASE_URL = "sqlite:///receipting.sqlite3"

# Public and well known: anyone could forge a chain sealed with it. Only for development and tests.
DEVELOPMENT_SEAL_KEY = "development-only-seal-key-do-not-use-in-production"

# HMAC-SHA256 keys shorter than this are guessable in practice.
MIN_SEAL_KEY_LEN = 32

DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"

# Public and well known, like the development seal key: cookies sealed with it can be forged.
DEVELOPMENT_SECRET_KEY = "development-only-secret-key-for-cookies-do-not-use-in-production"
MIN_SECRET_KEY_LEN = 32

DEFAULT_SMTP_PORT = 25
DEFAULT_SMTP_FROM = "receipts@localhost"
DEFAULT_OIDC_SCOPES = ("openid", "email")
# One Login's default: two factors ("Cl.Cm"), a medium level of confidence in the sign-in.
DEFAULT_OIDC_VTR = '["Cl.Cm"]'

# Requests per API key per minute: ten a second is far beyond any council system's steady load,
# low enough that a runaway client cannot starve everyone else.
DEFAULT_RATE_LIMIT_PER_MINUTE = 600

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = DEFAULT_SMTP_PORT
    sender: str = DEFAULT_SMTP_FROM
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = False


@dataclass(frozen=True)
class OidcSettings:
    issuer: str
    client_id: str
    private_key_pem: bytes = field(repr=False)
    scopes: tuple[str, ...] = DEFAULT_OIDC_SCOPES
    vtr: str = DEFAULT_OIDC_VTR


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    seal_key: bytes = field(default=DEVELOPMENT_SEAL_KEY.encode(), repr=False)
    development: bool = False
    log_level: str = "INFO"
    public_url: str = DEFAULT_PUBLIC_URL
    sandbox_gateway: bool = False
    rate_limit_per_minute: int = DEFAULT_RATE_LIMIT_PER_MINUTE
    secret_key: bytes = field(default=DEVELOPMENT_SECRET_KEY.encode(), repr=False)
    frontend_dir: str | None = None  # None: look for node_modules/govuk-frontend beside us
    smtp: SmtpSettings | None = None  # None: receipts are not emailed
    oidc: OidcSettings | None = None  # None: residents cannot sign in

    @property
    def uses_development_seal_key(self) -> bool:
        return self.seal_key == DEVELOPMENT_SEAL_KEY.encode()

    @property
    def uses_development_secret_key(self) -> bool:
        return self.secret_key == DEVELOPMENT_SECRET_KEY.encode()

    @property
    def secure_cookies(self) -> bool:
        """Cookies carry the Secure flag, and pages send HSTS, everywhere but development."""
        return not self.development

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        seal_key = env.get("RECEIPTING_SEAL_KEY", DEVELOPMENT_SEAL_KEY)
        if len(seal_key) < MIN_SEAL_KEY_LEN:
            raise ConfigurationError(
                f"RECEIPTING_SEAL_KEY is {len(seal_key)} characters long; it must be at least "
                f"{MIN_SEAL_KEY_LEN}. Generate one with: python -c "
                '"import secrets; print(secrets.token_urlsafe(48))"'
            )
        level = env.get("RECEIPTING_LOG_LEVEL", "INFO").upper()
        if level not in logging.getLevelNamesMapping():
            raise ConfigurationError(
                f"RECEIPTING_LOG_LEVEL is {level!r}; use DEBUG, INFO, WARNING or ERROR."
            )
        public_url = env.get("RECEIPTING_PUBLIC_URL", DEFAULT_PUBLIC_URL).rstrip("/")
        if not public_url.startswith(("http://", "https://")):
            raise ConfigurationError(
                f"RECEIPTING_PUBLIC_URL is {public_url!r}; it must be an http:// or https:// "
                "address such as https://pay.example-council.gov.uk"
            )
        rate = env.get("RECEIPTING_RATE_LIMIT_PER_MINUTE", str(DEFAULT_RATE_LIMIT_PER_MINUTE))
        if not rate.isdigit() or int(rate) < 1:
            raise ConfigurationError(
                f"RECEIPTING_RATE_LIMIT_PER_MINUTE is {rate!r}; it must be a whole number of "
                "requests, 1 or more."
            )
        secret_key = env.get("RECEIPTING_SECRET_KEY", DEVELOPMENT_SECRET_KEY)
        if len(secret_key) < MIN_SECRET_KEY_LEN:
            raise ConfigurationError(
                f"RECEIPTING_SECRET_KEY is {len(secret_key)} characters long; it must be at least "
                f"{MIN_SECRET_KEY_LEN}. Generate one with: python -c "
                '"import secrets; print(secrets.token_urlsafe(48))"'
            )
        return cls(
            database_url=env.get("RECEIPTING_DATABASE_URL", DEFAULT_DATABASE_URL),
            seal_key=seal_key.encode(),
            development=env.get("RECEIPTING_DEVELOPMENT", "").lower() in TRUE_WORDS,
            log_level=level,
            public_url=public_url,
            sandbox_gateway=env.get("RECEIPTING_SANDBOX_GATEWAY", "").lower() in TRUE_WORDS,
            rate_limit_per_minute=int(rate),
            secret_key=secret_key.encode(),
            frontend_dir=env.get("RECEIPTING_FRONTEND_DIR") or None,
            smtp=_smtp_from_env(env),
            oidc=_oidc_from_env(env),
        )

    def warn_about_defaults(self) -> None:
        """Warn, once per process, about each public development key in use. Once: a command
        that serves and runs jobs reads its settings more than once, and gunicorn's workers are
        forked from a master that has already warned (they inherit the record of it)."""
        if self.uses_development_secret_key:
            _warn_once(
                "RECEIPTING_SECRET_KEY is not set: the pages' cookies are sealed with the public "
                "development key, so anyone can forge them. Set RECEIPTING_SECRET_KEY to a secret "
                f"of at least {MIN_SECRET_KEY_LEN} characters before serving residents."
            )
        if self.uses_development_seal_key:
            _warn_once(
                "RECEIPTING_SEAL_KEY is not set: the ledger is sealed with the public development "
                "key, so its hash chain proves nothing. Set RECEIPTING_SEAL_KEY to a secret of at "
                f"least {MIN_SEAL_KEY_LEN} characters before taking real money."
            )


# The warnings this process has given: each is given once, however often settings are read.
_warned: set[str] = set()


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        log.warning(message)


def _smtp_from_env(env: Mapping[str, str]) -> SmtpSettings | None:
    host = env.get("RECEIPTING_SMTP_HOST", "").strip()
    if not host:
        return None
    port = env.get("RECEIPTING_SMTP_PORT", str(DEFAULT_SMTP_PORT))
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigurationError(
            f"RECEIPTING_SMTP_PORT is {port!r}; it must be a port number such as 25 or 587."
        )
    return SmtpSettings(
        host=host,
        port=int(port),
        sender=env.get("RECEIPTING_SMTP_FROM", DEFAULT_SMTP_FROM),
        username=env.get("RECEIPTING_SMTP_USERNAME") or None,
        password=env.get("RECEIPTING_SMTP_PASSWORD") or None,
        starttls=env.get("RECEIPTING_SMTP_STARTTLS", "").lower() in TRUE_WORDS,
    )


def _oidc_from_env(env: Mapping[str, str]) -> OidcSettings | None:
    # Kept exactly as given: ID tokens' `iss` must equal it, and One Login's ends in "/".
    issuer = env.get("RECEIPTING_OIDC_ISSUER", "").strip()
    if not issuer:
        return None
    client_id = env.get("RECEIPTING_OIDC_CLIENT_ID", "").strip()
    key_file = env.get("RECEIPTING_OIDC_PRIVATE_KEY_FILE", "").strip()
    if not client_id or not key_file:
        raise ConfigurationError(
            "RECEIPTING_OIDC_ISSUER is set, so RECEIPTING_OIDC_CLIENT_ID (the client id the "
            "provider gave this service) and RECEIPTING_OIDC_PRIVATE_KEY_FILE (the PEM file of "
            "the key whose public half is registered with the provider) must be set too."
        )
    try:
        with open(key_file, "rb") as handle:
            key_pem = handle.read()
    except OSError as exc:
        raise ConfigurationError(
            f"RECEIPTING_OIDC_PRIVATE_KEY_FILE names {key_file!r}, which cannot be read "
            f"({exc.strerror}). Point it at the PEM file of the service's private key."
        ) from exc
    scopes = tuple(env.get("RECEIPTING_OIDC_SCOPES", " ".join(DEFAULT_OIDC_SCOPES)).split())
    if "openid" not in scopes:
        raise ConfigurationError(
            f"RECEIPTING_OIDC_SCOPES is {' '.join(scopes)!r}; it must include openid."
        )
    return OidcSettings(
        issuer=issuer,
        client_id=client_id,
        private_key_pem=key_pem,
        scopes=scopes,
        vtr=env.get("RECEIPTING_OIDC_VTR", DEFAULT_OIDC_VTR),
    )
