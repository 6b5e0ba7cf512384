"""Where a resident is sent after signing in: only ever a path on this site."""

from __future__ import annotations

import pytest

from receipting.residents.service import safe_return_path


@pytest.mark.parametrize("path", ["/account", "/pay/basket", "/pay/check?lang=cy"])
def test_a_path_on_this_site_is_kept(path: str) -> None:
    assert safe_return_path(path) == path


@pytest.mark.parametrize(
    "path",
    [
        None,
        "",
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "account",
        "/" + "a" * 300,
        "/pay\r\nSet-Cookie: x=1",
    ],
)
def test_anything_that_could_leave_the_site_becomes_the_account_page(path: str | None) -> None:
    assert safe_return_path(path) == "/account"
