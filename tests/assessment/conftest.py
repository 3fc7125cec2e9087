"""Assessment fixtures: a small indicator table of 西湖区 for 2025 (one item of each kind of source)
and real meals through the checkout service."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.funds.conftest import add_meals, lc, lc_elder  # noqa: F401 - fixtures for the LC-5 tests

SHANGHAI = ZoneInfo("Asia/Shanghai")
YEAR = 2025

ITEMS = [
    {"dimension": "运营成效", "title": "年度就餐人次", "weight": 40, "max_score": 40, "source": "meals",
     "params": {"urban": 4}, "guidance": "年度人次 ÷ 目标人次 × 满分"},
    {"dimension": "服务质量", "title": "双随机检查结果", "weight": 20, "max_score": 20, "source": "inspections",
     "params": {"per_failed": 3, "per_overdue": 5}, "guidance": "每个不合格项扣 3 分"},
    {"dimension": "满意度", "title": "老年人满意度", "weight": 20, "max_score": 10, "source": "satisfaction",
     "guidance": "暂无评价时以抽样调查打分"},
    {"dimension": "人员配备", "title": "持证上岗", "weight": 20, "max_score": 20, "source": "manual",
     "guidance": "每缺一人扣 2 分"},
]


def local(y, m, d, h=10, mi=0):
    return datetime(y, m, d, h, mi, tzinfo=SHANGHAI)


def commit_meals(world, menu, n: int, day=(2025, 6, 20)):
    """`n` real lunches of world.elder at 北山长者食堂 through the checkout service."""
    from zhucan.checkout import services as C

    meals = []
    for i in range(n):
        key = f"assess-{day}-{i}"
        meals.append(C.meal_commit(canteen=world.canteen, elder=world.elder,
                                   lines=[C.OrderLine(dish_id=menu["套餐"].pk, quantity=1)], idempotency_key=key,
                                   request_digest=key, at=local(*day, 11, 30 + i)).meal)
    return meals


@pytest.fixture
def table(world):
    from zhucan.assessment import services

    return services.table_create(actor=world.users["district_admin"], region_id=world.xihu.pk, year=YEAR,
                                 title="西湖区2025年度评估", items=ITEMS)


def score_manual(world, a, **scores):
    """Score the manual items by title: score_manual(w, a, 持证上岗=18)."""
    from zhucan.assessment import services
    from zhucan.assessment.models import Indicator

    for title, value in scores.items():
        ind = Indicator.objects.get(table=a.table, title=title)
        services.score_record(actor=world.users["district_admin"], assessment_id=a.pk, indicator_id=ind.pk,
                              score=value, note="现场查验")
