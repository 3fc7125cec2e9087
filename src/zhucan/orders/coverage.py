"""Delivery coverage (issue 17 item 5): the communities a canteen delivers to (its own required)
and an optional radius from its coordinates; which canteens cover an address."""

from __future__ import annotations

import math

from django.db import transaction
from django.db.models import Exists, OuterRef

from zhucan.accounts.permissions import has_perm
from zhucan.accounts.scoping import get_scoped
from zhucan.canteens.models import Canteen, CanteenStatus
from zhucan.core import clock
from zhucan.core.audit import audit_record
from zhucan.core.errors import PermissionDenied
from zhucan.orders.errors import order_error
from zhucan.orders.models import CoverageArea
from zhucan.regions.models import Level, Region


def _distance_m(lat1, lon1, lat2, lon2) -> float:
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp, dl = p2 - p1, math.radians(float(lon2) - float(lon1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


def includes_own_community(canteen: Canteen, communities) -> bool:
    """The canteen's own community is covered: its region if it sits in a community, else (a canteen
    registered under a subdistrict) at least one community of that subdistrict."""
    if canteen.region.level == Level.COMMUNITY:
        return any(r.pk == canteen.region_id for r in communities)
    return any(r.path.startswith(canteen.region.path) for r in communities)


def coverage_set(*, actor, canteen_id: int, community_ids: list[int], radius_m: int | None = None) -> CoverageArea:
    if not has_perm(actor, "order_coverage", "manage"):
        raise PermissionDenied("设置配送范围", "set delivery coverage")
    canteen = get_scoped(Canteen.objects.select_related("region"), actor, "view", what_zh="助餐点",
                         what_en="canteen", pk=canteen_id)
    ids = {int(i) for i in community_ids}
    regions = list(Region.objects.filter(pk__in=ids))
    for region in regions:
        if region.level != Level.COMMUNITY:
            raise order_error("COVERAGE_NOT_COMMUNITY", field="communities", name=region.name)
    if not includes_own_community(canteen, regions):
        raise order_error("COVERAGE_OWN_COMMUNITY", field="communities", community=canteen.region.name)
    if radius_m is not None:
        if isinstance(radius_m, bool) or not isinstance(radius_m, int) or not 1 <= radius_m <= 20000:
            raise order_error("COVERAGE_RADIUS_INVALID", field="radius_m")
        if canteen.latitude is None:
            raise order_error("COVERAGE_NO_COORDINATES", field="radius_m")
    with transaction.atomic():
        area = CoverageArea.objects.select_for_update().filter(canteen=canteen).first()
        before = None if area is None else {"communities": sorted(area.communities.values_list("name", flat=True)),
                                            "radius_m": area.radius_m}
        if area is None:
            area = CoverageArea(canteen=canteen)
        area.radius_m, area.updated_at, area.updated_by = radius_m, clock.now(), actor
        area.save()
        area.communities.set(regions)
        audit_record(actor=actor, action="orders.coverage_set", obj=area, object_repr=f"{canteen.name} 配送范围",
                     region_path=canteen.region.path, before=before,
                     after={"communities": sorted(r.name for r in regions), "radius_m": radius_m})
    return area


def covers(canteen: Canteen, community: Region | None, point: tuple[float, float] | None = None) -> bool:
    """Whether the canteen delivers to the community (or, by radius, to the point); one statement."""
    area = CoverageArea.objects.filter(canteen=canteen)
    if community is not None:
        area = area.annotate(inside=Exists(CoverageArea.communities.through.objects.filter(
            coveragearea_id=OuterRef("pk"), region_id=community.pk)))
    area = area.first()
    if area is None:
        return False
    if community is not None and area.inside:
        return True
    if point is not None and area.radius_m and canteen.latitude is not None:
        return _distance_m(canteen.latitude, canteen.longitude, point[0], point[1]) <= area.radius_m
    return False


def covering_canteens(*, community: Region | None, point: tuple[float, float] | None = None) -> list[Canteen]:
    """Open canteens that deliver to the community (or, by radius, to the point): nearest first (by
    distance from the point, else the community's own canteens, then its subdistrict's, then by name)."""
    found = []
    areas = CoverageArea.objects.select_related("canteen__region").filter(canteen__status=CanteenStatus.OPEN)
    for area in areas:
        canteen = area.canteen
        inside = community is not None and area.communities.filter(pk=community.pk).exists()
        distance = None
        if point is not None and canteen.latitude is not None:
            distance = _distance_m(canteen.latitude, canteen.longitude, point[0], point[1])
            inside = inside or bool(area.radius_m and distance <= area.radius_m)
        if inside:
            found.append((canteen, distance))

    def key(pair):
        canteen, distance = pair
        if distance is not None:
            return (0, distance, canteen.name)
        same = community is not None and canteen.region_id == community.pk
        near = community is not None and canteen.region.parent_id == community.parent_id
        return (1, 0 if same else 1 if near else 2, canteen.name)

    return [c for c, _d in sorted(found, key=key)]
