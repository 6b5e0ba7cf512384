"""Every checkout page is in the OpenAPI document as an HTML page, its forms as form posts."""

from __future__ import annotations

from falcon.testing import TestClient

from channels.web_checkout.channel import WebCheckoutChannel
from receipting.app import create_app
from tests.integration.channels.web_checkout.conftest import settings_for

PAGES = {
    ("get", "/"),
    ("get", "/pay"),
    ("get", "/pay/{fund_code}"),
    ("post", "/pay/{fund_code}"),
    ("get", "/pay/basket"),
    ("get", "/pay/basket/{item}/change"),
    ("post", "/pay/basket/{item}/change"),
    ("get", "/pay/basket/{item}/remove"),
    ("post", "/pay/basket/{item}/remove"),
    ("get", "/pay/email"),
    ("post", "/pay/email"),
    ("get", "/pay/check"),
    ("post", "/pay/check"),
    ("get", "/pay/return"),
    ("post", "/pay/retry"),
    ("get", "/pay/receipt"),
}


def test_every_page_is_documented_as_html_and_every_form_as_a_form_post() -> None:
    # Building the app connects to nothing, so no database is needed.
    app = create_app(settings_for("sqlite://"), channels=[WebCheckoutChannel()])
    document = TestClient(app).simulate_get("/openapi.json").json
    found = {
        (method, path)
        for path, item in document["paths"].items()
        for method in item
        if path == "/" or path.startswith("/pay")
    }
    assert found == PAGES
    ids = set()
    for method, path in PAGES:
        operation = document["paths"][path][method]
        assert operation["operationId"].startswith("checkout")
        ids.add(operation["operationId"])
        success = next(iter(operation["responses"].values()))
        assert list(success["content"]) == ["text/html"]
        if method == "post":
            assert list(operation["requestBody"]["content"]) == [
                "application/x-www-form-urlencoded"
            ]
    assert len(ids) == len(PAGES)
    assert "/assets/stylesheets/{name}" in document["paths"]
