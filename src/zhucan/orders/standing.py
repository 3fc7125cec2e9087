"""Standing orders (issue 17 item 2): "every weekday lunch, delivered", per-weekday choices, pause
until a date, skip a day, stop; the periodic job places each day's orders before the cut-off."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import transaction

from zhucan.accounts.models import CANTEEN_ROLES
from zhucan.accounts.scoping import restrict
from zhucan.canteens.models import Canteen, Dish
from zhucan.core import clock
from zhucan.core.audit import audit_record
from zhucan.core.errors import DomainError, NotFound
from zhucan.orders.common import MAX_QUANTITY, meal_period_of
from zhucan.orders.errors import order_error
from zhucan.orders.menus import cutoff_at
from zhucan.orders.models import (
    Fulfilment,
    MenuOffer,
    Order,
    OrderChannel,
    OrderStatus,
    StandingOrder,
    StandingRun,
    StandingSkip,
)
from zhucan.orders.placing import elder_for, order_cancel, order_place


def _clean_weekdays(weekdays) -> dict[str, list[list[int]]]:
    clean: dict[str, list[list[int]]] = {}
    if not isinstance(weekdays, dict):
        raise order_error("STANDING_WEEKDAYS_INVALID", field="weekdays")
    for day, choices in weekdays.items():
        if str(day) not in {"1", "2", "3", "4", "5", "6", "7"} or not isinstance(choices, list | tuple):
            raise order_error("STANDING_WEEKDAYS_INVALID", field="weekdays")
        rows = []
        for choice in choices:
            try:
                dish_id, qty = int(choice[0]), int(choice[1])
            except (TypeError, ValueError, IndexError):
                raise order_error("STANDING_WEEKDAYS_INVALID", field="weekdays") from None
            if not 1 <= qty <= MAX_QUANTITY:
                raise order_error("STANDING_WEEKDAYS_INVALID", field="weekdays")
            rows.append([dish_id, qty])
        if rows:
            clean[str(day)] = rows
    if not clean:
        raise order_error("STANDING_WEEKDAYS_INVALID", field="weekdays")
    return clean


def standing_create(*, actor=None, account=None, elder_id: int, canteen_id: int, period: str, fulfilment: str,
                    weekdays: dict, address: str = "") -> StandingOrder:
    """A standing order: weekdays {"1": [[dish id, quantity], ...], ...} (1 = Monday)."""
    canteen = Canteen.objects.select_related("region").filter(pk=canteen_id).first()
    if canteen is None:
        raise NotFound("助餐点", "canteen")
    channel = (OrderChannel.FAMILY_PHONE if account is not None else
               OrderChannel.CANTEEN if actor is not None and actor.role in CANTEEN_ROLES else OrderChannel.STAFF)
    elder = elder_for(actor=actor, account=account, elder_id=elder_id, channel=channel, canteen=canteen)
    if fulfilment not in Fulfilment.values:
        raise order_error("ORDER_LINE_INVALID", field="fulfilment")
    meal_period_of(canteen, period)
    clean = _clean_weekdays(weekdays)
    dish_ids = {d for rows in clean.values() for d, _q in rows}
    known = set(Dish.objects.filter(canteen=canteen, pk__in=dish_ids).values_list("pk", flat=True))
    if dish_ids - known:
        raise order_error("MENU_DISH_UNKNOWN", field="weekdays", dish=sorted(dish_ids - known)[0])
    with transaction.atomic():
        standing = StandingOrder(elder=elder, canteen=canteen, period=period, fulfilment=fulfilment, weekdays=clean,
                                 created_by=actor if account is None else None, created_by_account=account,
                                 created_at=clock.now())
        standing.address = (address or "").strip()[:200]
        standing.save()
        audit_record(actor=actor, action="orders.standing_create", obj=standing, object_repr=f"长期订餐{standing.pk}",
                     region_path=canteen.region.path, after={"elder": elder.pk, "period": period, "weekdays": clean})
    return standing


def _standing_for(*, actor, account, standing_id: int) -> StandingOrder:
    qs = StandingOrder.objects.select_related("canteen__region")
    if account is not None:
        found = qs.filter(pk=standing_id, elder__phone_bindings__account=account,
                          elder__phone_bindings__revoked_at__isnull=True).first()
    elif actor is not None:
        found = restrict(qs, actor, "place").filter(pk=standing_id).first()
    else:
        found = qs.filter(pk=standing_id).first()
    if found is None:
        raise order_error("STANDING_NOT_FOUND")
    return found


def standing_pause(*, actor=None, account=None, standing_id: int, until: date | None) -> StandingOrder:
    """Pause until a date (inclusive: generation resumes the day after); None resumes now."""
    standing = _standing_for(actor=actor, account=account, standing_id=standing_id)
    with transaction.atomic():
        before = standing.paused_until
        StandingOrder.objects.filter(pk=standing.pk).update(paused_until=until)
        standing.paused_until = until
        audit_record(actor=actor, action="orders.standing_pause", obj=standing, object_repr=f"长期订餐{standing.pk}",
                     region_path=standing.canteen.region.path,
                     before={"paused_until": before.isoformat() if before else None},
                     after={"paused_until": until.isoformat() if until else None})
    return standing


def standing_skip(*, actor=None, account=None, standing_id: int, day: date) -> StandingSkip:
    """Cancel one occurrence; it stays cancelled. An order already generated for it is cancelled
    (before its cut-off)."""
    standing = _standing_for(actor=actor, account=account, standing_id=standing_id)
    if day < clock.local_today():
        raise order_error("STANDING_SKIP_PAST", field="day")
    generated = Order.objects.filter(standing=standing, local_date=day, status=OrderStatus.PLACED).first()
    with transaction.atomic():
        if generated is not None:
            order_cancel(actor=actor, account=account, order_id=generated.pk, reason="长期订餐取消当日")
        skip, _created = StandingSkip.objects.get_or_create(standing=standing, date=day,
                                                            defaults={"created_at": clock.now()})
        audit_record(actor=actor, action="orders.standing_skip", obj=standing, object_repr=f"长期订餐{standing.pk}",
                     region_path=standing.canteen.region.path, after={"date": day.isoformat()})
    return skip


def standing_stop(*, actor=None, account=None, standing_id: int) -> StandingOrder:
    standing = _standing_for(actor=actor, account=account, standing_id=standing_id)
    with transaction.atomic():
        StandingOrder.objects.filter(pk=standing.pk).update(active=False)
        standing.active = False
        audit_record(actor=actor, action="orders.standing_stop", obj=standing, object_repr=f"长期订餐{standing.pk}",
                     region_path=standing.canteen.region.path)
    return standing


FINAL_ATTEMPT = timedelta(hours=1)  # a day whose menu is still missing this close to the cut-off is noted closed


def _note(standing: StandingOrder, day: date, outcome: str, note: str = "", order: Order | None = None) -> None:
    StandingRun.objects.get_or_create(standing=standing, date=day, defaults={
        "outcome": outcome, "note": note[:200], "order": order, "created_at": clock.now()})


def standing_generate(*, day: date, now: datetime | None = None) -> int:
    """Place the day's orders of the active standing orders before the cut-off; the count placed.
    Each standing order and day is decided once (a `StandingRun`): paused, skipped, sold out or
    closed days are noted, not retried; a menu not published yet is retried until an hour before
    the cut-off."""
    now = now or clock.now()
    weekday = str(day.isoweekday())
    placed = 0
    done = set(StandingRun.objects.filter(date=day).values_list("standing_id", flat=True))
    for standing in (StandingOrder.objects.filter(active=True).exclude(pk__in=done)
                     .select_related("canteen", "elder").order_by("pk")):
        choices = standing.weekdays.get(weekday)
        if not choices:
            continue
        if standing.paused_until and standing.paused_until >= day:
            _note(standing, day, "paused", f"暂停至{standing.paused_until:%m月%d日}")
            continue
        if StandingSkip.objects.filter(standing=standing, date=day).exists():
            _note(standing, day, "skipped", "当日已取消")
            continue
        closes = cutoff_at(standing.canteen, day, standing.period)
        if closes is None or now >= closes:
            _note(standing, day, "closed", "当日不接受订餐" if closes is None else "已过截止时间")
            continue
        offers = {o.dish_id: o for o in MenuOffer.objects.filter(canteen=standing.canteen, local_date=day,
                                                                   period=standing.period)}
        if not offers:
            if closes - now <= FINAL_ATTEMPT:
                _note(standing, day, "closed", "当日未发布菜单")
            continue
        lines = [(offers[d].pk, q) for d, q in choices if d in offers]
        if not lines:
            _note(standing, day, "closed", "所选菜品当日未供应")
            continue
        try:
            order = order_place(elder_id=standing.elder_id, canteen_id=standing.canteen_id, local_date=day,
                                period=standing.period, lines=lines, fulfilment=standing.fulfilment,
                                address=standing.address, channel=OrderChannel.STANDING, expected_payable_fen=None,
                                idempotency_key=f"standing-{standing.pk}-{day.isoformat()}", standing=standing)
        except DomainError as exc:
            outcome = "sold_out" if exc.code == "ORDER_SOLD_OUT" else "refused"
            _note(standing, day, outcome, exc.message_zh)
            continue
        _note(standing, day, "placed", order=order)
        placed += 1
    return placed


def standing_generate_due(*, now: datetime | None = None) -> int:
    """The periodic job: today's and tomorrow's occurrences (each decided once)."""
    now = now or clock.now()
    today = clock.local_date(now)
    return standing_generate(day=today, now=now) + standing_generate(day=today + timedelta(days=1), now=now)
