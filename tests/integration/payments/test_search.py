"""Searching payments with GOV.UK Pay's filters and pages."""

from __future__ import annotations

from tests.integration.payments.conftest import DECLINED_CARD, Api, ctax_payment


def test_search_pages_through_a_services_payments_newest_first(
    api: Api, ctax_refs: list[str]
) -> None:
    ids = []
    for n in range(5):
        ids.append(api.create(ctax_payment(ctax_refs[0], amount=100 + n)).json["payment_id"])
        api.clock.advance(seconds=1)
    page = api.get("/v1/payments", display_size="2", page="2").json
    assert (page["total"], page["count"], page["page"]) == (5, 2, 2)
    assert [p["payment_id"] for p in page["results"]] == [ids[2], ids[1]]
    links = page["_links"]
    assert "page=3" in links["next_page"]["href"]
    assert "page=1" in links["prev_page"]["href"]
    assert "page=3" in links["last_page"]["href"]


def test_search_filters_by_state_reference_and_card(api: Api, ctax_refs: list[str]) -> None:
    api.paid(ctax_payment(ctax_refs[0]))
    api.paid(ctax_payment(ctax_refs[1], reference="OTHER"), card=DECLINED_CARD)
    assert api.get("/v1/payments", state="success").json["total"] == 1
    assert api.get("/v1/payments", reference="OTHER").json["total"] == 1
    assert api.get("/v1/payments", last_digits_card_number="0002").json["total"] == 1
    assert api.get("/v1/payments", cardholder_name="ann").json["total"] == 2


def test_search_dates_are_iso_8601_in_utc(api: Api, ctax_refs: list[str]) -> None:
    api.create(ctax_payment(ctax_refs[0]))
    assert api.get("/v1/payments", from_date="2026-11-24T08:00:00Z").json["total"] == 1
    assert api.get("/v1/payments", to_date="2026-11-24T08:00:00Z").json["total"] == 0
    bad = api.get("/v1/payments", from_date="yesterday")
    assert (bad.status_code, bad.json["code"], bad.json["field"]) == (422, "P0402", "from_date")


def test_display_size_above_500_is_refused(api: Api) -> None:
    answer = api.get("/v1/payments", display_size="501")
    assert (answer.status_code, answer.json["field"]) == (422, "display_size")
