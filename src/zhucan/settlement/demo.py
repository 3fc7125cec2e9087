"""Demo ledger: a realistic June 2025 for the demo's open canteens, committed through the real
checkout (`meal_commit` / `meal_reverse`) so that settlement has something true to settle.

Idempotent: every record has a fixed idempotency key and the random choices come from a seeded
generator, so running it again replays the same meals and writes nothing new.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from zhucan.canteens.models import Canteen, CanteenStatus, Dish
from zhucan.checkout.services import OrderLine, meal_commit, meal_reverse
from zhucan.core import clock
from zhucan.core.errors import DomainError
from zhucan.elders.models import Elder
from zhucan.regions.models import Level

_DEFAULT_HOURS = {"breakfast": (time(7, 0), time(8, 30)), "lunch": (time(11, 0), time(12, 30)),
                  "dinner": (time(17, 0), time(18, 0))}


def _days(month: date) -> list[date]:
    out, day = [], month
    while day.month == month.month:
        out.append(day)
        day += timedelta(days=1)
    return out


def _moment(rng: random.Random, day: date, start: time, end: time) -> datetime:
    lo, hi = start.hour * 60 + start.minute, end.hour * 60 + end.minute
    minute = rng.randint(lo, max(lo, hi - 1))
    return datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=clock.LOCAL_TZ)


def _city_elders(canteen: Canteen) -> list[Elder]:
    city = canteen.region.ancestor(Level.CITY)
    return list(Elder.objects.filter(community__path__startswith=city.path, status="active",
                                     verification="verified").order_by("pk")[:400])


def _commit(canteen, elder, dishes, key, at):
    return meal_commit(canteen=canteen, elder=elder, lines=[OrderLine(dish_id=d.pk, quantity=1) for d in dishes],
                       idempotency_key=key, request_digest=key, identified_by="card" if elder else "none", at=at)


def seed_demo_meals(*, month: date = date(2025, 6, 1), per_canteen: int = 240, seed: int = 20250601) -> dict:
    """Commit `per_canteen` meals for each open canteen in `month` (breakfast, lunch and dinner
    inside the canteen's announced periods; ~8 % walk-in customers; ~2 % voided a few minutes
    later). Returns counts: {"meals", "voids", "skipped", "canteens"}."""
    counts = {"meals": 0, "voids": 0, "skipped": 0, "canteens": 0}
    days = _days(month)
    for canteen in Canteen.objects.filter(status=CanteenStatus.OPEN).select_related("region").order_by("pk"):
        rng = random.Random(f"{seed}-{canteen.pk}")
        elders = _city_elders(canteen)
        dishes = list(Dish.objects.filter(canteen=canteen, active=True).order_by("pk"))
        if not elders or not dishes:
            continue
        periods = [(p.start, p.end) for p in canteen.periods.all()] or [_DEFAULT_HOURS["lunch"]]
        counts["canteens"] += 1
        for i in range(per_canteen):
            day = days[i % len(days)]
            start, end = rng.choice(periods)
            elder = None if rng.random() < 0.08 else rng.choice(elders)
            order = rng.sample(dishes, k=min(len(dishes), rng.choice((1, 1, 2))))
            at = _moment(rng, day, start, end)
            void = rng.random() < 0.02
            key = f"demo-{month:%Y%m}-{canteen.pk}-{i}"
            try:
                result = _commit(canteen, elder, order, key, at)
            except DomainError:
                counts["skipped"] += 1  # e.g. an elder not eligible under the city's policy
                continue
            meal = result.meal
            if result.replayed:  # seeded before: idempotent
                continue
            counts["meals"] += 1
            if void:
                meal_reverse(canteen=canteen, receipt_no=meal.receipt_no, kind="void", idempotency_key=f"{key}-void",
                             request_digest=f"{key}-void", at=meal.at + timedelta(minutes=3), reason="点错菜")
                counts["voids"] += 1
    return counts
