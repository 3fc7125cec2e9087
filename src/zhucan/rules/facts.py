"""From registry rows to the policy engine's inputs (ElderFacts, CanteenFacts), and the city's
policy. The engine stays pure; this is the only place that knows both worlds."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from django.conf import settings

from zhucan.canteens.models import Canteen, DesignatedSpan
from zhucan.elders.models import Elder, Verification
from zhucan.policy import AnnouncedPeriod, CanteenFacts, ElderFacts, Policy, PolicyError, load_policy
from zhucan.regions.models import Level
from zhucan.rules.errors import rules_error


@lru_cache(maxsize=32)
def _load(policy_id: str, overlays: tuple[str, ...], policy_dir: str) -> Policy:
    return load_policy(policy_id, overlays=list(overlays), policy_dir=policy_dir)


def policy_for_city(policy_id: str) -> Policy:
    """The city's policy with the district overlays the city platform has enabled (HZ-6)."""
    overlays = tuple(getattr(settings, "ZHUCAN_POLICY_OVERLAYS", {}).get(policy_id, ()))
    try:
        return _load(policy_id, overlays, str(settings.ZHUCAN_POLICY_DIR))
    except PolicyError as exc:
        raise rules_error("POLICY_UNAVAILABLE") from exc


def policy_for_canteen(canteen: Canteen) -> Policy:
    city = canteen.region.ancestor(Level.CITY)
    if city is None or not city.policy_id:
        raise rules_error("POLICY_UNAVAILABLE")
    return policy_for_city(city.policy_id)


def _tags(elder: Elder):
    """The elder's tags; those the identify statement read come from its prefetch cache directly
    (`elder.tags.all()` builds a related-manager class instance first, on every call)."""
    prefetched = getattr(elder, "_prefetched_objects_cache", {}).get("tags")
    return prefetched if prefetched is not None else elder.tags.all()


def elder_facts(elder: Elder) -> ElderFacts:
    return ElderFacts(
        birth_date=elder.birth_date,
        tags=frozenset(t.code for t in _tags(elder)),
        hukou_district=elder.hukou_district.name if elder.hukou_district_id else None,
        status=elder.status,
        status_since=elder.status_since,
        verified=elder.verification == Verification.VERIFIED,
    )


Spans = tuple[tuple[date, date | None], ...]


def designated_spans(canteen_id: int) -> Spans:
    """The canteen's designated spans as (start, end-exclusive or None), oldest first."""
    return tuple(DesignatedSpan.objects.filter(canteen_id=canteen_id).order_by("start").values_list("start", "end"))


def designated_on(spans: Spans, day: date) -> bool:
    """Whether `day` (a local date) falls inside one of the spans (HZ-8: benefits only while designated)."""
    for start, end in spans:
        if start <= day and (end is None or day < end):
            return True
    return False


def canteen_facts(canteen: Canteen, on: date | None = None, *, spans: Spans | None = None) -> CanteenFacts:
    """The canteen's facts for a meal on the local date `on`: a late report is judged by its own
    date, so `designated` is read from the spans for that date, not for today. Without `on`, the
    facts as if designated: what its meals would get once designated (a filing's test quote)."""
    district = canteen.region.ancestor(Level.DISTRICT)
    periods = tuple(AnnouncedPeriod(p.name, p.start, p.end) for p in canteen.periods.all())
    if on is None:
        designated = True
    else:
        designated = designated_on(designated_spans(canteen.pk) if spans is None else spans, on)
    return CanteenFacts(district=district.name if district else "", area=canteen.area or None, periods=periods,
                        designated=designated)
