"""What can go wrong signing someone in through an OpenID Connect provider.

Each error says what went wrong and what the resident or the operator can do about it. HTTP
statuses are not decided here: `receipting.api.errors.ERROR_TABLE` maps these to responses.
Nothing here ever carries a token: messages are shown on pages and written to logs.
"""

from __future__ import annotations

from receipting.errors import ReceiptingError

# What the provider put in `error_description` is shown, so it is cut short and stripped of
# anything but printable text; a provider's page would never need more.
MAX_PROVIDER_DESCRIPTION_LEN = 200

TRY_AGAIN = "Go back and sign in again; if it keeps happening, tell the council."

# Why a sign-in was refused, by reason code. The codes are stable (pages and tests match on them);
# the texts are English for logs and the API, pages translate by code.
REFUSAL_MESSAGES: dict[str, str] = {
    "state_unknown": (
        "This sign-in link has already been used, has expired or was not started from this "
        "browser. " + TRY_AGAIN
    ),
    "provider_error": "The sign-in service did not sign you in. " + TRY_AGAIN,
    "code_missing": "The sign-in service sent you back without a sign-in code. " + TRY_AGAIN,
    "code_rejected": (
        "The sign-in service would not accept this sign-in code: it was already used or has "
        "expired. " + TRY_AGAIN
    ),
    "bad_response": (
        "The sign-in service's answer could not be understood. " + TRY_AGAIN + " The council's "
        "operators should check the provider settings."
    ),
    "token_too_large": "The sign-in service's identity token is too large to trust. " + TRY_AGAIN,
    "malformed": "The sign-in service's identity token could not be read. " + TRY_AGAIN,
    "alg_not_allowed": (
        "The identity token is signed with an algorithm this service does not accept. " + TRY_AGAIN
    ),
    "unknown_kid": (
        "The identity token is signed with a key the sign-in service does not publish. " + TRY_AGAIN
    ),
    "bad_signature": "The identity token's signature is not valid. " + TRY_AGAIN,
    "wrong_issuer": "The identity token was not issued by the expected sign-in service. "
    + TRY_AGAIN,
    "wrong_audience": "The identity token was issued for another service. " + TRY_AGAIN,
    "expired": (
        "The identity token has expired. " + TRY_AGAIN + " If it happens every time, the "
        "operators should check this server's clock."
    ),
    "issued_in_future": (
        "The identity token claims to be issued in the future. " + TRY_AGAIN + " If it happens "
        "every time, the operators should check this server's clock."
    ),
    "nonce_missing": "The identity token does not carry this sign-in's one-time value. "
    + TRY_AGAIN,
    "nonce_mismatch": "The identity token belongs to a different sign-in. " + TRY_AGAIN,
    "vot_missing": ("The sign-in service did not say how securely you signed in. " + TRY_AGAIN),
    "vot_too_low": (
        "You signed in less securely than this service needs (for example without the code "
        "sent to your phone). Sign in again and use your second step as well as your password."
    ),
    "sub_missing": "The identity token does not say who you are. " + TRY_AGAIN,
    "subject_mismatch": (
        "The sign-in service's details belong to someone other than who signed in. " + TRY_AGAIN
    ),
}


class OidcError(ReceiptingError):
    """Signing in through the OpenID Connect provider went wrong."""

    code = "OIDC_ERROR"


class ProviderUnavailable(OidcError):
    """The provider could not be reached, timed out or answered with a server error."""

    code = "OIDC_PROVIDER_UNAVAILABLE"

    def __init__(self, what: str) -> None:
        super().__init__(
            f"The sign-in service cannot be reached just now ({what}). Try again in a few "
            "minutes; you can still pay without signing in."
        )


class DiscoveryFailed(OidcError):
    """The provider's discovery document or key set is unusable: a configuration problem."""

    code = "OIDC_DISCOVERY_FAILED"

    def __init__(self, what: str) -> None:
        super().__init__(
            f"The sign-in service's configuration cannot be used: {what}. The council's "
            "operators should check RECEIPTING_OIDC_ISSUER against the provider's documentation; "
            "residents can still pay without signing in."
        )


class ClientRejected(OidcError):
    """The provider refused this service's own credentials: a configuration problem."""

    code = "OIDC_CLIENT_REJECTED"

    def __init__(self, provider_error: str | None) -> None:
        super().__init__(
            f"The sign-in service refused this service's credentials ({provider_error}). The "
            "council's operators should check RECEIPTING_OIDC_CLIENT_ID, the redirect address "
            "registered with the provider, and that the public key published at "
            "/.well-known/jwks.json is the one registered there. Residents can still pay "
            "without signing in."
        )


class SignInRefused(OidcError):
    """A sign-in was refused: the provider said no, or what came back did not pass the checks.

    `reason` is one of `REFUSAL_MESSAGES`' codes; `provider_error` is the provider's own error
    code (such as `access_denied`) when it refused, already made safe to show.
    """

    code = "SIGN_IN_REFUSED"

    def __init__(
        self,
        reason: str,
        *,
        provider_error: str | None = None,
        provider_description: str | None = None,
    ) -> None:
        if reason not in REFUSAL_MESSAGES:
            raise ValueError(f"unknown sign-in refusal reason {reason!r}")
        message = REFUSAL_MESSAGES[reason]
        self.reason = reason
        self.provider_error = safe_text(provider_error)
        self.provider_description = safe_text(provider_description)
        if self.provider_error:
            message += f" (The sign-in service said: {self.provider_error}"
            if self.provider_description:
                message += f": {self.provider_description}"
            message += ".)"
        super().__init__(message)


def safe_text(text: str | None) -> str | None:
    """Printable characters only, cut short: fit to show on a page or write to a log line."""
    if not text:
        return None
    cleaned = "".join(c for c in text if c.isprintable())[:MAX_PROVIDER_DESCRIPTION_LEN]
    return cleaned.strip() or None
