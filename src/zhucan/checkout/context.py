"""Per-process cache of what checkout needs to know about a canteen: its policy, its facts for
the engine, its opening periods, its menu and its designated spans. Keyed by the canteen's
`config_version` (and `updated_at`), which every change to the canteen, its periods, its menu or its
designation moves forward in the same transaction (canteens.services.canteen_touch), so a change
takes effect on the next request without a cache server. Whether the canteen is designated is
decided per meal from the cached spans and the meal's local date, so a span that starts or ends at
midnight needs no write. This keeps the lunch-rush commit path to the
queries that must hit the database (the elder, the usage row, the ledger)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, time
from threading import Lock

from zhucan.canteens.models import Canteen
from zhucan.policy import CanteenFacts, Policy
from zhucan.regions.models import Level
from zhucan.rules.facts import Spans, canteen_facts, designated_on, designated_spans, policy_for_canteen


@dataclass(frozen=True)
class CanteenContext:
    canteen_id: int
    version: tuple  # (config_version, updated_at) of the canteen row it was built from
    status: str
    policy: Policy
    facts: CanteenFacts  # as designated
    periods: tuple[tuple[str, str, time, time], ...]  # (name, label, start, end)
    dishes: dict[int, tuple[str, int]]  # active dishes: id -> (name, price fen)
    city_path: str  # the canteen's city in the tree: whose elders it serves (HZ-5: city-wide)
    spans: Spans  # designated (start, end-exclusive) dates
    facts_undesignated: CanteenFacts

    def facts_on(self, day: date) -> CanteenFacts:
        """The engine's facts for a meal on the local date `day`."""
        return self.facts if designated_on(self.spans, day) else self.facts_undesignated

    def designation_lapsed(self, day: date) -> bool:
        """Not designated on `day` although it was before (suspended or revoked), as opposed to
        never designated yet."""
        return not designated_on(self.spans, day) and any(start <= day for start, _end in self.spans)


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
    spans = designated_spans(canteen.pk)
    facts = canteen_facts(canteen)  # as designated; facts_on() picks per meal date
    context = CanteenContext(canteen.pk, version, canteen.status, policy_for_canteen(canteen), facts, periods,
                             dishes, city.path if city else "", spans, replace(facts, designated=False))
    with _lock:
        _cache[canteen.pk] = context
    return context


def forget(canteen_id: int | None = None) -> None:
    with _lock:
        if canteen_id is None:
            _cache.clear()
        else:
            _cache.pop(canteen_id, None)
