"""Reads of the checkout app: the cashier's last sale and the live meal feed.
Feed reads are scoped through `restrict` (a district sees its district, a canteen its own
meals). Identification at the till is zhucan.identity.identification (city-wide on purpose, HZ-5)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Max, Q, QuerySet, Sum

from zhucan.accounts.models import CANTEEN_ROLES
from zhucan.accounts.scoping import restrict
from zhucan.canteens.models import Canteen, PeriodName
from zhucan.checkout import feed_labels
from zhucan.checkout.models import BenefitLine, Meal, MealKind
from zhucan.checkout.receipts_render import FUNDER_ORDER, FUNDER_ZH
from zhucan.core import clock
from zhucan.regions.models import Level, Region


def last_sale_of_cashier(*, cashier, canteen: Canteen, day: date) -> Meal | None:
    """The cashier's latest sale at this canteen today: what "撤销上一笔" voids."""
    return (Meal.objects.filter(canteen=canteen, cashier=cashier, kind=MealKind.SALE, local_date=day)
            .select_related("elder").order_by("-at", "-id").first())


# ---------------------------------------------------------------------------------------------
# Live feed


@dataclass
class FeedScope:
    """What the live page shows: the user's whole scope, narrowed by an optional district/canteen."""

    label: str
    district: Region | None = None
    canteen: Canteen | None = None
    districts: list[Region] = field(default_factory=list)
    canteens: list[Canteen] = field(default_factory=list)
    canteen_staff: bool = False


def _int(value) -> int | None:
    return int(value) if isinstance(value, str) and value.isdigit() else None


def feed_scope(*, user, district_id=None, canteen_id=None) -> FeedScope:
    """Filters within the user's scope; an id outside it is ignored (never widens what is seen)."""
    canteens = restrict(Canteen.objects.select_related("region"), user, "view")
    staff = not user.is_superuser and user.role in CANTEEN_ROLES
    districts = [] if staff else list(restrict(Region.objects.filter(level=Level.DISTRICT), user, "view")
                                      .order_by("path"))
    if not staff and not user.is_superuser and user.region_id:
        # Region scoping also lists ancestors; keep only districts at or below the user's own node
        # unless the user sits below district level (then their own district is the only choice).
        own = user.region.path
        below = [d for d in districts if d.path.startswith(own)]
        districts = below or [d for d in districts if own.startswith(d.path)]
    scope = FeedScope(label=_scope_label(user), districts=districts, canteen_staff=staff)
    district_id, canteen_id = _int(district_id), _int(canteen_id)
    if district_id:
        scope.district = next((d for d in districts if d.pk == district_id), None)
    if scope.district is not None:
        canteens = canteens.filter(region__path__startswith=scope.district.path)
    scope.canteens = list(canteens.order_by("region__path", "name"))
    if canteen_id:
        scope.canteen = next((c for c in scope.canteens if c.pk == canteen_id), None)
    if scope.canteen is not None:
        scope.label = scope.canteen.name
    elif scope.district is not None:
        scope.label = scope.district.name
    return scope


def _scope_label(user) -> str:
    if user.is_superuser:
        return "全部"
    if user.role in CANTEEN_ROLES:
        return user.canteen.name if user.canteen_id else ""
    return user.region.name if user.region_id else ""


def _meals(*, user, scope: FeedScope, day: date) -> QuerySet:
    qs = restrict(Meal.objects.filter(local_date=day), user, "view")
    if scope.canteen is not None:
        qs = qs.filter(canteen=scope.canteen)
    elif scope.district is not None:
        qs = qs.filter(canteen__region__path__startswith=scope.district.path)
    return qs


# How far back a poll looks for rows the page has not shown. Ids come from a sequence but
# transactions commit in any order, so a meal with a smaller id than the page's cursor can become
# visible after a larger one; the page sends the ids it shows, and the poll fills such gaps.
FEED_LATE_WINDOW = timedelta(seconds=30)


def meal_feed(*, user, scope: FeedScope, day: date, after_id: int = 0, shown: frozenset[int] = frozenset(),
              limit: int = 50) -> list[Meal]:
    """Ledger rows of the day in scope the page has not shown, newest first (sales and reversals):
    those past the cursor, and recent ones below it that committed late (not in `shown`)."""
    qs = _meals(user=user, scope=scope, day=day)
    if after_id:
        qs = qs.filter(Q(id__gt=after_id) | Q(created_at__gte=clock.now() - FEED_LATE_WINDOW)).exclude(id__in=shown)
    return list(qs.select_related("canteen", "elder").order_by("-id")[:limit])


def meal_feed_cursor(*, user, scope: FeedScope, day: date) -> int:
    return _meals(user=user, scope=scope, day=day).aggregate(m=Max("id"))["m"] or 0


PERIOD_ROWS = [(PeriodName.BREAKFAST.value, "早餐"), (PeriodName.LUNCH.value, "午餐"),
               (PeriodName.DINNER.value, "晚餐"), ("", "非老人/其他")]


def meal_day_stats(*, user, scope: FeedScope, day: date) -> dict:
    """Today's counts by period: 人次 and distinct elders of standing sales (a voided or refunded
    sale no longer counts), and the benefit by funder net of reversals, in fen."""
    qs = _meals(user=user, scope=scope, day=day)
    standing = qs.filter(kind=MealKind.SALE, reversal__isnull=True)
    by_period = {r["period"]: r for r in standing.values("period").annotate(
        n=Count("id"), elders=Count("elder", distinct=True)).order_by()}
    funders = {(r["meal__period"], r["funder"]): r["fen"] for r in BenefitLine.objects.filter(meal__in=qs)
               .values("meal__period", "funder").annotate(fen=Sum("amount_fen")).order_by()}
    funder_codes = list(FUNDER_ORDER) + sorted({f for _p, f in funders} - set(FUNDER_ORDER))
    rows = []
    for code, label in PERIOD_ROWS:
        r = by_period.get(code, {})
        fen = [funders.get((code, f), 0) for f in funder_codes]
        rows.append({"label": label, "meals": r.get("n", 0), "elders": r.get("elders", 0), "funders": fen,
                     "benefit": sum(fen)})
    totals_fen = [sum(row["funders"][i] for row in rows) for i in range(len(funder_codes))]
    total = {"label": "合计", "meals": sum(r["meals"] for r in rows),
             "elders": standing.exclude(elder=None).values("elder").distinct().count(),
             "funders": totals_fen, "benefit": sum(totals_fen)}
    by_method = feed_labels.method_counts(standing.exclude(elder=None).values_list("channel", "identified_by")
                                          .annotate(n=Count("id")).order_by())
    return {"rows": rows, "total": total, "by_method": by_method,
            "funder_labels": [FUNDER_ZH.get(f, f) for f in funder_codes],
            "voids": qs.exclude(kind=MealKind.SALE).count()}
