"""The live meal feed (实时就餐): today's counts by period and the latest meals, for
the city, a district or a canteen, scoped by role. The page polls every 2 s (HTMX) with an
"after id" cursor, so each poll sends only rows the page has not seen (204 when there are none)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from zhucan.accounts.gate import requires
from zhucan.checkout import feed_labels, selectors
from zhucan.checkout.receipts_render import fen_to_yuan, mask_name
from zhucan.core import clock

POLL_SECONDS = 2
PERIOD_ZH = {"breakfast": "早餐", "lunch": "午餐", "dinner": "晚餐"}


def _rows(meals) -> list[dict]:
    proofs = feed_labels.handover_proofs(meals)
    return [{"id": meal.pk, "time": meal.at.astimezone(clock.LOCAL_TZ).strftime("%H:%M:%S"),
             "canteen": meal.canteen.name, "elder": mask_name(meal.elder.name) if meal.elder_id else "—",
             "period": PERIOD_ZH.get(meal.period, "—"), "gross": fen_to_yuan(meal.gross_fen),
             "benefit": fen_to_yuan(meal.benefit_fen), "payable": fen_to_yuan(meal.payable_fen),
             "identified_by": feed_labels.meal_how(meal, proofs), "kind": meal.kind,
             "kind_label": meal.get_kind_display(), "receipt_no": meal.receipt_no} for meal in meals]


def _stats(stats: dict) -> dict:
    def fmt(row):
        return {**row, "funders": [fen_to_yuan(f) for f in row["funders"]], "benefit": fen_to_yuan(row["benefit"])}

    return {**stats, "rows": [fmt(r) for r in stats["rows"]], "total": fmt(stats["total"])}


@requires("meal", "view")
def live(request):
    scope = selectors.feed_scope(user=request.user, district_id=request.GET.get("district"),
                                 canteen_id=request.GET.get("canteen"))
    day = clock.local_today()
    meals = selectors.meal_feed(user=request.user, scope=scope, day=day)
    cursor = max((m.pk for m in meals), default=0) or selectors.meal_feed_cursor(user=request.user, scope=scope,
                                                                                day=day)
    return render(request, "checkout/live.html", {
        "scope": scope, "day": day, "rows": _rows(meals), "cursor": cursor, "poll": POLL_SECONDS,
        "stats": _stats(selectors.meal_day_stats(user=request.user, scope=scope, day=day)),
    })


@requires("meal", "view")
def live_feed(request):
    """The poll: rows with id > after (newest first) + the refreshed counts + the new cursor."""
    scope = selectors.feed_scope(user=request.user, district_id=request.GET.get("district"),
                                 canteen_id=request.GET.get("canteen"))
    after = request.GET.get("after", "")
    after_id = int(after) if after.isdigit() else 0
    shown = frozenset(int(x) for x in request.GET.get("shown", "").split(",")[:500] if x.isdigit())
    day = clock.local_today()
    meals = selectors.meal_feed(user=request.user, scope=scope, day=day, after_id=after_id, shown=shown)
    if not meals:
        return HttpResponse(status=204)
    return render(request, "checkout/_live_poll.html", {
        "rows": _rows(meals), "cursor": max(after_id, *(m.pk for m in meals)),
        "stats": _stats(selectors.meal_day_stats(user=request.user, scope=scope, day=day)),
    })
