"""Writes to the canteen registry: designation details, announced periods (HZ-7), menu, public
information (LC-9). One transaction each, with its audit row."""

from __future__ import annotations

from datetime import time
from itertools import pairwise

from django.db import IntegrityError, transaction
from django.db.models import F

from zhucan.accounts.permissions import has_perm
from zhucan.accounts.scoping import get_scoped, restrict
from zhucan.canteens.models import STANDARD_PERIODS, Canteen, Dish, MealPeriod
from zhucan.core.audit import audit_record, snapshot
from zhucan.core.errors import DomainError, PermissionDenied
from zhucan.regions.models import Level, Region

REGISTRATION_FIELDS = [
    "name", "operator", "credit_code", "food_licence", "canteen_type", "area", "region", "address",
    "seats", "floor_area_m2", "opening_date", "status", "latitude", "longitude",
]
OPERATIONAL_FIELDS = ["phone", "open_to_public", "public_info", "service_promises"]
AUDITED = REGISTRATION_FIELDS + OPERATIONAL_FIELDS


def _canteen_error(code: str, zh: str, en: str, field: str) -> DomainError:
    return DomainError(code=code, message_zh=zh, message_en=en, field=field)


def _check_region(*, actor, region: Region) -> None:
    if region.level not in (Level.SUBDISTRICT, Level.COMMUNITY):
        raise _canteen_error("CANTEEN_BAD_REGION", "助餐点须设在街道/乡镇或社区/村", "a canteen sits in a "
                             "subdistrict or community", "region")
    if not restrict(Region.objects.all(), actor, "view").filter(pk=region.pk).exists():
        raise _canteen_error("CANTEEN_BAD_REGION", "请选择您辖区内的街道或社区", "choose a place within "
                             "your jurisdiction", "region")


def _check_coordinates(canteen: Canteen) -> None:
    """Both or neither, inside the globe: a half-typed location would misplace the canteen for
    everyone who looks for one near them."""
    lat, lon = canteen.latitude, canteen.longitude
    if (lat is None) != (lon is None):
        field = "longitude" if lon is None else "latitude"
        raise _canteen_error("CANTEEN_BAD_COORDINATES", "经度和纬度须同时填写", "give both latitude and "
                             "longitude, or neither", field)
    if lat is not None and not -90 <= lat <= 90:
        raise _canteen_error("CANTEEN_BAD_COORDINATES", "纬度须在 -90 到 90 之间", "latitude must be "
                             "between -90 and 90", "latitude")
    if lon is not None and not -180 <= lon <= 180:
        raise _canteen_error("CANTEEN_BAD_COORDINATES", "经度须在 -180 到 180 之间", "longitude must be "
                             "between -180 and 180", "longitude")


def canteen_touch(canteen_id: int) -> None:
    """Tell every platform process that the canteen's checkout context changed. Call it inside the
    transaction of any write that changes what checkout knows of the canteen (its periods, menu,
    designated spans), so the change and the new version commit together."""
    Canteen.objects.filter(pk=canteen_id).update(config_version=F("config_version") + 1)


_bump = canteen_touch


def _save(canteen: Canteen) -> None:
    try:
        with transaction.atomic():
            canteen.save()
    except IntegrityError as exc:
        raise _canteen_error("CANTEEN_DUPLICATE_NAME", "同一辖区内已有同名助餐点", "a canteen with this "
                             "name exists in this place", "name") from exc


def canteen_create(*, actor, values: dict, ip: str | None = None) -> Canteen:
    """Designate a canteen (HZ-8 遴选定点助餐机构); starts with the city's standard periods (HZ-7)."""
    if not has_perm(actor, "canteen", "create"):
        raise PermissionDenied("新建助餐点", "create canteens")
    _check_region(actor=actor, region=values["region"])
    with transaction.atomic():
        canteen = Canteen(**{k: v for k, v in values.items() if k in AUDITED})
        _check_coordinates(canteen)
        _save(canteen)
        MealPeriod.objects.bulk_create(
            MealPeriod(canteen=canteen, name=name, start=start, end=end) for name, start, end in STANDARD_PERIODS
        )
        audit_record(actor=actor, action="canteen.create", obj=canteen, region_path=canteen.region.path,
                     after=snapshot(canteen, AUDITED), ip=ip)
    return canteen


