"""The public directory of designated canteens (HZ-8 定点助餐机构名单向社会公布, LC-9 公开信息):
reads for citizens without login. Only canteens designated today (stage DESIGNATED and an open
designated span) appear; a suspended or revoked canteen disappears at once.

A city's directory is built once into plain records (what the list, the canteen page and the open
data all show) and kept in Django's cache under a version read from the rows it depends on, so an
edit of a canteen, its menu or hours, an agreement or a designation shows at the next request."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import date

from django.core.cache import cache
from django.db.models import Count, Max, Prefetch, Q, Sum
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from zhucan.canteens.models import Canteen, DesignatedSpan, Dish
from zhucan.core import clock
from zhucan.core.errors import DomainError, NotFound
from zhucan.core.money import fen_to_yuan
from zhucan.filing.models import Agreement, Designation, Filing, FilingStatus, Requirement, Stage
from zhucan.policy import PolicyError
from zhucan.policy.explain import layer_applies_to_canteen, layer_public_zh
from zhucan.regions.models import Level, Region
from zhucan.rules.facts import policy_for_city

CACHE_SECONDS = 3600


def designated_on(day: date) -> Q:
    """Canteens designated on `day`: stage DESIGNATED and a span that covers the day."""
    spans = DesignatedSpan.objects.filter(Q(end__isnull=True) | Q(end__gt=day), start__lte=day)
    return Q(designation__stage=Stage.DESIGNATED, pk__in=spans.values("canteen_id"))


def public_cities() -> list[Region]:
    """The cities that run on this platform (each has its policy)."""
    return list(Region.objects.filter(level=Level.CITY).exclude(policy_id="").order_by("path"))


def public_city(code: str | None) -> Region | None:
    """The city asked for, or the only city when the platform runs one; None: let the citizen choose."""
    cities = public_cities()
    if code:
        return next((c for c in cities if c.code == code), None)
    return cities[0] if len(cities) == 1 else None


def _version(city: Region, today: date) -> str:
    """Changes to anything a record shows move this string; it names the cached directory. Who is
    designated today is read exactly (one indexed query), so a suspension shows at the next request."""
    canteens = Canteen.objects.filter(region__path__startswith=city.path)
    listed = list(canteens.filter(designated_on(today)).order_by("pk").values_list("pk", flat=True))
    c = canteens.aggregate(n=Count("id"), v=Sum("config_version"), u=Max("updated_at"))
    d = Designation.objects.filter(canteen__in=canteens).aggregate(n=Count("id"), t=Max("stage_changed_at"))
    a = Agreement.objects.filter(canteen__in=canteens).aggregate(n=Count("id"), t=Max("recorded_at"))
    f = Filing.objects.filter(canteen__in=canteens).aggregate(t=Max("decided_at"))
    m = Dish.objects.filter(canteen__in=canteens).aggregate(n=Count("id"), m=Max("id"))
    parts = [listed, c["n"], c["v"], c["u"], d["n"], d["t"], a["n"], a["t"], f["t"], m["n"], m["m"]]
    return hashlib.sha1("|".join(str(p) for p in parts).encode(), usedforsecurity=False).hexdigest()


def directory(*, city: Region) -> list[dict]:
    """Every canteen of the city designated today, as public records (cached)."""
    today = clock.local_today()
    key = f"zhucan:public:{city.code}:{today.isoformat()}:{get_language()}:{_version(city, today)}"
    records = cache.get(key)
    if records is None:
        records = _build(city, today)
        cache.set(key, records, CACHE_SECONDS)
    return records


def canteen_record(*, canteen_id: int) -> dict:
    """One designated canteen's public record; a canteen not designated today is not found."""
    canteen = Canteen.objects.filter(pk=canteen_id).select_related("region").first()
    city = canteen.region.city if canteen else None
    record = None
    if city is not None and city.policy_id:
        record = next((r for r in directory(city=city) if r["id"] == canteen_id), None)
    if record is None:
        raise NotFound("助餐点", "canteen")
    return record


def search(records: list[dict], text: str) -> list[dict]:
    """By name or address (any part of it)."""
    words = text.casefold().split()
    return [r for r in records if all(w in r["name"].casefold() or w in r["address"].casefold() for w in words)]


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float

    @classmethod
    def parse(cls, lat: str | None, lon: str | None) -> Point | None:
        try:
            point = cls(float(lat or ""), float(lon or ""))
        except ValueError:
            return None
        ok = math.isfinite(point.latitude) and math.isfinite(point.longitude)
        return point if ok and abs(point.latitude) <= 90 and abs(point.longitude) <= 180 else None


def distance_m(a: Point, b: Point) -> int:
    """Great-circle distance in metres (haversine); plenty for "which canteen is nearest"."""
    r = 6_371_000
    p1, p2 = math.radians(a.latitude), math.radians(b.latitude)
    dp, dl = p2 - p1, math.radians(b.longitude - a.longitude)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return round(2 * r * math.asin(math.sqrt(h)))


