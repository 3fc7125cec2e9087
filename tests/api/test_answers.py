"""The checkout calls answer without Ninja validating the answer (api/present.answer_response): each
answer must be exactly what validating it against the endpoint's schema and rendering it would give."""

from __future__ import annotations

import json

from ninja.responses import NinjaJSONEncoder

from zhucan.api.present import JSON_DUMPS_PARAMS
from zhucan.api.schemas import MealOut, QuoteOut

from .conftest import CARD


def schema_form(response, schema) -> None:
    """The body equals its own round trip through `schema`: every field present, in the schema's
    order, with the schema's types (an extra, a missing or a mistyped field changes the bytes)."""
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = response.content.decode()
    validated = schema.model_validate(json.loads(body)).model_dump()
    assert body == json.dumps(validated, cls=NinjaJSONEncoder, **JSON_DUMPS_PARAMS)


def test_quote_commit_replay_void_refund_answers_are_in_schema_form(api, world, menu, carded):
    order = {"elder": {"card_number": CARD},
             "items": [{"dish_id": menu["套餐"].pk, "quantity": 2}, {"dish_id": menu["米饭"].pk, "quantity": 1}]}
    quote = api.post("/api/v1/meals/quote", order)
    schema_form(quote, QuoteOut)
    assert "\\u" not in quote.content.decode() and quote.json()["explanation_zh"] in quote.content.decode()
    assert quote.json()["remaining"] and quote.json()["benefit_lines"]
    schema_form(api.post("/api/v1/meals/quote", {"items": order["items"]}), QuoteOut)  # no elder

    commit = api.post("/api/v1/meals/commit", {**order, "expected_payable_fen": quote.json()["payable_fen"]},
                      key="a1")
    schema_form(commit, MealOut)
    body = commit.json()
    assert body["remaining"][0]["remaining_yuan"] and body["tenders"][0]["kind"] == "cash"
    assert body["at"].endswith("+08:00") and body["replayed"] is False
    replay = api.post("/api/v1/meals/commit", {**order, "expected_payable_fen": quote.json()["payable_fen"]},
                      key="a1")
    schema_form(replay, MealOut)
    assert replay.json()["replayed"] is True
    schema_form(api.post("/api/v1/meals/void", {"receipt_no": body["receipt_no"]}, key="a2"), MealOut)

    second = api.post("/api/v1/meals/commit", {"items": order["items"]}, key="a3")  # a non-elder customer
    schema_form(second, MealOut)
    schema_form(api.post("/api/v1/meals/refund", {"receipt_no": second.json()["receipt_no"], "reason": "退菜"},
                         key="a4"), MealOut)


def test_report_answers_are_in_schema_form(api, carded):
    meal = {"elder": {"card_number": CARD}, "items": [{"name": "自选套餐", "quantity": 1, "unit_price_fen": 2000}],
            "benefit_fen": 600, "tenders": [{"kind": "alipay", "amount_fen": 1400, "reference": "ali"}]}
    schema_form(api.post("/api/v1/meals/report", meal, key="r1"), MealOut)
    schema_form(api.post("/api/v1/meals/report", {**meal, "benefit_fen": 1000,
                                                  "tenders": [{"kind": "alipay", "amount_fen": 1000,
                                                               "reference": "ali"}]}, key="r2"), MealOut)


def test_schema_form_catches_a_drift():
    """The check above is not vacuous: a missing default, a reordered, an extra or a mistyped field fails."""
    from zhucan.api.present import answer_response, remaining

    good = {"layer": "a", "name_zh": "基础", "cap_fen": 2000, "cap_yuan": "20.00", "remaining_fen": 500,
            "remaining_yuan": "5.00", "remaining_meals": None}
    assert remaining([{"layer": "a", "name_zh": "基础", "cap_fen": 2000, "remaining_fen": 500}]) == [good]
    quote = {"elder_id": None, "items": [], "gross_fen": 0, "gross_yuan": "0.00", "benefit_fen": 0,
             "benefit_yuan": "0.00", "payable_fen": 0, "payable_yuan": "0.00", "benefit_lines": [], "period": None,
             "reason_code": None, "explanation_zh": "", "explanation_en": "", "remaining": [good]}
    schema_form(answer_response(quote), QuoteOut)
    drifted = [
        {**quote, "remaining": [{k: v for k, v in good.items() if k != "remaining_meals"}]},
        {"items": [], **{k: v for k, v in quote.items() if k != "items"}},
        {**quote, "extra": 1},
        {**quote, "gross_fen": "0"},
    ]
    for data in drifted:
        try:
            schema_form(answer_response(data), QuoteOut)
        except AssertionError:
            continue
        raise AssertionError(f"not caught: {data}")
