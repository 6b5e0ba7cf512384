"""A generic, strict OpenID Connect relying party, with GOV.UK One Login and workforce profiles.

`OidcClient` does the protocol; the caller keeps the one-use sign-in attempts and the sessions.
"""

from receipting.auth.oidc.client import AuthorizationRequest, Callback, OidcClient, SignedIn
from receipting.auth.oidc.discovery import ProviderMetadata
from receipting.auth.oidc.errors import (
    ClientRejected,
    DiscoveryFailed,
    OidcError,
    ProviderUnavailable,
    SignInRefused,
)
from receipting.auth.oidc.keys import RelyingPartyKey, generate_ec_key_pem
from receipting.auth.oidc.profiles import ONE_LOGIN, WORKFORCE, Profile

__all__ = [
    "ONE_LOGIN",
    "WORKFORCE",
    "AuthorizationRequest",
    "Callback",
    "ClientRejected",
    "DiscoveryFailed",
    "OidcClient",
    "OidcError",
    "Profile",
    "ProviderMetadata",
    "ProviderUnavailable",
    "RelyingPartyKey",
    "SignInRefused",
    "SignedIn",
    "generate_ec_key_pem",
]
