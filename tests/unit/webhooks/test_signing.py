"""Pay-Signature: lowercase hex HMAC-SHA256 of the raw body, keyed with the secret."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from receipting.webhooks.signing import SECRET_PREFIX, new_secret, sign, verify


def test_the_signature_is_rfc_4231s_hmac_sha256_in_lowercase_hex() -> None:
    assert sign(b"what do ya want for nothing?", "Jefe") == (
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )


def test_each_new_secret_is_different_and_says_what_it_is() -> None:
    first, second = new_secret(), new_secret()

    assert first != second
    assert first.startswith(SECRET_PREFIX)
    assert len(first) == len(SECRET_PREFIX) + 64


def test_a_receiver_accepts_the_signature_in_upper_case_too() -> None:
    assert verify(b"{}", "s", sign(b"{}", "s").upper())


@given(body=st.binary(min_size=1), index=st.integers(min_value=0), flip=st.integers(1, 255))
def test_changing_any_byte_of_the_body_breaks_the_signature(
    body: bytes, index: int, flip: int
) -> None:
    secret = "webhook_secret_test"
    signature = sign(body, secret)
    position = index % len(body)
    tampered = body[:position] + bytes([body[position] ^ flip]) + body[position + 1 :]

    assert verify(body, secret, signature)
    assert not verify(tampered, secret, signature)
    assert not verify(body, secret + "x", signature)
