"""Demo ratings and complaints (issue #18), through the real services.

A few elders of 北山街道 ate at 北山街道颐乐食堂 over the last days (real checkouts) and rated their
meals — recorded by the community's staff (beishan_staff) and on the phone page by the demo family
account; the phone demo's own meals (zhucan.elderphone.demo) are rated too, except the latest lunch,
which stays open for the visitor to rate at /h5/. Three complaints and suggestions about the canteen:
one closed with the complainant satisfied, one assigned and waiting for the canteen's answer (the
"complaint in progress"), one just received from the public page. Running it again adds nothing
(ratings are one per meal; complaints are recognised by their text)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from zhucan.accounts.models import User
from zhucan.canteens.models import Canteen, Dish
from zhucan.checkout.models import Meal, MealKind
from zhucan.checkout.services import OrderLine, meal_commit
from zhucan.core import clock
from zhucan.core.errors import DomainError
from zhucan.elderphone.models import Binding, PhoneAccount
from zhucan.elderphone.phones import phone_index
from zhucan.elders.models import Elder, ElderStatus, Verification
from zhucan.evaluation import services
from zhucan.evaluation.models import Complaint, Rating

CANTEEN_NAME = "北山街道颐乐食堂"
SUBDISTRICT_CODE = "330106002"
FAMILY_PHONE = "13900000002"
# (taste, portion, hygiene, service, phrases) — what the elders said, in turn
SCORES = [(5, 4, 5, 5, ["饭菜可口"]), (4, 4, 5, 4, []), (3, 4, 4, 5, ["偏咸"]), (5, 5, 5, 5, ["服务热情", "干净卫生"]),
          (4, 3, 5, 4, ["分量偏少"]), (4, 4, 4, 4, []), (5, 4, 4, 5, ["价格实惠"]), (2, 3, 4, 4, ["饭菜偏凉"])]
COMPLAINTS = [
    ("closed", "complaint", "午餐送到窗口时饭菜已经凉了，希望改进保温。", "13700001234", "王女士"),
    ("assigned", "complaint", "排队时间太长，能否为行动不便的老人开一个优先窗口？", "13700005678", ""),
    ("received", "suggestion", "希望早餐增加小米粥和蒸南瓜。", "0571-87001234", "李先生"),
]


def _elders(n: int) -> list[Elder]:
    return list(Elder.objects.filter(community__path__contains=f"/{SUBDISTRICT_CODE}/", status=ElderStatus.ACTIVE,
                                     verification=Verification.VERIFIED).order_by("pk")[2:2 + n])


def _meals(canteen: Canteen, elders: list[Elder]) -> list[Meal]:
    """One lunch each over the last days (fixed keys: a second run replays them)."""
    dish = Dish.objects.filter(canteen=canteen, active=True).order_by("pk").first()
    lunch = canteen.periods.filter(name="lunch").first()
    if dish is None or lunch is None:
        return []
    out = []
    for i, elder in enumerate(elders):
        day = clock.local_today() - timedelta(days=1 + i % 5)
        key = f"demo-rating-{elder.pk}-{day:%Y%m%d}"
        at = datetime.combine(day, time(lunch.start.hour, lunch.start.minute + 20), clock.LOCAL_TZ)
        try:
            out.append(meal_commit(canteen=canteen, elder=elder, lines=[OrderLine(dish_id=dish.pk, quantity=1)],
                                   idempotency_key=key, request_digest=key, identified_by="card", at=at).meal)
        except DomainError:
            continue
    return out


def _values(i: int) -> dict:
    t, p, h, s, phrases = SCORES[i % len(SCORES)]
    return {"taste": t, "portion": p, "hygiene": h, "service": s, "phrases": phrases}


def seed_demo_evaluation() -> dict:
    """Returns counts: {"ratings": created, "complaints": created}."""
    canteen = Canteen.objects.filter(name=CANTEEN_NAME).select_related("region").first()
    staff = User.objects.filter(username="beishan_staff").first()
    district = User.objects.filter(username="xihu_admin").first()
    manager = User.objects.filter(username="beishan_mgr").first()
    if canteen is None or staff is None or district is None or manager is None:
        return {"ratings": 0, "complaints": 0}
    ratings = 0
    for i, meal in enumerate(_meals(canteen, _elders(8))):
        if not Rating.objects.filter(meal=meal).exists():
            services.rating_record(actor=staff, elder_id=meal.elder_id, meal_id=meal.pk, values=_values(i))
            ratings += 1
    # The phone demo's meals: the family account rates all but the latest lunch of each elder.
    account = PhoneAccount.objects.filter(phone_index=phone_index(FAMILY_PHONE)).first()
    if account is not None:
        for binding in Binding.objects.filter(account=account, revoked_at__isnull=True).select_related("elder"):
            since = clock.local_today() - timedelta(days=services.RATING_WINDOW_DAYS)
            meals = list(Meal.objects.filter(elder=binding.elder, kind=MealKind.SALE, reversal__isnull=True,
                                             rating__isnull=True, local_date__gte=since).order_by("-at")[1:])
            for j, meal in enumerate(meals):
                services.rating_submit(account=account, elder=binding.elder, meal_id=meal.pk, values=_values(j + 3))
                ratings += 1
    complaints = 0
    for status, kind, text, phone, name in COMPLAINTS:
        if Complaint.objects.filter(canteen=canteen, text=text).exists():
            continue
        channel = "staff" if status != "received" else "public"
        c = services.complaint_submit(channel=channel, canteen=canteen, kind=kind, text=text, contact_phone=phone,
                                      contact_name=name, actor=staff if channel == "staff" else None)
        complaints += 1
        if status in ("assigned", "closed"):
            services.complaint_assign(actor=district, complaint_id=c.pk, note="请核实情况并按时答复")
        if status == "closed":
            services.complaint_answer(actor=manager, complaint_id=c.pk,
                                      answer="已为出餐窗口加装保温台，送餐前统一加盖保温。感谢您的监督。")
            services.complaint_close(actor=district, complaint_id=c.pk, satisfaction="satisfied", note="电话回访，满意")
    return {"ratings": ratings, "complaints": complaints}