def nearest(records: list[dict], here: Point) -> list[dict]:
    """Sorted by distance from `here`, each with `distance_m`; canteens without coordinates last."""
    out = []
    for r in records:
        d = None
        if r["latitude"] is not None:
            d = distance_m(here, Point(float(r["latitude"]), float(r["longitude"])))
        out.append({**r, "distance_m": d, "distance_km": None if d is None else f"{d / 1000:.1f}"})
    return sorted(out, key=lambda r: (r["distance_m"] is None, r["distance_m"] or 0, r["name"]))


def grouped(records: list[dict]) -> list[dict]:
    """By district, then subdistrict, in the order of the jurisdiction tree."""
    districts: dict[str, dict] = {}
    for r in sorted(records, key=lambda r: (r["region_path"], r["name"])):
        d = districts.setdefault(r["district"], {"name": r["district"], "subdistricts": {}})
        d["subdistricts"].setdefault(r["subdistrict"], []).append(r)
    return [{"name": d["name"], "subdistricts": [{"name": k, "canteens": v} for k, v in d["subdistricts"].items()]}
            for d in districts.values()]


# --------------------------------------------------------------------------------------------------
# Building the records


def _benefits(city: Region, district: str, area: str, today: date) -> list[dict]:
    try:
        version = policy_for_city(city.policy_id).version_on(today)
    except (DomainError, PolicyError):  # no policy file, or none in force yet: say nothing rather than guess
        return []
    return [layer_public_zh(layer) for layer in version.layers
            if layer_applies_to_canteen(layer, district=district, area=area)]


def _declared(canteen: Canteen, requirement: str) -> dict:
    filings = canteen.approved_filings  # newest round first
    if not filings:
        return {}
    for item in filings[0].items.all():
        if item.requirement == requirement:
            return item.declaration or {}
    return {}


def _agreement(canteen: Canteen, today: date) -> Agreement | None:
    agreements = list(canteen.agreements.all())  # newest start first
    current = [a for a in agreements if a.start_date <= today <= a.end_date]
    return current[0] if current else (agreements[0] if agreements else None)


def _build(city: Region, today: date) -> list[dict]:
    canteens = (
        Canteen.objects.filter(designated_on(today), region__path__startswith=city.path)
        .select_related("region__parent__parent__parent", "designation")
        .prefetch_related(
            "periods", "agreements",
            Prefetch("dishes", queryset=Dish.objects.filter(active=True), to_attr="menu"),
            Prefetch("filings", queryset=Filing.objects.filter(status=FilingStatus.APPROVED)
                     .order_by("-round").prefetch_related("items"), to_attr="approved_filings"),
        )
        .order_by("region__path", "name")
    )
    communities = {r.pk: r.name for r in Region.objects.filter(level=Level.COMMUNITY, path__startswith=city.path)}
    benefits: dict[tuple[str, str], list[dict]] = {}
    records = []
    for c in canteens:
        district = c.region.ancestor(Level.DISTRICT)
        subdistrict = c.region.ancestor(Level.SUBDISTRICT)
        district_name = district.name if district else ""
        key = (district_name, c.area)
        if key not in benefits:
            benefits[key] = _benefits(city, district_name, c.area, today)
        f6, f7 = _declared(c, Requirement.F6), _declared(c, Requirement.F7)
        agreement = _agreement(c, today)
        d = c.designation
        records.append({
            "id": c.pk,
            "name": c.name,
            "type": c.get_canteen_type_display(),
            "city": city.name,
            "city_code": city.code,
            "policy_id": city.policy_id,
            "district": district_name,
            "subdistrict": subdistrict.name if subdistrict else "",
            "region_path": c.region.path,
            "address": c.address,
            "phone": c.phone,
            "latitude": None if c.latitude is None else str(c.latitude),
            "longitude": None if c.longitude is None else str(c.longitude),
            "hours": [{"period": p.get_name_display(), "start": f"{p.start:%H:%M}", "end": f"{p.end:%H:%M}"}
                      for p in c.periods.all()],
            "menu": [{"name": m.name, "category": m.category, "price": fen_to_yuan(m.price_fen)} for m in c.menu],
            "benefits": benefits[key],
            "open_to_public": c.open_to_public,
            "priority_window": bool(f6.get("priority_window")) if c.open_to_public else None,
            "reserved_tables": f6.get("reserved_tables") if c.open_to_public else None,
            "online_ordering": bool(f7.get("online_ordering")),
            "home_delivery": bool(f7.get("home_delivery")),
            "delivery_coverage": [communities[i] for i in f7.get("coverage", []) if i in communities],
            "public_info": c.public_info,
            "service_promises": c.service_promises,
            "filing_number": d.filing_number or "",
            "status": d.get_stage_display(),
            "designated_on": d.designated_on.isoformat() if d.designated_on else None,
            "recheck_due": d.recheck_due.isoformat() if d.recheck_due else None,
            "agreement_start": agreement.start_date.isoformat() if agreement else None,
            "agreement_end": agreement.end_date.isoformat() if agreement else None,
        })
    return records


def hours_text(record: dict) -> str:
    return "；".join(f"{h['period']} {h['start']}–{h['end']}" for h in record["hours"]) or _("未公告")
