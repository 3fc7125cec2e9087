"""Demo of ordering ahead (issue 17), through the real services: the open canteens of 北山街道 take
lunch (until 09:30) and dinner (until 15:30) orders and deliver both; each covers its own
subdistrict's communities; menus are published for today and the next six days; a few orders are
placed for the next period still open (by the subdistrict's staff on the phone, and by the demo family
account 13900000002 for its elders), and that family account keeps a weekday lunch standing order.

Idempotent: cut-offs and coverage are set to the same values, a day already published is left alone,
orders carry fixed idempotency keys, the standing order is made once."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from zhucan.accounts.models import Role, User
from zhucan.canteens.models import Canteen, CanteenStatus, Dish
from zhucan.core import clock
from zhucan.core.errors import DomainError
from zhucan.elderphone.models import Binding, PhoneAccount
from zhucan.elderphone.phones import phone_index
from zhucan.elders.models import Elder, ElderStatus
from zhucan.orders.coverage import coverage_set
from zhucan.orders.menus import cutoff_set, menu_publish
from zhucan.orders.models import MenuOffer, StandingOrder
from zhucan.orders.placing import order_place, order_quote
from zhucan.orders.standing import standing_create, standing_generate_due
from zhucan.regions.models import Level, Region

SUBDISTRICT_CODE = "330106002"  # 北山街道
CUTOFFS = {"lunch": time(9, 30), "dinner": time(15, 30)}
FAMILY_PHONE = "13900000002"
PORTIONS = 40


def _next_open(canteen: Canteen, now: datetime):
    for offset in (0, 1, 2):
        day = clock.local_date(now) + timedelta(days=offset)
        for period, cutoff in CUTOFFS.items():
            if datetime.combine(day, cutoff, clock.LOCAL_TZ) > now:
                return day, period
    return None


def seed_demo_orders(actor: User) -> dict:
    subdistrict = Region.objects.filter(code=SUBDISTRICT_CODE).first()
    if subdistrict is None:
        return {"canteens": 0, "orders": 0}
    communities = list(Region.objects.filter(level=Level.COMMUNITY, path__startswith=subdistrict.path))
    canteens = list(Canteen.objects.filter(region__path__startswith=subdistrict.path, status=CanteenStatus.OPEN)
                    .select_related("region"))
    today, now = clock.local_today(), clock.now()
    staff = User.objects.filter(role=Role.SUBDISTRICT_STAFF, region=subdistrict).order_by("id").first() or actor
    placed = 0
    for canteen in canteens:
        own = [c for c in communities if c.path.startswith(canteen.region.path)] or communities
        coverage_set(actor=actor, canteen_id=canteen.pk, community_ids=[c.pk for c in own])
        dishes = list(Dish.objects.filter(canteen=canteen, active=True).order_by("sort_order", "name")[:4])
        if not dishes:
            continue
        for period, cutoff in CUTOFFS.items():
            if canteen.periods.filter(name=period).exists():
                cutoff_set(actor=actor, canteen_id=canteen.pk, period=period, cutoff=cutoff, delivers=True)
        for offset in range(7):
            day = today + timedelta(days=offset)
            for period in CUTOFFS:
                if not canteen.periods.filter(name=period).exists() or MenuOffer.objects.filter(
                        canteen=canteen, local_date=day, period=period).exists():
                    continue
                menu_publish(actor=actor, canteen_id=canteen.pk, local_date=day, period=period,
                             offers=[(d.pk, PORTIONS if i == 0 else None) for i, d in enumerate(dishes)])
        slot = _next_open(canteen, now)
        if slot is None:
            continue
        day, period = slot
        first = MenuOffer.objects.filter(canteen=canteen, local_date=day, period=period).order_by("id").first()
        elders = Elder.objects.filter(community__in=own, status=ElderStatus.ACTIVE).order_by("id")[:3]
        for i, elder in enumerate(elders):
            args = dict(elder_id=elder.pk, canteen_id=canteen.pk, local_date=day, period=period,
                        lines=[(first.pk, 1)], fulfilment="delivery" if i % 2 == 0 else "pickup", channel="staff")
            try:
                quote = order_quote(actor=staff, **args)
                order_place(actor=staff, expected_payable_fen=quote.payable_fen,
                            idempotency_key=f"demo-{elder.pk}-{day:%Y%m%d}-{period}", **args)
                placed += 1
            except DomainError:  # e.g. the elder has no registered address: the demo goes on
                continue
    account = PhoneAccount.objects.filter(phone_index=phone_index(FAMILY_PHONE)).first()
    if account is not None and canteens:
        canteen = canteens[0]
        dish = Dish.objects.filter(canteen=canteen, active=True).order_by("sort_order", "name").first()
        for binding in Binding.objects.filter(account=account, revoked_at__isnull=True).select_related("elder"):
            if dish is None or StandingOrder.objects.filter(elder=binding.elder, canteen=canteen).exists():
                continue
            try:
                standing_create(account=account, elder_id=binding.elder_id, canteen_id=canteen.pk,
                                period="lunch", fulfilment="delivery",
                                weekdays={str(d): [[dish.pk, 1]] for d in range(1, 6)})
            except DomainError:
                continue
        placed += standing_generate_due()
    return {"canteens": len(canteens), "orders": placed}
