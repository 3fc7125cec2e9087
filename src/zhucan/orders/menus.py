"""Menus ahead (issue 17 item 1): a canteen's order cut-off per period and the offers it publishes
up to a week ahead; written by the canteen's manager, audited."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db import transaction

from zhucan.accounts.models import CANTEEN_ROLES
from zhucan.accounts.permissions import has_perm
from zhucan.canteens.models import Canteen, Dish
from zhucan.core import clock
from zhucan.core.audit import audit_record
from zhucan.core.errors import NotFound, PermissionDenied
from zhucan.orders.common import DAYS_AHEAD, meal_period_of, period_zh
from zhucan.orders.errors import order_error
from zhucan.orders.models import MenuOffer, PeriodCutoff


def _canteen_for_manager(actor, canteen_id: int, action: str = "manage") -> Canteen:
    if not has_perm(actor, "order_menu", action):
        raise PermissionDenied("管理预订菜单", "manage menus ahead")
    qs = Canteen.objects.select_related("region")
    if actor.is_superuser:
        found = qs.filter(pk=canteen_id).first()
    elif actor.role in CANTEEN_ROLES:
        found = qs.filter(pk=canteen_id, pk__in=[actor.canteen_id]).first()
    else:
        found = qs.filter(pk=canteen_id, region__path__startswith=actor.region.path if actor.region_id else "-").first()
    if found is None:
        raise NotFound("助餐点", "canteen")
    return found


def cutoff_at(canteen: Canteen, local_date: date, period: str) -> datetime | None:
    row = PeriodCutoff.objects.filter(canteen=canteen, period=period).first()
    return None if row is None else datetime.combine(local_date, row.cutoff, clock.LOCAL_TZ)


# --------------------------------------------------------------------------------------------------
# menus ahead


def cutoff_set(*, actor, canteen_id: int, period: str, cutoff: time, delivers: bool) -> PeriodCutoff:
    canteen = _canteen_for_manager(actor, canteen_id)
    meal_period = meal_period_of(canteen, period)
    if not isinstance(cutoff, time) or cutoff >= meal_period.end:
        raise order_error("MENU_CUTOFF_INVALID", field="cutoff", end=f"{meal_period.end:%H:%M}")
    with transaction.atomic():
        row = PeriodCutoff.objects.select_for_update().filter(canteen=canteen, period=period).first()
        before = None if row is None else {"cutoff": f"{row.cutoff:%H:%M}", "delivers": row.delivers}
        if row is None:
            row = PeriodCutoff(canteen=canteen, period=period)
        row.cutoff, row.delivers, row.updated_at, row.updated_by = cutoff, bool(delivers), clock.now(), actor
        row.save()
        audit_record(actor=actor, action="orders.cutoff_set", obj=row,
                     object_repr=f"{canteen.name} {period_zh(period)}", region_path=canteen.region.path,
                     before=before,
                     after={"cutoff": f"{cutoff:%H:%M}", "delivers": bool(delivers)})
    return row


def menu_publish(*, actor, canteen_id: int, local_date: date, period: str,
                 offers: list[tuple[int, int | None]], delivers: bool | None = None) -> list[MenuOffer]:
    """Publish (or replace) the offers of one day and period: [(dish id, portions or None)]. An
    offer already ordered stays (its portions cannot go below those taken); one not listed is
    withdrawn unless ordered."""
    canteen = _canteen_for_manager(actor, canteen_id)
    today = clock.local_today()
    if not isinstance(local_date, date) or not today <= local_date <= today + timedelta(days=DAYS_AHEAD):
        raise order_error("MENU_DATE_RANGE", field="local_date", days=DAYS_AHEAD)
    meal_period_of(canteen, period)
    if delivers is None:
        cut = PeriodCutoff.objects.filter(canteen=canteen, period=period).first()
        delivers = bool(cut and cut.delivers)
    wanted: dict[int, int | None] = {}
    for dish_id, portions in offers:
        if portions is not None and (isinstance(portions, bool) or not isinstance(portions, int) or portions < 0):
            raise order_error("ORDER_LINE_INVALID", field="offers")
        wanted[int(dish_id)] = portions
    dishes = {d.pk: d for d in Dish.objects.filter(canteen=canteen, active=True, pk__in=list(wanted))}
    for dish_id in wanted:
        if dish_id not in dishes:
            raise order_error("MENU_DISH_UNKNOWN", field="offers", dish=dish_id)
    now = clock.now()
    with transaction.atomic():
        existing = {o.dish_id: o for o in MenuOffer.objects.select_for_update()
                    .filter(canteen=canteen, local_date=local_date, period=period)}
        before = {o.name: o.portions for o in existing.values()}
        for dish_id, offer in existing.items():
            if dish_id not in wanted:
                if offer.portions_taken or offer.lines.exists():
                    raise order_error("MENU_OFFER_ORDERED", field="offers", dish=offer.name)
                offer.delete()
        result = []
        for dish_id, portions in wanted.items():
            dish = dishes[dish_id]
            offer = existing.get(dish_id)
            if offer is None:
                offer = MenuOffer(canteen=canteen, local_date=local_date, period=period, dish=dish)
            elif portions is not None and portions < offer.portions_taken:
                raise order_error("MENU_PORTIONS_BELOW_TAKEN", field="offers", dish=dish.name,
                                  taken=offer.portions_taken)
            offer.name, offer.price_fen, offer.portions, offer.delivers = dish.name, dish.price_fen, portions, delivers
            offer.published_at, offer.published_by = now, actor
            offer.save()
            result.append(offer)
        audit_record(actor=actor, action="orders.menu_publish", object_type="orders.menuoffer",
                     object_id=f"{canteen.pk}:{local_date}:{period}",
                     object_repr=f"{canteen.name} {local_date} {period_zh(period)}",
                     region_path=canteen.region.path, before=before or None,
                     after={o.name: o.portions for o in result})
    return result


def menu_copy_last_week(*, actor, canteen_id: int, week_start: date) -> int:
    """Copy the offers of the 7 days before `week_start` to the 7 days from it (days inside the
    ordering window and not yet published only); the number of offers written."""
    canteen = _canteen_for_manager(actor, canteen_id)
    today = clock.local_today()
    source = list(MenuOffer.objects.filter(canteen=canteen, local_date__gte=week_start - timedelta(days=7),
                                           local_date__lt=week_start, dish__active=True).select_related("dish"))
    if not source:
        raise order_error("MENU_NOTHING_TO_COPY")
    published = set(MenuOffer.objects.filter(canteen=canteen, local_date__gte=week_start,
                                             local_date__lt=week_start + timedelta(days=7))
                    .values_list("local_date", "period"))
    now, written = clock.now(), 0
    with transaction.atomic():
        for offer in source:
            day = offer.local_date + timedelta(days=7)
            if not today <= day <= today + timedelta(days=DAYS_AHEAD) or (day, offer.period) in published:
                continue
            MenuOffer.objects.create(canteen=canteen, local_date=day, period=offer.period, dish=offer.dish,
                                     name=offer.dish.name, price_fen=offer.dish.price_fen, portions=offer.portions,
                                     delivers=offer.delivers, published_at=now, published_by=actor)
            written += 1
        audit_record(actor=actor, action="orders.menu_copy", object_type="orders.menuoffer",
                     object_id=f"{canteen.pk}:{week_start}", object_repr=f"{canteen.name} 复制上周菜单",
                     region_path=canteen.region.path, after={"week_start": week_start.isoformat(), "offers": written})
    return written
