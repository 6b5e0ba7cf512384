"""The relying party: builds the sign-in redirect, reads the callback, exchanges the code for
tokens (authenticating with private_key_jwt), verifies the ID token, asks for userinfo and builds
the logout address.

Pure logic and HTTP: which sign-ins are under way (state, nonce, verifier) and who is signed in
are kept by the caller and passed in. Tokens are never logged.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from receipting.auth.oidc.discovery import (
    JWKS_REFRESH_INTERVAL_S,
    Clock,
    ProviderCache,
    ProviderMetadata,
)
from receipting.auth.oidc.errors import ClientRejected, SignInRefused, safe_text
from receipting.auth.oidc.idtoken import Expected, verify_id_token
from receipting.auth.oidc.keys import RelyingPartyKey
from receipting.auth.oidc.pkce import code_challenge_s256, new_code_verifier, new_nonce, new_state
from receipting.auth.oidc.profiles import Profile
from receipting.auth.oidc.transport import send
from receipting.settings import OidcSettings

log = logging.getLogger(__name__)

# RFC 7523's name for "the client authenticates with a JWT it signed".
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# One Login asks for about five minutes: long enough for a slow network, short enough that a
# captured assertion is soon useless (and each carries a unique jti besides).
CLIENT_ASSERTION_LIFETIME_S = 5 * 60

# Callback parameters longer than this are not ours: codes and states are well under 1 KiB.
MAX_CALLBACK_VALUE_LEN = 2048


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """Where to send the browser, and the one-use values to keep until it comes back."""

    url: str
    state: str
    nonce: str = field(repr=False)
    code_verifier: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Callback:
    """What the provider sent the browser back with: the code and the state to look up."""

    code: str = field(repr=False)
    state: str


@dataclass(frozen=True, slots=True)
class SignedIn:
    sub: str
    # Kept (server-side) only to send back as the logout's id_token_hint.
    id_token: str = field(repr=False)
    claims: dict[str, Any] = field(repr=False)
    access_token: str = field(repr=False)
    # The level of trust achieved ("Cl.Cm"), or None for a provider without vectors of trust.
    vot: str | None


class OidcClient:
    def __init__(
        self,
        settings: OidcSettings,
        profile: Profile,
        http: httpx.Client,
        clock: Clock = time.time,
        *,
        jwks_refresh_interval_s: float = JWKS_REFRESH_INTERVAL_S,
    ) -> None:
        self._settings = settings
        self._profile = profile
        self._http = http
        self._clock = clock
        self.key = RelyingPartyKey.from_pem(settings.private_key_pem)
        # A wrong vtr in the settings is found at start-up, not at the first sign-in.
        profile.required_level(settings.vtr)
        self._provider = ProviderCache(
            settings.issuer,
            profile,
            http,
            clock,
            jwks_refresh_interval_s=jwks_refresh_interval_s,
        )

    def metadata(self) -> ProviderMetadata:
        return self._provider.metadata()

    def authorization_request(self, redirect_uri: str, language: str) -> AuthorizationRequest:
        state, nonce, verifier = new_state(), new_nonce(), new_code_verifier()
        params = {
            "response_type": "code",
            "scope": " ".join(self._settings.scopes),
            "client_id": self._settings.client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "nonce": nonce,
            "code_challenge": code_challenge_s256(verifier),
            "code_challenge_method": "S256",
        }
        if self._profile.uses_vectors_of_trust:
            params["vtr"] = self._settings.vtr
        if self._profile.sends_ui_locales:
            params["ui_locales"] = language
        url = _with_query(self.metadata().authorization_endpoint, params)
        return AuthorizationRequest(url=url, state=state, nonce=nonce, code_verifier=verifier)

    def parse_callback(self, params: Mapping[str, str]) -> Callback:
        """The code and state, or `SignInRefused` when the provider sent an error instead.

        The state still has to be matched (once) against the sign-in this browser started: that
        is the caller's, who keeps them. Without a usable state: reason `state_unknown`.
        """
        state = params.get("state", "")
        if not state or len(state) > MAX_CALLBACK_VALUE_LEN:
            raise SignInRefused("state_unknown")
        # RFC 9207: a provider that names itself must be ours (against mix-up attacks).
        if "iss" in params and params["iss"] != self._settings.issuer:
            raise SignInRefused("wrong_issuer")
        if "error" in params:
            error = safe_text(params["error"])
            log.info("sign-in refused by the provider: %s", error)
            raise SignInRefused(
                "provider_error",
                provider_error=error,
                provider_description=params.get("error_description"),
            )
        code = params.get("code", "")
        if not code or len(code) > MAX_CALLBACK_VALUE_LEN:
            raise SignInRefused("code_missing")
        return Callback(code=code, state=state)

    def exchange_code(
        self,
        code: str,
        redirect_uri: str,
        code_verifier: str,
        expected_nonce: str,
        requested_vtr: str | None = None,
    ) -> SignedIn:
        """Swaps the code for tokens and verifies the ID token; `requested_vtr` defaults to the
        settings' vtr, which is what `authorization_request` sent."""
        metadata = self.metadata()
        level = self._profile.required_level(requested_vtr or self._settings.vtr)
        tokens = self._token_request(metadata, code, redirect_uri, code_verifier)
        id_token, access_token = tokens.get("id_token"), tokens.get("access_token")
        token_type = tokens.get("token_type")
        if (
            not isinstance(id_token, str)
            or not isinstance(access_token, str)
            or not isinstance(token_type, str)
            or token_type.lower() != "bearer"
        ):
            raise self._refused("bad_response")
        expected = Expected(
            issuer=self._settings.issuer,
            client_id=self._settings.client_id,
            nonce=expected_nonce,
            level=level,
        )
        try:
            claims = verify_id_token(
                id_token,
                expected,
                profile=self._profile,
                find_key=self._provider.signing_key,
                now_s=self._clock(),
            )
        except SignInRefused as refused:
            log.warning("ID token refused: %s", refused.reason)
            raise
        vot = claims.get("vot") if level is not None else None
        return SignedIn(
            sub=claims["sub"],
            id_token=id_token,
            claims=claims,
            access_token=access_token,
            vot=vot,
        )

    def userinfo(self, access_token: str, *, expected_sub: str) -> dict[str, Any]:
        """The userinfo claims (email, email_verified, phone_number...) of who signed in.

        Their `sub` must be the ID token's (Core 5.3.4), or the answer is someone else's.
        """
        endpoint = self.metadata().userinfo_endpoint
        if endpoint is None:
            raise self._refused("bad_response")
        response = send(
            self._http,
            "GET",
            endpoint,
            what="userinfo",
            headers={"Authorization": f"Bearer {access_token}"},
        )
        if response.status != httpx.codes.OK:
            raise self._refused("provider_error", f"userinfo answered {response.status}")
        claims = response.json_object()
        if claims is None:
            raise self._refused("bad_response")
        sub = claims.get("sub")
        if not isinstance(sub, str) or not secrets.compare_digest(
            sub.encode("utf-8"), expected_sub.encode("utf-8")
        ):
            raise self._refused("subject_mismatch")
        return claims

    def logout_url(
        self, id_token_hint: str, post_logout_redirect_uri: str, state: str
    ) -> str | None:
        """Where to send the browser to end the provider's session too; None when the provider
        has no end_session_endpoint (then clearing our own session is all there is to do)."""
        endpoint = self.metadata().end_session_endpoint
        if endpoint is None:
            return None
        return _with_query(
            endpoint,
            {
                "id_token_hint": id_token_hint,
                "post_logout_redirect_uri": post_logout_redirect_uri,
                "state": state,
            },
        )

    def client_assertion(self, audience: str) -> str:
        """private_key_jwt (RFC 7523): a short-lived JWT about ourselves, signed with our key."""
        now = int(self._clock())
        return self.key.sign(
            {
                "iss": self._settings.client_id,
                "sub": self._settings.client_id,
                "aud": audience,
                "iat": now,
                "exp": now + CLIENT_ASSERTION_LIFETIME_S,
                "jti": secrets.token_urlsafe(32),
            }
        )

    def _token_request(
        self, metadata: ProviderMetadata, code: str, redirect_uri: str, code_verifier: str
    ) -> dict[str, Any]:
        response = send(
            self._http,
            "POST",
            metadata.token_endpoint,
            what="token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": code_verifier,
                "client_id": self._settings.client_id,
                "client_assertion_type": CLIENT_ASSERTION_TYPE,
                "client_assertion": self.client_assertion(metadata.token_endpoint),
            },
        )
        body = response.json_object()
        if response.status == httpx.codes.OK and body is not None:
            return body
        error = body.get("error") if body else None
        error = error if isinstance(error, str) else f"token endpoint answered {response.status}"
        if error == "invalid_client":
            log.error("the provider refused our client credentials (invalid_client)")
            raise ClientRejected(error)
        if error == "invalid_grant":
            raise self._refused("code_rejected", error)
        raise self._refused("provider_error", error)

    @staticmethod
    def _refused(reason: str, provider_error: str | None = None) -> SignInRefused:
        log.warning("sign-in refused: %s %s", reason, safe_text(provider_error) or "")
        return SignInRefused(reason, provider_error=provider_error)


def _with_query(url: str, params: Mapping[str, str]) -> str:
    """`url` with `params` added to whatever query it already has."""
    parts = urlsplit(url)
    query = [*parse_qsl(parts.query, keep_blank_values=True), *params.items()]
    return urlunsplit(parts._replace(query=urlencode(query)))
