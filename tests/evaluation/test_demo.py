"""The demo's ratings and complaints: through the services, idempotent, a complaint in progress."""

from __future__ import annotations

from datetime import date

from tests.conftest import _system_user, make_canteen, make_elder
from tests.evaluation.conftest import listed
from zhucan.accounts.models import User
from zhucan.canteens.models import Dish
from zhucan.demo.evaluation import seed_demo_evaluation
from zhucan.elderphone.demo import seed_demo_phone_accounts
from zhucan.elders.models import Elder
from zhucan.evaluation.models import Campaign, Complaint, Rating, Vote


def test_demo_ratings_and_complaints(world):
    canteen = make_canteen(world.xihu_sub2, "北山街道颐乐食堂")  # code 330106002, as in the demo
    for name, price in (("老年套餐（两荤一素）", 1500), ("番茄炒蛋", 600), ("米饭", 100), ("红烧肉", 1200),
                        ("清炒时蔬", 400)):
        Dish.objects.create(canteen=canteen, name=name, price_fen=price)
    elders = [make_elder(world.xihu_c2, birth=date(1938, 4, i + 1), name=f"陈{i}") for i in range(15)]
    Elder.objects.filter(pk__in=[e.pk for e in elders]).update(verification="verified")
    # the demo's accounts by name: its 北山街道 is the world's 330106002 (西溪街道 here)
    User.objects.filter(username="beishan_staff").update(region=world.xihu_sub2)
    User.objects.filter(username="beishan_mgr").update(canteen=canteen)
    seed_demo_phone_accounts(actor=_system_user())
    User.objects.create(username="admin", is_superuser=True, is_staff=True)
    listed(canteen)
    listed(world.other_canteen)

    counts = seed_demo_evaluation()
    # 8 elders' lunches rated by staff; the family rates the phone demo's meals in the window but the latest;
    # the phone accounts vote for their two elders, a newcomer for three more (flagged)
    assert counts == {"ratings": 8 + 2, "complaints": 3, "campaigns": 1, "votes": 2 + 3}
    assert seed_demo_evaluation() == {"ratings": 0, "complaints": 0, "campaigns": 0, "votes": 0}
    assert Rating.objects.filter(source="staff").count() == 8
    assert set(Complaint.objects.values_list("status", flat=True)) == {"closed", "assigned", "received"}
    campaign = Campaign.objects.get()
    assert sorted(campaign.nominees.values_list("canteen__name", flat=True)) == ["北山街道颐乐食堂", "湖滨长者食堂"]
    assert [v.flags for v in Vote.objects.order_by("pk")] == [[], [], ["new_account", "burst"],
                                                              ["new_account", "burst"], ["new_account", "burst"]]
