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

# Requests per API key per minute: ten a second is far beyond any council system's steady load,
# low enough that a runaway client cannot starve everyone else.
DEFAULT_RATE_LIMIT_PER_MINUTE = 600

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    seal_key: bytes = field(default=DEVELOPMENT_SEAL_KEY.encode(), repr=False)
    development: bool = False
    log_level: str = "INFO"
    public_url: str = DEFAULT_PUBLIC_URL
    sandbox_gateway: bool = False
    rate_limit_per_minute: int = DEFAULT_RATE_LIMIT_PER_MINUTE

    @property
    def uses_development_seal_key(self) -> bool:
        return self.seal_key == DEVELOPMENT_SEAL_KEY.encode()

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
        return cls(
            database_url=env.get("RECEIPTING_DATABASE_URL", DEFAULT_DATABASE_URL),
            seal_key=seal_key.encode(),
            development=env.get("RECEIPTING_DEVELOPMENT", "").lower() in TRUE_WORDS,
            log_level=level,
            public_url=public_url,
            sandbox_gateway=env.get("RECEIPTING_SANDBOX_GATEWAY", "").lower() in TRUE_WORDS,
            rate_limit_per_minute=int(rate),
        )

    def warn_about_defaults(self) -> None:
        if self.uses_development_seal_key:
            log.warning(
                "RECEIPTING_SEAL_KEY is not set: the ledger is sealed with the public development "
                "key, so its hash chain proves nothing. Set RECEIPTING_SEAL_KEY to a secret of at "
                "least %d characters before taking real money.",
                MIN_SEAL_KEY_LEN,
            )
