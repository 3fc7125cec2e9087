"""Text PostgreSQL cannot store (NUL, lone surrogates) is refused with TEXT_NOT_STORABLE wherever it
enters API v1, and nothing is written (no meal, no usage, no idempotency record, no audit row)."""

from __future__ import annotations

import pytest

from zhucan.checkout.models import ElderDayUsage, Meal, ReportMismatch
from zhucan.core.models import AuditLog

NUL = "\u0000"
SURROGATE = "\ud800"


def commit_one(api, menu):
    r = api.post("/api/v1/meals/commit", {"items": [{"dish_id": menu["套餐"].pk, "quantity": 1}]}, key="c-1")
    assert r.status_code == 200, r.content
    return r.json()["receipt_no"]


def assert_not_storable(response, field: str | None = None):
    assert response["Content-Type"].startswith("application/json"), response.content
    body = response.json()
    assert (response.status_code, body["code"]) == (400, "TEXT_NOT_STORABLE"), body
    assert "无法保存的字符" in body["message"] and "cannot be stored" in body["message_en"]
    if field is not None:
        assert body["field"] == field


def counts():
    return (Meal.objects.count(), ElderDayUsage.objects.count(), ReportMismatch.objects.count(),
            AuditLog.objects.count())


@pytest.mark.parametrize("bad", [NUL, SURROGATE])
@pytest.mark.parametrize("endpoint,field", [("void", "receipt_no"), ("void", "reason"), ("refund", "receipt_no")])
def test_reversal_with_unstorable_text(api, menu, bad, endpoint, field):
    receipt = commit_one(api, menu)
    before = counts()
    body = {"receipt_no": receipt, "reason": "点错了"}
    body[field] = body[field][:4] + bad + body[field][4:]
    r = api.post(f"/api/v1/meals/{endpoint}", body, key=f"{endpoint}-1")
    assert_not_storable(r, field)
    assert counts() == before


@pytest.mark.parametrize("bad", [NUL, SURROGATE])
def test_report_item_name_with_unstorable_text(api, menu, carded, bad):
    before = counts()
    body = {"elder": {"card_number": "3301000012345678"}, "benefit_fen": 0,
            "items": [{"name": "红烧" + bad + "肉", "quantity": 1, "unit_price_fen": 1500}]}
    r = api.post("/api/v1/meals/report", body, key="report-1")
    assert_not_storable(r, "items.0.name")
    assert counts() == before


@pytest.mark.parametrize("path,body", [
    ("/api/v1/elders/identify", {"card_number": "33010000" + NUL}),
    ("/api/v1/elders/identify", {"id_number": NUL}),
    ("/api/v1/elders/identify", {"qr_token": "ZC1." + SURROGATE}),
    ("/api/v1/meals/quote", {"elder": {"face_ticket": NUL}, "items": []}),
    ("/api/v1/meals/commit", {"items": [{"dish_id": 1, "quantity": 1}],
                              "tenders": [{"kind": "card", "amount_fen": 1500, "reference": "x" + NUL}]}),
    ("/api/v1/faces/identify", {"image_b64": "QUJD" * 4 + NUL}),
])
def test_every_string_field_refuses_unstorable_text(api, menu, carded, path, body):
    before = counts()
    r = api.post(path, body, key="k-1")
    assert_not_storable(r)
    assert counts() == before


def test_unstorable_text_wins_over_other_validation_errors(api, menu):
    # Even when the body is wrong in other ways too, the client learns the code that says why a retry
    # of the same text can never succeed.
    r = api.post("/api/v1/meals/void", {"receipt_no": NUL, "reason": 5}, key="v-1")
    assert_not_storable(r, "receipt_no")


def test_unknown_field_whose_name_cannot_be_stored(api, menu):
    r = api.post("/api/v1/meals/quote", {"items": [{"dish_id": menu["套餐"].pk, "quantity": 1}], "n\u0000te": "x"})
    assert_not_storable(r, "n\ufffdte")


def test_raw_json_escape_of_nul_and_surrogate(api, menu):
    receipt = commit_one(api, menu)
    for escape in ("\\u0000", "\\udfff"):
        raw = ('{"receipt_no": "' + receipt + '", "reason": "a' + escape + 'b"}').encode()
        r = api.request("POST", "/api/v1/meals/void", raw=raw, key="v-" + escape[-1])
        assert_not_storable(r, "reason")
    assert Meal.objects.count() == 1
    # Ordinary Chinese text, and the replacement character itself, are storable.
    r = api.post("/api/v1/meals/void", {"receipt_no": receipt, "reason": "顾客退餐\ufffd"}, key="v-ok")
    assert r.status_code == 200 and r.json()["kind"] == "void", r.content


@pytest.mark.parametrize("header", ["X-Zhucan-Key", "X-Zhucan-Nonce", "Idempotency-Key"])
def test_headers_with_nul(api, menu, header):
    before = counts()
    r = api.post("/api/v1/meals/commit", {"items": [{"dish_id": menu["套餐"].pk, "quantity": 1}]}, key="k-1",
                 headers={header: "abc" + NUL + "defghijklmnopqrstuvwxyz"})
    assert_not_storable(r, header)
    assert counts() == before


def test_query_parameter_with_nul(api, menu):
    r = api.get("/api/v1/canteen/menu?canteen_id=1%00")
    assert_not_storable(r, "canteen_id.0")
