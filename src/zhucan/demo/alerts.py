"""Demo anomalies (预警), made through the real checkout and services, then found by the real
detection so that /alerts/ has something true to show:

- an elder of 北山街道 who ate at 北山街道颐乐食堂 two days ago and whose death, five days ago, is
  registered only now (meals after the date of death);
- the same canteen's cashier voiding six walk-in sales yesterday (many voids at one till);
- an elder identified at 北山街道颐乐食堂 and, 15 minutes later, at a canteen about 9 km away.

Idempotent: the meals have fixed idempotency keys, the deceased elder is found again through her
meal, and the detection's dedupe keys make a second run raise nothing."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from zhucan.accounts.models import User
from zhucan.alerts.detection import detect
from zhucan.canteens.models import Canteen, Dish
from zhucan.checkout.models import Meal
from zhucan.checkout.services import OrderLine, meal_commit, meal_reverse
from zhucan.core import clock
from zhucan.core.errors import DomainError
from zhucan.elders.models import Elder, ElderStatus, Verification
from zhucan.elders.services import ElderData, elder_update

CANTEEN = "北山街道颐乐食堂"
FAR_CANTEEN_REGION = "330108001"  # 滨江区: about 9 km from 北山街道
SUBDISTRICT_CODE = "330106002"


def _at(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=clock.LOCAL_TZ)


def _sell(canteen, elder, dish, key: str, at: datetime, **kw):
    try:
        return meal_commit(canteen=canteen, elder=elder, lines=[OrderLine(dish_id=dish.pk, quantity=1)],
                           idempotency_key=key, request_digest=key, at=at,
                           identified_by="card" if elder else "none", **kw).meal
    except DomainError:
        return None


def _elder(nth: int) -> Elder | None:
    """An active, verified elder of 北山街道, counted from the last registered (the phone page's
    demo takes the first ones)."""
    return (Elder.objects.filter(community__path__contains=f"/{SUBDISTRICT_CODE}/", status=ElderStatus.ACTIVE,
                                 verification=Verification.VERIFIED)
            .exclude(tags__code="purchased_home_care").order_by("-pk")[nth:nth + 1].first())


def _deceased(canteen, dish, actor, today: date) -> None:
    key = "demo-alert-deceased"
    meal = Meal.objects.filter(canteen=canteen, idempotency_key=key).select_related("elder").first()
    if meal is None:
        elder = _elder(0)
        if elder is None:
            return
        meal = _sell(canteen, elder, dish, key, _at(today - timedelta(days=2), 11, 40))
        if meal is None:
            return
    elder = meal.elder
    if elder.status == ElderStatus.ACTIVE:
        elder_update(actor=actor, elder_id=elder.pk,
                     data=ElderData(name=elder.name, id_number="", community=elder.community,
                                    status=ElderStatus.DECEASED, status_since=today - timedelta(days=5)))


def _voids(canteen, dish, cashier, yesterday: date) -> None:
    for i in range(6):
        key = f"demo-alert-void-{i}"
        meal = _sell(canteen, None, dish, key, _at(yesterday, 11, 5 + i * 4), cashier=cashier)
        if meal is not None and not Meal.objects.filter(reverses=meal).exists():
            meal_reverse(canteen=canteen, receipt_no=meal.receipt_no, kind="void", idempotency_key=f"{key}-void",
                         request_digest=f"{key}-void", at=meal.at + timedelta(minutes=2), cashier=cashier,
                         reason="顾客取消")


def _far_apart(canteen, dish, elder: Elder | None, yesterday: date) -> None:
    far = Canteen.objects.filter(region__code=FAR_CANTEEN_REGION, latitude__isnull=False).first()
    if far is None or elder is None or canteen.latitude is None:
        return
    far_dish = Dish.objects.filter(canteen=far, active=True).order_by("pk").first()
    if far_dish is None:
        return
    _sell(canteen, elder, dish, "demo-alert-far-1", _at(yesterday, 11, 8))
    _sell(far, elder, far_dish, "demo-alert-far-2", _at(yesterday, 11, 23))


def seed_demo_alerts(actor: User) -> dict:
    """Returns {"raised": new alerts} (0 on a second run)."""
    canteen = Canteen.objects.filter(name=CANTEEN).first()
    dish = canteen and Dish.objects.filter(canteen=canteen, active=True).order_by("pk").first()
    if canteen is None or dish is None:
        return {"raised": 0}
    today = clock.local_today()
    yesterday = today - timedelta(days=1)
    cashier = User.objects.filter(username="beishan_cashier").first()
    # Chosen before anyone's status changes: the same elder on every run.
    far_elder = Meal.objects.filter(idempotency_key="demo-alert-far-1").values_list("elder", flat=True).first()
    far_elder = Elder.objects.filter(pk=far_elder).first() if far_elder else _elder(1)
    _deceased(canteen, dish, actor, today)
    _voids(canteen, dish, cashier, yesterday)
    _far_apart(canteen, dish, far_elder, yesterday)
    raised = sum(detect(day=today - timedelta(days=d)).raised for d in (2, 1))
    return {"raised": raised}
