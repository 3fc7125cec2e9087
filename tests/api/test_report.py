"""Report mode (HZ-F5): the vendor priced the meal; the platform re-rates, accepts or files a mismatch."""

from __future__ import annotations

from datetime import timedelta

from zhucan.checkout.models import Meal, ReportMismatch
from zhucan.core import clock

from .conftest import CARD

REPORT = "/api/v1/meals/report"


def meal(benefit_fen: int, paid_fen: int, **extra) -> dict:
    return {"elder": {"card_number": CARD}, "items": [{"name": "自选套餐", "quantity": 1, "unit_price_fen": 2000}],
            "benefit_fen": benefit_fen, "tenders": [{"kind": "alipay", "amount_fen": paid_fen, "reference": "ali"}],
            **extra}


def test_matching_report_is_accepted(api, carded):
    r = api.post(REPORT, meal(600, 1400), key="r1")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["mode"] == "report" and body["accepted"] is True and body["mismatch_id"] is None
    assert (body["gross_fen"], body["benefit_fen"], body["payable_fen"]) == (2000, 600, 1400)
    assert body["items"][0]["dish_id"] is None and body["items"][0]["name"] == "自选套餐"
    assert not ReportMismatch.objects.exists()
    again = api.post(REPORT, meal(600, 1400), key="r1")
    assert again.json()["replayed"] is True and again.json()["receipt_no"] == body["receipt_no"]
    assert Meal.objects.count() == 1


def test_mismatching_report_is_filed_for_review(api, carded):
    r = api.post(REPORT, meal(1000, 1000), key="r2")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["accepted"] is False and body["mismatch_id"]
    assert body["benefit_fen"] == 600  # the ledger keeps the platform's rating
    mismatch = ReportMismatch.objects.get(pk=body["mismatch_id"])
    assert mismatch.reported["benefit_fen"] == 1000 and mismatch.rated["benefit_fen"] == 600
    assert mismatch.status == "open"


def test_report_with_an_earlier_moment_and_refusals(api, carded):
    earlier = (clock.now() - timedelta(hours=4)).isoformat()  # 07:30 the same day: breakfast
    r = api.post(REPORT, meal(600, 1400, occurred_at=earlier), key="r3")
    assert r.status_code == 200, r.content
    assert r.json()["period"] == "breakfast" and r.json()["accepted"] is True
    old = (clock.now() - timedelta(days=10)).isoformat()
    r = api.post(REPORT, meal(600, 1400, occurred_at=old), key="r4")
    assert (r.status_code, r.json()["code"]) == (400, "OCCURRED_AT_INVALID")
    r = api.post(REPORT, meal(600, 1400, occurred_at="2025-06-02T11:00:00"), key="r5")
    assert (r.status_code, r.json()["code"]) == (400, "INPUT_INVALID") and r.json()["field"] == "occurred_at"
    r = api.post(REPORT, meal(600, 1000), key="r6")
    assert (r.status_code, r.json()["code"]) == (400, "TENDER_MISMATCH")
    r = api.post(REPORT, {**meal(600, 1400), "items": [{"name": "x", "quantity": 1, "unit_price_fen": -5}]},
                 key="r7")
    assert (r.status_code, r.json()["code"]) == (400, "INPUT_INVALID")
    assert Meal.objects.count() == 1
