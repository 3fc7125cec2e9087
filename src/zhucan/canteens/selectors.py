"""Reads of the canteen registry, scoped to the user."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from zhucan.accounts.scoping import get_scoped, restrict
from zhucan.canteens.models import Canteen


def canteen_list(*, user, action: str = "view", q: str = "", region_id: int | None = None,
                 canteen_type: str = "", status: str = "", area: str = "") -> QuerySet[Canteen]:
    qs = restrict(Canteen.objects.select_related("region__parent__parent"), user, action)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(operator__contains=q) | Q(address__contains=q))
    if region_id:
        from zhucan.regions.models import Region

        region = restrict(Region.objects.all(), user, "view").filter(pk=region_id).first()
        qs = qs.filter(region__path__startswith=region.path) if region else qs.none()
    if canteen_type:
        qs = qs.filter(canteen_type=canteen_type)
    if status:
        qs = qs.filter(status=status)
    if area:
        qs = qs.filter(area=area)
    return qs.annotate(dish_count=Count("dishes", filter=Q(dishes__active=True))).order_by("region__path", "name")


def canteen_get(*, user, canteen_id: int, action: str = "view") -> Canteen:
    return get_scoped(Canteen.objects.select_related("region__parent__parent"), user, action,
                      pk=canteen_id, what_zh="助餐点", what_en="canteen")
