"""The demo's simulated lunch and its recent history: meals through the real checkout.

`lunch_tick` commits a few meals *now* (the platform's clock, simulated in the demo) at several
demo canteens for demo elders, identified by a mix of citizen card, 长者码 and face, so that the
live feed, the dashboards and the big screen move while the demo runs (`zhucan demo_lunch`).
`seed_recent_meals` fills the days from the first of last month up to this moment the same way
(fixed idempotency keys: running it again writes nothing new), so "this month" is never empty.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from zhucan.canteens.models import Canteen, CanteenStatus, Dish
from zhucan.checkout.services import OrderLine, meal_commit
from zhucan.core import clock
from zhucan.core.errors import DomainError
from zhucan.elders.models import Elder, ElderStatus, Verification
from zhucan.regions.models import Level

# How the demo's elders identify themselves at the till (weights).
METHODS = (("card", 55), ("qr", 20), ("qr_card", 5), ("face", 20))


@dataclass
class _Canteen:
    canteen: Canteen
    dishes: list[Dish]
    periods: list[tuple[time, time]]
    elders: list[int] = field(default_factory=list)


def _method(rng: random.Random) -> str:
    return rng.choices([m for m, _w in METHODS], weights=[w for _m, w in METHODS])[0]


def _demo_canteens(limit: int | None = None) -> list[_Canteen]:
    out = []
    for canteen in Canteen.objects.filter(status=CanteenStatus.OPEN).select_related("region").order_by("pk"):
        dishes = list(Dish.objects.filter(canteen=canteen, active=True).order_by("pk"))
        city = canteen.region.ancestor(Level.CITY)
        if not dishes or city is None:
            continue
        elders = list(Elder.objects.filter(community__path__startswith=city.path, status=ElderStatus.ACTIVE,
                                           verification=Verification.VERIFIED, erased_at__isnull=True)
                      .order_by("pk").values_list("pk", flat=True)[:300])
        if not elders:
            continue
        periods = [(p.start, p.end) for p in canteen.periods.all()] or [(time(10, 30), time(12, 30))]
        out.append(_Canteen(canteen, dishes, periods, elders))
        if limit and len(out) >= limit:
            break
    return out


def _commit(place: _Canteen, rng: random.Random, key: str, at: datetime, method: str) -> bool:
    elder = Elder.objects.get(pk=rng.choice(place.elders))
    order = rng.sample(place.dishes, k=min(len(place.dishes), rng.choice((1, 1, 2, 3))))
    try:
        result = meal_commit(canteen=place.canteen, elder=elder,
                             lines=[OrderLine(dish_id=d.pk, quantity=1) for d in order],
                             idempotency_key=key, request_digest=key, identified_by=method, at=at)
    except DomainError:
        return False  # e.g. an elder the city's policy does not cover, or outside the canteen's hours
    return not result.replayed


def lunch_tick(*, rng: random.Random | None = None, canteens: int = 4, per_canteen: int = 2,
               places: list[_Canteen] | None = None) -> int:
    """One beat of the simulated lunch: up to `per_canteen` meals at each of `canteens` canteens,
    at the platform's now. Returns how many meals were written (0 outside the canteens' hours)."""
    rng = rng or random.Random()
    places = places if places is not None else _demo_canteens()
    at = clock.now()
    made = 0
    for place in rng.sample(places, k=min(canteens, len(places))):
        for _i in range(rng.randint(1, per_canteen)):
            made += _commit(place, rng, f"demo-lunch-{uuid.uuid4().hex}", at, _method(rng))
    return made


def _moment(rng: random.Random, day: date, start: time, end: time) -> datetime:
    lo, hi = start.hour * 60 + start.minute, end.hour * 60 + end.minute
    minute = rng.randint(lo, max(lo, hi - 1))
    return datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=clock.LOCAL_TZ)


def seed_recent_meals(*, per_canteen_per_day: int = 3, seed: int = 20251201) -> int:
    """Meals at every demo canteen for each day from the first of last month up to now (nothing after
    the platform's now, so the simulated lunch carries on from there). Idempotent."""
    now = clock.now()
    today = clock.local_date(now)
    first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    made = 0
    for place in _demo_canteens():
        rng = random.Random(f"{seed}-{place.canteen.pk}")
        day = first
        while day <= today:
            for i in range(per_canteen_per_day):
                start, end = rng.choice(place.periods)
                at = _moment(rng, day, start, end)
                method = _method(rng)
                key = f"demo-recent-{place.canteen.pk}-{day:%Y%m%d}-{i}"
                pick = random.Random(key)
                if at <= now:
                    made += _commit(place, pick, key, at, method)
            day += timedelta(days=1)
    return made
