"""Demo ratings and complaints (issue #18), through the real services.

A few elders of 北山街道 ate at 北山街道颐乐食堂 over the last days (real checkouts) and rated their
meals — recorded by the community's staff (beishan_staff) and on the phone page by the demo family
account; the phone demo's own meals (zhucan.elderphone.demo) are rated too, except the latest lunch,
which stays open for the visitor to rate at /h5/. Three complaints and suggestions about the canteen:
one closed with the complainant satisfied, one assigned and waiting for the canteen's answer (the
"complaint in progress"), one just received from the public page. And Hangzhou's running "most
satisfying canteen" campaign (votes open since three days ago for two weeks): 西湖区 nominates two
canteens, the platform administrator one of another district; the demo phone accounts vote for their
elders, and a family account registered during the campaign votes for three elders within a minute —
those three votes are flagged for review. Running it again adds nothing (ratings are one per meal;
complaints are recognised by their text, the campaign by its title, votes by elder)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from zhucan.accounts.models import User
from zhucan.canteens.models import Canteen, Dish
from zhucan.checkout.models import Meal, MealKind
from zhucan.checkout.services import OrderLine, meal_commit
from zhucan.core import clock
from zhucan.core.errors import DomainError
from zhucan.elderphone.models import Binding, PhoneAccount
from zhucan.elderphone.phones import phone_index
from zhucan.elderphone.services import account_set_password, binding_create
from zhucan.elders.models import Elder, ElderStatus, Verification
from zhucan.evaluation import campaigns, services
from zhucan.evaluation.models import Campaign, Complaint, Nominee, Rating, Vote
from zhucan.regions.models import Region

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
    return {"ratings": ratings, "complaints": complaints, **_campaign(staff, district)}


CAMPAIGN_TITLE = "{year}年度杭州市最满意老年食堂评选"
NEWCOMER_PHONE = "13900000003"  # registered during the campaign: its votes are flagged


def _campaign(staff: User, district: User) -> dict:
    city = Region.objects.filter(code="330100").first()
    hz_city = User.objects.filter(username="hz_city").first()
    admin = User.objects.filter(is_superuser=True, username="admin").first()
    if city is None or hz_city is None or admin is None:
        return {"campaigns": 0, "votes": 0}
    today = clock.local_today()
    title = CAMPAIGN_TITLE.format(year=today.year)
    campaign = Campaign.objects.filter(city=city, title=title).first()
    made = 0
    if campaign is None:
        start = datetime.combine(today - timedelta(days=3), time.min, clock.LOCAL_TZ)
        campaign = campaigns.campaign_create(
            actor=hz_city, title=title, period_start=date(today.year, 1, 1), period_end=today,
            assessment_year=today.year - 1, vote_start=start, vote_end=start + timedelta(days=17),
            weight_ratings=40, weight_assessment=30, weight_votes=30)
        made = 1
    if not Nominee.objects.filter(campaign=campaign).exists():
        xihu = list(Canteen.objects.filter(region__path__startswith="330100/330106/", designation__stage="designated")
                    .order_by("name")[:3])
        others = list(Canteen.objects.filter(region__path__startswith="330100/", designation__stage="designated")
                      .exclude(region__path__startswith="330100/330106/").order_by("name")[:1])
        beishan = [c for c in xihu if c.name == CANTEEN_NAME] + [c for c in xihu if c.name != CANTEEN_NAME][:1]
        for canteen in beishan:
            campaigns.nominee_add(actor=district, campaign_id=campaign.pk, canteen_id=canteen.pk,
                                  reason="老年人评价好，服务规范")
        for canteen in others:
            campaigns.nominee_add(actor=admin, campaign_id=campaign.pk, canteen_id=canteen.pk, reason="区里推荐")
    nominees = list(Nominee.objects.filter(campaign=campaign).select_related("canteen").order_by("pk"))
    if not nominees:
        return {"campaigns": made, "votes": 0}
    votes = 0
    # The demo phone accounts vote for their elders (counted).
    for i, binding in enumerate(Binding.objects.filter(account__phone_index__in=[
            phone_index("13900000001"), phone_index(FAMILY_PHONE)], revoked_at__isnull=True)
            .select_related("account", "elder__community").order_by("pk")):
        if Vote.objects.filter(campaign=campaign, elder=binding.elder).exists():
            continue
        campaigns.vote_cast(account=binding.account, elder=binding.elder, campaign_id=campaign.pk,
                            nominee_id=nominees[i % len(nominees)].pk)
        votes += 1
    # A family account registered now, bound to three elders, votes for all three at once: flagged.
    if PhoneAccount.objects.filter(phone_index=phone_index(NEWCOMER_PHONE)).exists():
        return {"campaigns": made, "votes": votes}
    bound = set(Binding.objects.values_list("elder_id", flat=True))
    elders = [e for e in _elders(20)[10:] if e.pk not in bound][:3]
    if len(elders) == 3 and not Vote.objects.filter(campaign=campaign, elder__in=elders).exists():
        account = None
        for elder in elders:
            account = binding_create(actor=staff, elder_id=elder.pk, phone=NEWCOMER_PHONE, relation="child",
                                     display_name="周晓明", notify=False).binding.account
        account_set_password(account=account, password="Zhucan-demo-2025")
        for elder in elders:
            campaigns.vote_cast(account=account, elder=elder, campaign_id=campaign.pk, nominee_id=nominees[-1].pk)
            votes += 1
    return {"campaigns": made, "votes": votes}