def canteen_update(*, actor, canteen_id: int, values: dict, ip: str | None = None) -> Canteen:
    """Change a canteen. Canteen managers change only their operational fields."""
    with transaction.atomic():
        canteen = get_scoped(Canteen.objects.select_for_update(of=("self",)), actor, "change", pk=canteen_id,
                             what_zh="助餐点", what_en="canteen")
        allowed = set(OPERATIONAL_FIELDS)
        if has_perm(actor, "canteen", "change_registration"):
            allowed |= set(REGISTRATION_FIELDS)
        forbidden = set(values) - allowed
        if forbidden:
            raise PermissionDenied("修改助餐点登记信息", "change registration details")
        if "region" in values:
            _check_region(actor=actor, region=values["region"])
        before = snapshot(canteen, AUDITED)
        for key, value in values.items():
            setattr(canteen, key, value)
        _check_coordinates(canteen)
        _save(canteen)
        after = snapshot(canteen, AUDITED)
        _bump(canteen.pk)
        if after != before:
            audit_record(actor=actor, action="canteen.update", obj=canteen, region_path=canteen.region.path,
                         before=before, after=after, ip=ip)
    return canteen


def canteen_set_periods(*, actor, canteen_id: int, periods: list[tuple[str, time, time]],
                        ip: str | None = None) -> list[MealPeriod]:
    """Replace the canteen's announced meal periods (HZ-7: 具体开放时间以食堂公告为准)."""
    names = [p[0] for p in periods]
    if len(names) != len(set(names)):
        raise _canteen_error("PERIOD_DUPLICATE", "同一时段不能重复设置", "a period appears twice", "periods")
    for name, start, end in periods:
        if start >= end:
            raise _canteen_error("PERIOD_BAD_RANGE", "时段的开始时间须早于结束时间", "a period must start "
                                 "before it ends", f"periods.{name}")
    ordered = sorted(periods, key=lambda p: p[1])
    for (_, _, end), (name, start, _) in pairwise(ordered):
        if start <= end:
            raise _canteen_error("PERIOD_OVERLAP", "供餐时段不能重叠", "periods overlap", f"periods.{name}")
    with transaction.atomic():
        canteen = get_scoped(Canteen.objects.select_for_update(of=("self",)), actor, "change", pk=canteen_id,
                             what_zh="助餐点", what_en="canteen")
        before = {p.name: f"{p.start:%H:%M}-{p.end:%H:%M}" for p in canteen.periods.all()}
        canteen.periods.all().delete()
        created = MealPeriod.objects.bulk_create(
            MealPeriod(canteen=canteen, name=n, start=s, end=e) for n, s, e in periods
        )
        after = {p.name: f"{p.start:%H:%M}-{p.end:%H:%M}" for p in created}
        _bump(canteen.pk)
        audit_record(actor=actor, action="canteen.periods", obj=canteen, region_path=canteen.region.path,
                     before=before, after=after, ip=ip)
    return created


DISH_FIELDS = ["name", "category", "price_fen", "active", "sort_order"]


def dish_save(*, actor, canteen_id: int, values: dict, dish_id: int | None = None,
              ip: str | None = None) -> Dish:
    """Add or change a dish on the canteen's menu; prices are integer fen."""
    price = values.get("price_fen")
    if price is None or price < 0:
        raise _canteen_error("DISH_BAD_PRICE", "价格不能为负", "price must not be negative", "price")
    with transaction.atomic():
        canteen = get_scoped(Canteen.objects.all(), actor, "change", pk=canteen_id,
                             what_zh="助餐点", what_en="canteen")
        if dish_id is None:
            dish, before = Dish(canteen=canteen), None
        else:
            dish = get_scoped(Dish.objects.select_for_update(of=("self",)), actor, "change", pk=dish_id,
                              canteen=canteen, what_zh="菜品", what_en="dish")
            before = snapshot(dish, DISH_FIELDS)
        for key in DISH_FIELDS:
            if key in values:
                setattr(dish, key, values[key])
        try:
            with transaction.atomic():
                dish.save()
        except IntegrityError as exc:
            raise _canteen_error("DISH_DUPLICATE_NAME", "菜单中已有同名菜品", "a dish with this name "
                                 "is on the menu", "name") from exc
        _bump(canteen.pk)
        audit_record(actor=actor, action="dish.create" if before is None else "dish.update", obj=dish,
                     region_path=canteen.region.path, before=before, after=snapshot(dish, DISH_FIELDS), ip=ip)
    return dish
