"""Demo phone accounts (长者手机页), seeded idempotently through the services.

Call after the demo's regions, canteens, users and elders exist (zhucan.demo.seed.seed_all):
`seed_demo_phone_accounts()`. Two accounts, both with the demo password:
- 13900000001, an elder's own phone (本人), bound to one elder of 北山街道;
- 13900000002, a family member (子女) bound to that elder and to a second one.
Both elders get a few meals in the last days at 北山街道颐乐食堂 through the real checkout (one of
them refunded), so the phone page has recent meals to show. Running it again changes nothing
(fixed idempotency keys; bindings that exist are kept).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from zhucan.accounts.models import User
from zhucan.canteens.models import Canteen, Dish
from zhucan.checkout.services import OrderLine, meal_commit, meal_reverse
from zhucan.core import clock
from zhucan.core.errors import DomainError
from zhucan.elderphone import services
from zhucan.elderphone.models import Binding, PhoneAccount, Relation
from zhucan.elderphone.phones import phone_index
from zhucan.elders.models import Elder, ElderStatus, Verification

SUBDISTRICT_CODE = "330106002"  # 北山街道 (西湖区), where beishan_staff works
CANTEEN_NAME = "北山街道颐乐食堂"
SELF_PHONE = "13900000001"
FAMILY_PHONE = "13900000002"
DEMO_PASSWORD = "Zhucan-demo-2025"  # the password of every demo account (zhucan.demo.seed)
# (days ago, period, dishes): what the two elders ate lately; the third meal is refunded.
MEALS = [(1, "lunch", ("老年套餐（两荤一素）",)), (2, "dinner", ("番茄炒蛋", "米饭")),
         (4, "lunch", ("红烧肉", "清炒时蔬", "米饭")), (8, "lunch", ("老年套餐（两荤一素）",))]


def _elders() -> list[Elder]:
    """Two verified, active elders aged 80+ of 北山街道, the same ones on every run."""
    latest_birth = clock.local_today().replace(year=clock.local_today().year - 80, day=1)
    return list(Elder.objects.filter(community__path__contains=f"/{SUBDISTRICT_CODE}/", status=ElderStatus.ACTIVE,
                                     verification=Verification.VERIFIED, birth_date__lt=latest_birth)
                .exclude(tags__code="purchased_home_care").select_related("community").order_by("pk")[:2])


def _bind(actor, elder: Elder, phone: str, relation: str, name: str) -> bool:
    if Binding.objects.filter(account__phone_index=phone_index(phone), elder=elder, revoked_at__isnull=True).exists():
        return False
    services.binding_create(actor=actor, elder_id=elder.pk, phone=phone, relation=relation, display_name=name,
                            notify=False)
    return True


def _at(day: date, start: time, end: time) -> datetime:
    minutes = (start.hour * 60 + start.minute + end.hour * 60 + end.minute) // 2
    return datetime(day.year, day.month, day.day, minutes // 60, minutes % 60, tzinfo=clock.LOCAL_TZ)


def _meals(elders: list[Elder]) -> int:
    canteen = Canteen.objects.filter(name=CANTEEN_NAME).first()
    if canteen is None:
        return 0
    dishes = {d.name: d for d in Dish.objects.filter(canteen=canteen, active=True)}
    periods = {p.name: (p.start, p.end) for p in canteen.periods.all()}
    today = clock.local_today()
    made = 0
    for e, elder in enumerate(elders):
        for i, (days_ago, period, names) in enumerate(MEALS):
            if period not in periods or not all(n in dishes for n in names):
                continue
            day = today - timedelta(days=days_ago + e)
            key = f"demo-h5-{elder.pk}-{day:%Y%m%d}-{period}"
            try:
                result = meal_commit(canteen=canteen, elder=elder, idempotency_key=key, request_digest=key,
                                     lines=[OrderLine(dish_id=dishes[n].pk, quantity=1) for n in names],
                                     identified_by="qr", at=_at(day, *periods[period]))
            except DomainError:
                continue
            if result.replayed:
                continue
            made += 1
            if i == 2:
                meal_reverse(canteen=canteen, receipt_no=result.meal.receipt_no, kind="refund",
                             idempotency_key=f"{key}-refund", request_digest=f"{key}-refund",
                             at=result.meal.at + timedelta(minutes=20), reason="菜品不合口味，退款")
    return made


def seed_demo_phone_accounts(*, actor=None) -> dict:
    """Returns counts: {"bindings": created, "meals": committed}."""
    elders = _elders()
    actor = actor or User.objects.filter(username="beishan_staff").first() or User.objects.filter(
        is_superuser=True).order_by("pk").first()
    if len(elders) < 2 or actor is None:
        return {"bindings": 0, "meals": 0}
    first, second = elders
    child = f"{first.name[0]}晓东"
    bindings = sum([
        _bind(actor, first, SELF_PHONE, Relation.SELF, first.name),
        _bind(actor, first, FAMILY_PHONE, Relation.CHILD, child),
        _bind(actor, second, FAMILY_PHONE, Relation.CHILD, child),
    ])
    demo_numbers = [phone_index(SELF_PHONE), phone_index(FAMILY_PHONE)]
    for account in PhoneAccount.objects.filter(phone_index__in=demo_numbers, password=""):
        services.account_set_password(account=account, password=DEMO_PASSWORD)
    return {"bindings": bindings, "meals": _meals(elders)}
