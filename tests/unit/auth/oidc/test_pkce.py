"""The one-use values of a sign-in, and PKCE's S256 challenge."""

from __future__ import annotations

import re

from receipting.auth.oidc.pkce import (
    code_challenge_s256,
    new_code_verifier,
    new_nonce,
    new_state,
)

# RFC 7636 section 4.1: 43 to 128 characters of [A-Z a-z 0-9 - . _ ~].
VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


def test_the_s256_challenge_matches_rfc_7636_appendix_b() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

    assert code_challenge_s256(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_a_new_verifier_is_within_the_rfcs_alphabet_and_length() -> None:
    assert VERIFIER.match(new_code_verifier())


def test_states_nonces_and_verifiers_are_never_repeated() -> None:
    values = {f() for f in (new_state, new_nonce, new_code_verifier) for _ in range(100)}

    assert len(values) == 300
