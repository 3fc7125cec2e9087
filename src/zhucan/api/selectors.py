"""Reads behind API v1: what may an elder still get today, what does the terminal's canteen sell.
Who the elder is comes from the identity app's one door (`zhucan.identity.identification`)."""

from __future__ import annotations

from datetime import datetime

from zhucan.canteens.models import Canteen
from zhucan.checkout.errors import REASON_ZH
from zhucan.checkout.models import ElderDayUsage
from zhucan.checkout.services import remaining_allowance
from zhucan.core import clock
from zhucan.core.errors import DomainError
from zhucan.elders.models import Elder
from zhucan.policy import DayUsage, PolicyError, Quote, evaluate
from zhucan.rules.facts import canteen_facts, elder_facts, policy_for_canteen

# A nominal price for the eligibility hint: only "would a meal now get a benefit" matters.
_PROBE_FEN = 1000

_LIMIT_MESSAGES = {
    "PERIOD_ALREADY_USED": ("本时段优惠已使用，本餐按原价", "this period's benefit is used; full price now"),
    "DAILY_CAP_REACHED": ("今日优惠额度已用完，本餐按原价", "today's benefit cap is reached; full price now"),
    "DAILY_MEALS_USED": ("今日优惠餐次已用完，本餐按原价", "today's subsidised meals are used; full price now"),
    "OUTSIDE_MEAL_PERIOD": ("当前不在优惠供餐时段", "outside the subsidised meal periods"),
    # Not the elder's limit but the canteen's: it still sells, at full price.
    "CANTEEN_NOT_DESIGNATED": ("本助餐点当前未定点或已暂停定点，本餐按原价", "the canteen is not designated now; "
                               "full price"),
}


def _usage(elder: Elder, at: datetime) -> tuple[DayUsage, ElderDayUsage | None]:
    day = clock.local_date(at)
    row = ElderDayUsage.objects.filter(elder=elder, local_date=day).first()
    return (DayUsage.from_dict(row.usage) if row and row.usage else DayUsage.empty(day)), row


def _probe(canteen: Canteen, elder: Elder, at: datetime, amount_fen: int, usage: DayUsage) -> Quote | None:
    try:
        facts = canteen_facts(canteen, clock.local_date(at))
        return evaluate(policy_for_canteen(canteen), elder_facts(elder), facts, at, amount_fen=amount_fen, usage=usage)
    except (PolicyError, DomainError):
        return None


def eligibility(*, canteen: Canteen, elder: Elder, at: datetime | None = None) -> dict:
    """Would a meal at this canteen, now, get a benefit? A hint for the cashier, not a quote."""
    at = at or clock.now()
    usage, _row = _usage(elder, at)
    quote = _probe(canteen, elder, at, _PROBE_FEN, usage)
    if quote is None:
        return {"status": "unknown", "reason_code": None, "message": "暂无法判断优惠资格",
                "message_en": "eligibility cannot be determined now"}
    if quote.benefit_fen > 0:
        return {"status": "eligible", "reason_code": None, "message": "符合助餐优惠条件",
                "message_en": "eligible for the meal benefit now"}
    reason = quote.reason_code
    if reason in _LIMIT_MESSAGES:
        zh, en = _LIMIT_MESSAGES[reason]
        return {"status": "limit_reached", "reason_code": reason, "message": zh, "message_en": en}
    zh = REASON_ZH.get(reason or "", "不在本助餐点的优惠范围内")
    return {"status": "not_eligible", "reason_code": reason, "message": f"不符合优惠条件：{zh}",
            "message_en": f"not eligible: {reason}"}


def remaining_now(*, canteen: Canteen, elder: Elder, at: datetime | None = None) -> list[dict]:
    """Today's allowance left before the next meal (per policy layer)."""
    at = at or clock.now()
    usage, _row = _usage(elder, at)
    quote = _probe(canteen, elder, at, 0, usage)
    return remaining_allowance(quote) if quote else []


def elder_usage_today(*, canteen: Canteen, elder: Elder, at: datetime | None = None) -> dict:
    at = at or clock.now()
    usage, row = _usage(elder, at)
    periods: dict[str, int] = {}
    for layer in (usage.to_dict().get("layers") or {}).values():
        for name, count in (layer.get("periods") or {}).items():
            periods[name] = max(periods.get(name, 0), count)
    return {
        "elder_id": elder.pk,
        "date": clock.local_date(at).isoformat(),
        "meals": row.meals if row else 0,
        "benefit_used_fen": row.benefit_fen if row else 0,
        "periods_used": periods,
        "remaining": remaining_now(canteen=canteen, elder=elder, at=at),
    }


def canteen_menu(*, canteen: Canteen) -> dict:
    return {
        "canteen_id": canteen.pk,
        "canteen_name": canteen.name,
        "status": canteen.status,
        "dishes": [
            {"dish_id": d.pk, "name": d.name, "category": d.category, "price_fen": d.price_fen}
            for d in canteen.dishes.filter(active=True).order_by("sort_order", "name")
        ],
        "periods": [
            {"name": p.name, "name_zh": str(p.get_name_display()), "start": f"{p.start:%H:%M}",
             "end": f"{p.end:%H:%M}"}
            for p in canteen.periods.order_by("start")
        ],
    }
