"""Demo data for the funds capability in Liaocheng, seeded idempotently through the services.

Call after the regions, canteens and users of the demo exist (zhucan.demo.seed.seed_all), after
any demo meals and after the published assessments (zhucan.demo.assessment), which the rewards
read as the year's evaluations: `seed_demo_funds()`. Running it twice changes nothing."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from zhucan.accounts.models import User
from zhucan.canteens.models import Canteen
from zhucan.core import clock
from zhucan.funds import services
from zhucan.funds.models import ConstructionSubsidy, ConstructionTarget, OperatingReward
from zhucan.regions.models import Region

ZONE_CODE = "371571"  # 聊城经济技术开发区
TARGET_TITLE = "2022年年底前全区建成幸福食堂7处"
TARGET_REF = "LC 二、工作任务：2022年年底前，全区建成幸福食堂7处"
REWARD_YEAR = 2023
# Canteen → the state its construction subsidy is left in.
SUBSIDIES = [
    ("蒋官屯街道幸福食堂", "paid"),
    ("北城街道幸福食堂", "city_approved"),
    ("物流产业园区幸福食堂", "applied"),
]


def _user(username: str) -> User:
    user = User.objects.filter(username=username).first()
    return user or User.objects.filter(is_superuser=True).order_by("pk").first()


def seed_demo_funds() -> dict:
    zone = Region.objects.filter(code=ZONE_CODE).first()
    if zone is None:
        return {"targets": 0, "subsidies": 0, "rewards": 0}
    city, district = _user("lc_city"), _user("kfq_admin")
    out = {"targets": 0, "subsidies": 0, "rewards": 0}
    with transaction.atomic():
        if not ConstructionTarget.objects.filter(region=zone, title=TARGET_TITLE).exists():
            services.target_create(actor=city, region_id=zone.pk, title=TARGET_TITLE, target_count=7,
                                   deadline=date(2022, 12, 31), legal_ref=TARGET_REF)
            out["targets"] = 1
        for name, state in SUBSIDIES:
            canteen = Canteen.objects.filter(name=name, region__path__startswith=zone.path).first()
            if canteen is None or ConstructionSubsidy.objects.filter(canteen=canteen).exists():
                continue
            s = services.subsidy_apply(
                actor=district, canteen_id=canteen.pk,
                evidence_note=f"{name}已建成并通过竣工验收，申请一次性建设补贴。",
                documents=[services.Document("竣工验收备案表", f"KFQ-JS-2022-{canteen.pk:03d}"),
                           services.Document("食品经营许可证", canteen.food_licence or "已办理")])
            if state in ("city_approved", "paid"):
                services.subsidy_review(actor=district, subsidy_id=s.pk, approve=True, reason="材料齐全，同意上报")
                services.subsidy_approve(actor=city, subsidy_id=s.pk, approve=True, reason="同意")
            if state == "paid":
                services.subsidy_mark_paid(actor=city, subsidy_id=s.pk, reference=f"LCCZ-2023-{canteen.pk:04d}")
            out["subsidies"] += 1
        if clock.local_today().year > REWARD_YEAR and not OperatingReward.objects.filter(
                year=REWARD_YEAR, canteen__region__path__startswith=zone.path).exists():
            run = services.rewards_compute(actor=city, year=REWARD_YEAR, district=zone)
            out["rewards"] = len(run.rewards)
    return out
