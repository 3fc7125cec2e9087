"""Demo of ordering ahead and delivery at 北山街道颐乐食堂 (through the real services): lunch and
dinner cut-offs, coverage of the subdistrict's communities, a menu, orders (three delivered, one
picked up) for the next period still open, diet notes, a volunteer courier and a route.

Orders close at their cut-off, so the demo orders the earliest period still open: today's lunch
before 09:30, today's dinner before 15:30, else tomorrow's lunch (the board's date picker shows it)."""

from __future__ import annotations

from datetime import time, timedelta

from zhucan.accounts.models import User
from zhucan.canteens.models import Canteen
from zhucan.core import clock
from zhucan.core.errors import DomainError
from zhucan.delivery import services as delivery
from zhucan.delivery.models import Courier, Route
from zhucan.elders.models import Elder, ElderStatus, Verification
from zhucan.elders.services import elder_set_diet
from zhucan.orders.coverage import coverage_set
from zhucan.orders.menus import cutoff_set, menu_publish
from zhucan.orders.models import CoverageArea, MenuOffer, Order, PeriodCutoff
from zhucan.orders.placing import order_place, order_quote
from zhucan.regions.models import Level, Region

COURIER_PHONE = "13600000001"
COURIER_NAME = "王志愿"
CUTOFFS = (("lunch", time(9, 30)), ("dinner", time(15, 30)))


def _when() -> tuple:
    now, today = clock.now(), clock.local_today()
    for period, cutoff in CUTOFFS:
        if now.astimezone(clock.LOCAL_TZ).time() < cutoff:
            return today, period
    return today + timedelta(days=1), "lunch"


def seed_demo_delivery(*, canteen_name: str = "北山街道颐乐食堂") -> dict:
    canteen = Canteen.objects.filter(name=canteen_name).select_related("region").first()
    manager = User.objects.filter(username="beishan_mgr").first()
    staff = User.objects.filter(username="beishan_staff").first()
    if canteen is None or manager is None or staff is None:
        return {}
    for period, cutoff in CUTOFFS:
        if not PeriodCutoff.objects.filter(canteen=canteen, period=period).exists():
            cutoff_set(actor=manager, canteen_id=canteen.pk, period=period, cutoff=cutoff, delivers=True)
    if not CoverageArea.objects.filter(canteen=canteen).exists():
        communities = list(Region.objects.filter(parent=canteen.region, level=Level.COMMUNITY)
                           .values_list("pk", flat=True))
        coverage_set(actor=manager, canteen_id=canteen.pk, community_ids=communities)
    day, period = _when()
    if not MenuOffer.objects.filter(canteen=canteen, local_date=day, period=period).exists():
        dishes = list(canteen.dishes.filter(active=True).order_by("sort_order", "pk")[:3])
        menu_publish(actor=manager, canteen_id=canteen.pk, local_date=day, period=period,
                     offers=[(d.pk, 40) for d in dishes], delivers=True)
    offers = list(MenuOffer.objects.filter(canteen=canteen, local_date=day, period=period).order_by("pk"))
    elders = [e for e in Elder.objects.filter(community__parent=canteen.region, status=ElderStatus.ACTIVE,
                                              verification=Verification.VERIFIED).order_by("pk")[:12]
              if e.address][:4]
    if len(elders) >= 2:
        elder_set_diet(actor=staff, elder_id=elders[0].pk, notes=["low_salt", "soft"], allergies="花生")
        elder_set_diet(actor=staff, elder_id=elders[1].pk, notes=["low_sugar", "no_pork"])
    placed = []
    for i, elder in enumerate(elders):
        fulfilment = "pickup" if i == 3 else "delivery"
        common = dict(actor=manager, elder_id=elder.pk, canteen_id=canteen.pk, local_date=day, period=period,
                      lines=[(offers[i % len(offers)].pk, 1)], fulfilment=fulfilment, channel="canteen")
        key = f"demo-delivery-{day.isoformat()}-{period}-{elder.pk}"
        existing = Order.objects.filter(placer=f"user:{manager.pk}", idempotency_key=key).first()
        if existing is not None:
            placed.append(existing)
            continue
        try:
            quote = order_quote(**common)
            placed.append(order_place(**common, expected_payable_fen=quote.payable_fen, idempotency_key=key))
        except DomainError:
            continue  # e.g. the elder already has an order this period through another demo
    courier = Courier.objects.filter(canteen=canteen, name=COURIER_NAME).first() or delivery.courier_register(
        actor=manager, canteen_id=canteen.pk, name=COURIER_NAME, phone=COURIER_PHONE)
    route = Route.objects.filter(canteen=canteen, local_date=day, period=period, name="一号线").first() or \
        delivery.route_create(actor=manager, canteen_id=canteen.pk, local_date=day, period=period, name="一号线",
                              courier_id=courier.pk)
    for order in placed:
        if order.fulfilment == "delivery" and order.status == "placed" and not hasattr(order, "stop"):
            delivery.route_assign(actor=manager, route_id=route.pk, order_id=order.pk)
    return {"orders": len(placed), "day": day, "period": period, "courier_phone": COURIER_PHONE}
