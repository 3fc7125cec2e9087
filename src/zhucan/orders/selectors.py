"""Reads of ordering ahead, scoped to the actor: the manager's week of menus, coverage, and the
district's supervision figures (orders, deliveries, on-time rate, failed deliveries)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, F, Q

from zhucan.accounts.scoping import restrict
from zhucan.canteens.models import Canteen, MealPeriod
from zhucan.orders.models import CoverageArea, Fulfilment, MenuOffer, Order, OrderStatus, PeriodCutoff


def scoped_canteens(user, resource_model=CoverageArea):
    """The canteens whose ordering settings the user may see (their own, or their jurisdiction's)."""
    return restrict(Canteen.objects.select_related("region"), user, "view")


@dataclass
class DayPeriod:
    day: date
    period: str
    label: str
    offers: list[MenuOffer] = field(default_factory=list)


def week(canteen: Canteen, start: date, days: int = 8) -> list[DayPeriod]:
    periods = list(MealPeriod.objects.filter(canteen=canteen).order_by("start"))
    offers: dict[tuple[date, str], list[MenuOffer]] = {}
    for offer in MenuOffer.objects.filter(canteen=canteen, local_date__gte=start,
                                          local_date__lt=start + timedelta(days=days)).order_by("dish__sort_order",
                                                                                                 "name"):
        offers.setdefault((offer.local_date, offer.period), []).append(offer)
    return [DayPeriod(start + timedelta(days=i), p.name, p.get_name_display(),
                      offers.get((start + timedelta(days=i), p.name), []))
            for i in range(days) for p in periods]


def cutoffs(canteen: Canteen) -> dict[str, PeriodCutoff]:
    return {c.period: c for c in PeriodCutoff.objects.filter(canteen=canteen)}


@dataclass
class Figures:
    orders: int = 0
    deliveries: int = 0
    delivered: int = 0
    on_time: int = 0
    failed: int = 0
    cancelled: int = 0

    @property
    def on_time_rate(self) -> str:
        return f"{self.on_time * 100 / self.delivered:.1f}%" if self.delivered else "—"


def supervision(user, *, start: date, end: date, canteen_id: int | None = None) -> dict:
    """Per canteen and per day, inside [start, end]: orders (not cancelled), delivery orders,
    delivered, delivered on time (before the period ended), failed deliveries, cancelled."""
    qs = restrict(Order.objects.all(), user, "supervise").filter(local_date__gte=start, local_date__lte=end)
    if canteen_id:
        qs = qs.filter(canteen_id=canteen_id)
    delivery = Q(fulfilment=Fulfilment.DELIVERY)
    rows = (qs.values("canteen_id", "canteen__name", "local_date")
            .annotate(orders=Count("id", filter=~Q(status=OrderStatus.CANCELLED)),
                      deliveries=Count("id", filter=delivery & ~Q(status=OrderStatus.CANCELLED)),
                      delivered=Count("id", filter=delivery & Q(status=OrderStatus.HANDED_OVER)),
                      on_time=Count("id", filter=delivery & Q(status=OrderStatus.HANDED_OVER,
                                                              handed_over_at__lte=F("period_end_at"))),
                      failed=Count("id", filter=delivery & Q(status=OrderStatus.FAILED)),
                      cancelled=Count("id", filter=Q(status=OrderStatus.CANCELLED)))
            .order_by("canteen__name", "local_date"))
    by_canteen: dict[int, dict] = {}
    by_day: dict[date, Figures] = {}
    total = Figures()
    keys = ("orders", "deliveries", "delivered", "on_time", "failed", "cancelled")
    for row in rows:
        entry = by_canteen.setdefault(row["canteen_id"], {"name": row["canteen__name"], "total": Figures(),
                                                          "days": []})
        figures = Figures(**{k: row[k] for k in keys})
        entry["days"].append((row["local_date"], figures))
        for target in (entry["total"], by_day.setdefault(row["local_date"], Figures()), total):
            for k in keys:
                setattr(target, k, getattr(target, k) + row[k])
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    return {"canteens": sorted(by_canteen.values(), key=lambda e: e["name"]),
            "days": [(d, by_day.get(d, Figures())) for d in days], "total": total}
