"""Cancelling, delayed capture, and one service never seeing another's payments."""

from __future__ import annotations

from tests.integration.payments.conftest import Api, MakeApi, ctax_payment


def test_an_unfinished_payment_can_be_cancelled_by_the_service(
    api: Api, ctax_refs: list[str]
) -> None:
    created = api.create(ctax_payment(ctax_refs[0])).json
    answer = api.post(f"/v1/payments/{created['payment_id']}/cancel")
    assert answer.status_code == 204
    payment = api.get(f"/v1/payments/{created['payment_id']}").json
    assert payment["state"] == {
        "status": "cancelled",
        "finished": True,
        "code": "P0040",
        "message": "Payment was cancelled by the service",
    }
    assert "cancel" not in payment["_links"]


def test_a_finished_payment_cannot_be_cancelled(api: Api, ctax_refs: list[str]) -> None:
    payment = api.paid(ctax_payment(ctax_refs[0]))
    answer = api.post(f"/v1/payments/{payment['payment_id']}/cancel")
    assert (answer.status_code, answer.json["code"]) == (400, "P0502")


def test_a_delayed_capture_payment_waits_capturable_and_posts_when_captured(
    api: Api, ctax_refs: list[str]
) -> None:
    payment = api.paid(ctax_payment(ctax_refs[0], delayed_capture=True))
    assert payment["state"]["status"] == "capturable"
    assert "capture" in payment["_links"]
    assert api.ledger.balance("CARD-CLR-SANDBOX") == 0
    answer = api.post(f"/v1/payments/{payment['payment_id']}/capture")
    assert answer.status_code == 204
    captured = api.get(f"/v1/payments/{payment['payment_id']}").json
    assert captured["state"]["status"] == "success"
    assert captured["receipt_number"]
    assert captured["settlement_summary"]["captured_date"] == "2026-11-24"
    assert api.ledger.balance("CARD-CLR-SANDBOX") == 12345


def test_a_payment_that_is_not_capturable_cannot_be_captured(
    api: Api, ctax_refs: list[str]
) -> None:
    payment = api.paid(ctax_payment(ctax_refs[0]))
    answer = api.post(f"/v1/payments/{payment['payment_id']}/capture")
    assert (answer.status_code, answer.json["code"]) == (400, "P1003")
    assert api.ledger.balance("CARD-CLR-SANDBOX") == 12345


def test_another_services_payment_is_not_found(make_api: MakeApi, ctax_refs: list[str]) -> None:
    owner, stranger = make_api(service="revenues"), make_api(service="parking")
    created = owner.create(ctax_payment(ctax_refs[0])).json
    payment_id = created["payment_id"]
    assert stranger.get(f"/v1/payments/{payment_id}").json["code"] == "P0200"
    assert stranger.get(f"/v1/payments/{payment_id}").status_code == 404
    assert stranger.get(f"/v1/payments/{payment_id}/events").json["code"] == "P0300"
    assert stranger.post(f"/v1/payments/{payment_id}/cancel").status_code == 404
    assert stranger.get("/v1/payments").json["total"] == 0
    assert owner.get("/v1/payments").json["total"] == 1


def test_an_unknown_payment_is_a_404_with_p0200(api: Api) -> None:
    answer = api.get("/v1/payments/abcdefghijklmnopqrstuvwxyz")
    assert (answer.status_code, answer.json["code"]) == (404, "P0200")


def test_a_payer_who_cancels_on_the_card_page_fails_the_payment_with_p0030(
    api: Api, ctax_refs: list[str]
) -> None:
    created = api.create(ctax_payment(ctax_refs[0])).json
    view = api.sandbox.open_page(created["provider_id"])
    api.sandbox.cancel_by_payer(created["provider_id"], view.form_token)
    state = api.get(f"/v1/payments/{created['payment_id']}").json["state"]
    assert (state["status"], state["code"]) == ("failed", "P0030")
