"""Per-process cache of what checkout needs to know about a canteen: its policy, its facts for
the engine, its opening periods and its menu. Keyed by the canteen's `updated_at`, which every
change to the canteen, its periods or its menu moves forward (canteens.services), so a change takes
effect on the next request without a cache server. This keeps the lunch-rush commit path to the
queries that must hit the database (the elder, the usage row, the ledger)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from threading import Lock

from zhucan.canteens.models import Canteen
from zhucan.policy import CanteenFacts, Policy
from zhucan.regions.models import Level
from zhucan.rules.facts import canteen_facts, policy_for_canteen


@dataclass(frozen=True)
class CanteenContext:
    canteen_id: int
    version: tuple  # (config_version, updated_at) of the canteen row it was built from
    status: str
    policy: Policy
    facts: CanteenFacts
    periods: tuple[tuple[str, str, time, time], ...]  # (name, label, start, end)
    dishes: dict[int, tuple[str, int]]  # active dishes: id -> (name, price fen)
    city_path: str  # the canteen's city in the tree: whose elders it serves (HZ-5: city-wide)


_cache: dict[int, CanteenContext] = {}
_lock = Lock()


def canteen_context(canteen: Canteen) -> CanteenContext:
    version = (canteen.config_version, canteen.updated_at)
    cached = _cache.get(canteen.pk)
    if cached is not None and cached.version == version:
        return cached
    periods = tuple((p.name, p.get_name_display(), p.start, p.end) for p in canteen.periods.all())
    dishes = {d.pk: (d.name, d.price_fen) for d in canteen.dishes.filter(active=True)}
    city = canteen.region.ancestor(Level.CITY)
    context = CanteenContext(canteen.pk, version, canteen.status, policy_for_canteen(canteen),
                             canteen_facts(canteen), periods, dishes, city.path if city else "")
    with _lock:
        _cache[canteen.pk] = context
    return context


def forget(canteen_id: int | None = None) -> None:
    with _lock:
        if canteen_id is None:
            _cache.clear()
        else:
            _cache.pop(canteen_id, None)
