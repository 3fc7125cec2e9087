"""Shaping answers: integer fen plus the yuan string beside every amount.

The checkout calls (quote, commit, void, refund, report) answer with `answer_response`: the dict
rendered as Ninja renders it, without Ninja validating it against the endpoint's schema first
(validating and dumping the nested answer was ≈ 10 % of a checkout's CPU). The dicts are therefore
built in the schema's exact form — every field, in the schema's order, None where the schema's
default is None — and tests/api/test_answers.py holds each against its schema.
"""

from __future__ import annotations

import json

from django.http import HttpResponse
from ninja.responses import NinjaJSONEncoder

from zhucan.checkout.models import Meal, ReportMismatch
from zhucan.checkout.services import MealQuote
from zhucan.core import clock
from zhucan.core.money import fen_to_yuan as yuan

# How every JSON answer of the API is written (the API's renderer uses it too): Chinese as is.
JSON_DUMPS_PARAMS = {"ensure_ascii": False}


def answer_response(data: dict) -> HttpResponse:
    """A 200 answer, rendered as the API's renderer renders a validated schema's dump."""
    return HttpResponse(json.dumps(data, cls=NinjaJSONEncoder, **JSON_DUMPS_PARAMS),
                        content_type="application/json; charset=utf-8")


def remaining(entries: list[dict]) -> list[dict]:
    """In the form of schemas.RemainingOut (its fields, its order, None where a layer has no such limit)."""
    out = []
    for e in entries:
        cap, left = e.get("cap_fen"), e.get("remaining_fen")
        out.append({"layer": e["layer"], "name_zh": e["name_zh"],
                    "cap_fen": cap, "cap_yuan": yuan(cap) if cap is not None else None,
                    "remaining_fen": left, "remaining_yuan": yuan(left) if left is not None else None,
                    "remaining_meals": e.get("remaining_meals")})
    return out


def _item(dish_id, name, qty, price) -> dict:
    return {"dish_id": dish_id, "name": name, "quantity": qty, "unit_price_fen": price,
            "unit_price_yuan": yuan(price), "line_fen": qty * price, "line_yuan": yuan(qty * price)}


def _money(gross: int, benefit: int, payable: int) -> dict:
    return {"gross_fen": gross, "gross_yuan": yuan(gross), "benefit_fen": benefit, "benefit_yuan": yuan(benefit),
            "payable_fen": payable, "payable_yuan": yuan(payable)}


def quote_answer(q: MealQuote) -> dict:
    lines = q.quote.lines if q.quote else ()
    return {
        "elder_id": q.elder.pk if q.elder else None,
        "items": [_item(getattr(d, "pk", d), n, qty, p) for d, n, qty, p in q.order.items],
        **_money(q.order.gross_fen, q.benefit_fen, q.payable_fen),
        "benefit_lines": [{"funder": ln.funder, "rule_id": ln.rule_id, "layer_id": ln.layer_id,
                           "amount_fen": ln.amount_fen, "amount_yuan": yuan(ln.amount_fen)} for ln in lines],
        "period": q.quote.period_name if q.quote else None,
        "reason_code": q.quote.reason_code if q.quote else None,
        "explanation_zh": q.explanation_zh,
        "explanation_en": q.explanation_en,
        "remaining": remaining(q.remaining),
    }


def meal_answer(meal: Meal, *, replayed: bool, remaining_entries: list[dict], reason_code: str | None = None) -> dict:
    mismatch_id = (ReportMismatch.objects.filter(meal=meal).values_list("pk", flat=True).first()
                   if meal.mode == "report" else None)
    return {
        "receipt_no": meal.receipt_no,
        "meal_id": meal.pk,
        "kind": meal.kind,
        "mode": meal.mode,
        "reverses": meal.reverses.receipt_no if meal.reverses_id else None,
        "at": meal.at.astimezone(clock.LOCAL_TZ),
        "local_date": meal.local_date.isoformat(),
        "period": meal.period,
        "elder_id": meal.elder_id,
        "identified_by": meal.identified_by,
        "items": [_item(i.dish_id, i.name, i.quantity, i.unit_price_fen) for i in meal.rows("items")],
        **_money(meal.gross_fen, meal.benefit_fen, meal.payable_fen),
        "benefit_lines": [{"funder": b.funder, "rule_id": b.rule_id, "layer_id": b.layer_id,
                           "amount_fen": b.amount_fen, "amount_yuan": yuan(b.amount_fen)}
                          for b in meal.rows("benefit_lines")],
        "tenders": [{"kind": t.kind, "amount_fen": t.amount_fen, "amount_yuan": yuan(t.amount_fen),
                     "reference": t.reference} for t in meal.rows("tenders")],
        "policy_version": meal.policy_version,
        "reason_code": reason_code,
        "explanation_zh": meal.explanation_zh,
        "explanation_en": meal.explanation_en,
        "remaining": remaining(remaining_entries),
        "replayed": replayed,
        "accepted": (mismatch_id is None) if meal.mode == "report" else None,
        "mismatch_id": mismatch_id,
    }
