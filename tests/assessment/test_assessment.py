"""The yearly assessment (LC-6): the table as data, automatic items from the ledger, scoring,
grades, the contest, publishing into the funds evaluation, and the LC-5 reward following it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.assessment.conftest import ITEMS, YEAR, commit_meals, local, score_manual
from zhucan.assessment import selectors, services
from zhucan.assessment.models import Assessment, Indicator, IndicatorTable, Score
from zhucan.core.errors import DomainError, NotFound, PermissionDenied
from zhucan.core.models import AuditLog


def refused(code, call, **kw):
    before = (AuditLog.objects.count(), IndicatorTable.objects.count(), list(Score.objects.values()),
              list(Assessment.objects.values()))
    with pytest.raises(DomainError) as info:
        call(**kw)
    assert info.value.code == code, info.value
    assert (AuditLog.objects.count(), IndicatorTable.objects.count(), list(Score.objects.values()),
            list(Assessment.objects.values())) == before
    return info.value


def test_weights_must_add_up_to_100(world):
    district = world.users["district_admin"]
    items = [dict(i) for i in ITEMS]
    items[0]["weight"] = 39
    err = refused("ASSESS_WEIGHTS_SUM", services.table_create, actor=district, region_id=world.xihu.pk, year=YEAR,
                  title="t", items=items)
    assert "99" in err.message_zh and "100" in err.message_zh
    refused("ASSESS_BAD_THRESHOLDS", services.table_create, actor=district, region_id=world.xihu.pk, year=YEAR,
            title="t", items=ITEMS, good_min=95)
    table = services.table_create_standard(actor=district, region_id=world.xihu.pk, year=YEAR)
    assert sum(i.weight for i in table.indicators.all()) == 100
    assert {i.dimension for i in table.indicators.all()} == {"项目建设", "人员配备", "运营成效", "服务质量", "满意度"}
    first = table.indicators.first()
    with pytest.raises(DomainError) as info:
        services.table_set_weights(actor=district, table_id=table.pk, weights={first.pk: ("9", "9")})
    assert info.value.code == "ASSESS_WEIGHTS_SUM"
    first.refresh_from_db()
    assert first.weight == 5
    # Only the district sets tables; the city and a canteen cannot.
    for role in ("city_admin", "canteen_manager", "subdistrict_staff"):
        with pytest.raises(PermissionDenied):
            services.table_create_standard(actor=world.users[role], region_id=world.xihu.pk, year=2024)


def test_automatic_items_from_the_ledger_and_manual_scores(world, menu, table, frozen_clock):
    frozen_clock(local(2026, 1, 10))
    commit_meals(world, menu, 3)
    district = world.users["district_admin"]
    a = services.assessment_open(actor=district, table_id=table.pk, canteen_id=world.canteen.pk)
    scores = {s.indicator.title: s for s in a.scores.select_related("indicator")}
    meals = scores["年度就餐人次"]
    assert (meals.automatic, meals.score) == (True, Decimal("30.0"))  # 3 of 4 人次 × 40
    assert meals.basis == "年度就餐 3 人次（目标 4 人次）"
    assert (scores["双随机检查结果"].automatic, scores["双随机检查结果"].score) == (True, Decimal(20))
    # No ratings source yet: the item says so and the assessor scores it by the guidance.
    assert (scores["老年人满意度"].automatic, scores["老年人满意度"].score, scores["老年人满意度"].basis) == (
        False, None, "暂无数据")

    # A meal committed later is picked up by a refresh.
    commit_meals(world, menu, 1, day=(2025, 7, 1))
    services.assessment_refresh(actor=district, assessment_id=a.pk)
    assert Score.objects.get(assessment=a, indicator__title="年度就餐人次").score == Decimal(40)

    ind = {i.title: i for i in Indicator.objects.filter(table=table)}
    refused("ASSESS_SCORE_RANGE", services.score_record, actor=district, assessment_id=a.pk,
            indicator_id=ind["老年人满意度"].pk, score="10.5", note="抽样")
    refused("ASSESS_SCORE_RANGE", services.score_record, actor=district, assessment_id=a.pk,
            indicator_id=ind["持证上岗"].pk, score="-1", note="x")
    refused("ASSESS_SCORE_RANGE", services.score_record, actor=district, assessment_id=a.pk,
            indicator_id=ind["持证上岗"].pk, score="十八", note="x")
    refused("ASSESS_SCORE_BASIS", services.score_record, actor=district, assessment_id=a.pk,
            indicator_id=ind["持证上岗"].pk, score="18", note="")
    refused("ASSESS_AUTOMATIC", services.score_record, actor=district, assessment_id=a.pk,
            indicator_id=ind["年度就餐人次"].pk, score="1", note="改分")
    refused("ASSESS_INCOMPLETE", services.assessment_confirm, actor=district, assessment_id=a.pk)

    from tests.filing.lifecycle_helpers import png_bytes

    s = services.score_record(actor=district, assessment_id=a.pk, indicator_id=ind["持证上岗"].pk, score="18",
                              evidence=(png_bytes(), "健康证查验.png"))
    assert s.evidence.file_name == "健康证查验.png" and s.evidence.content_type == "image/png"
    score_manual(world, a, 老年人满意度="8")
    a = services.assessment_confirm(actor=district, assessment_id=a.pk)
    # 40 + 20 + 8/10×20 + 18 = 94 → 优秀 (thresholds from the table)
    assert (a.total, a.grade, a.contest_until) == (Decimal("94.0"), "excellent", date(2026, 1, 17))
    assert selectors.published_result(world.canteen.pk, YEAR) is None


def _confirmed(world, menu, table, frozen_clock):
    frozen_clock(local(2026, 1, 10))
    commit_meals(world, menu, 2)  # 20 of 40
    a = services.assessment_open(actor=world.users["district_admin"], table_id=table.pk, canteen_id=world.canteen.pk)
    score_manual(world, a, 老年人满意度="8", 持证上岗="20")
    return services.assessment_confirm(actor=world.users["district_admin"], assessment_id=a.pk)


def test_contest_once_before_the_deadline_then_publish(world, menu, table, frozen_clock):
    from zhucan.funds.models import CanteenEvaluation

    a = _confirmed(world, menu, table, frozen_clock)
    assert (a.total, a.grade) == (Decimal("76.0"), "pass")  # 20 + 20 + 16 + 20
    manager, district = world.users["canteen_manager"], world.users["district_admin"]
    ind = Indicator.objects.get(table=table, title="持证上岗")
    # Another canteen's manager cannot see it; the district cannot contest.
    with pytest.raises(NotFound):
        services.contest_file(actor=world.other["canteen_manager"], assessment_id=a.pk, indicator_id=ind.pk,
                              reason="x")
    with pytest.raises(PermissionDenied):
        services.contest_file(actor=district, assessment_id=a.pk, indicator_id=ind.pk, reason="x")
    frozen_clock(local(2026, 1, 18, 0, 1))
    refused("ASSESS_CONTEST_LATE", services.contest_file, actor=manager, assessment_id=a.pk, indicator_id=ind.pk,
            reason="晚了")
    frozen_clock(local(2026, 1, 17, 23, 50))
    refused("ASSESS_REASON_REQUIRED", services.contest_file, actor=manager, assessment_id=a.pk,
            indicator_id=ind.pk, reason=" ")
    meals_item = Indicator.objects.get(table=table, title="年度就餐人次")
    services.contest_file(actor=manager, assessment_id=a.pk, indicator_id=meals_item.pk, reason="有送餐未计入")
    err = refused("ASSESS_CONTEST_ONCE", services.contest_file, actor=manager, assessment_id=a.pk,
                  indicator_id=ind.pk, reason="再提一次")
    assert "2026-01-17" in err.message_zh
    refused("ASSESS_CONTEST_PENDING", services.assessment_publish, actor=district, assessment_id=a.pk)
    services.contest_resolve(actor=district, assessment_id=a.pk, uphold=True, new_score="36",
                             answer="核实送餐台账，补计")
    a.refresh_from_db()
    assert (a.total, a.grade) == (Decimal("92.0"), "excellent")
    with pytest.raises(PermissionDenied):
        services.assessment_publish(actor=world.users["city_admin"], assessment_id=a.pk)
    with pytest.raises(NotFound):
        services.assessment_publish(actor=world.other["district_admin"], assessment_id=a.pk)
    services.assessment_publish(actor=district, assessment_id=a.pk)
    evaluation = CanteenEvaluation.objects.get(canteen=world.canteen, year=YEAR)
    assert (evaluation.passed, evaluation.grade, evaluation.score, evaluation.source) == (
        True, "excellent", Decimal("92.0"), f"assessment:{a.pk}")
    assert selectors.published_result(world.canteen.pk, YEAR) == (Decimal("92.0"), "excellent")


def test_the_operating_reward_follows_the_published_assessment(lc, lc_elder):
    """LC-5: 运营满一年、评估合格且年度就餐达档 — the reward reads the published grade (合格 and above
    pass, 不合格 fails), computed by the funds reward service as it stands."""
    from tests.assessment.conftest import add_meals
    from zhucan.funds import services as funds
    from zhucan.funds.models import IneligibleReason, OperatingReward

    district = lc.lc_users["district_admin"]
    items = [{"dimension": "服务质量", "title": "综合", "weight": 100, "max_score": 100, "source": "manual",
              "guidance": "综合评定"}]
    table = services.table_create(actor=district, region_id=lc.lc_zone.pk, year=2023, title="开发区2023", items=items)
    # Rural thresholds are lower (3500 人次); the branded canteen is made rural to keep the ledger small.
    lc.branded.area = "rural"
    lc.branded.save(update_fields=["area"])
    add_meals(lc.branded, lc_elder, 3_500, date(2023, 5, 1))
    for canteen, value in ((lc.branded, "85"), (lc.upgrade, "55"), (lc.new_build, "60")):
        a = services.assessment_open(actor=district, table_id=table.pk, canteen_id=canteen.pk)
        services.score_record(actor=district, assessment_id=a.pk, indicator_id=table.indicators.get().pk,
                              score=value, note="综合评定")
        services.assessment_confirm(actor=district, assessment_id=a.pk)
        services.assessment_publish(actor=district, assessment_id=a.pk)
    funds.rewards_compute(actor=lc.lc_users["city_admin"], year=2023, district=lc.lc_zone)
    rewards = {r.canteen_id: r for r in OperatingReward.objects.filter(year=2023)}
    good, failed, bare = rewards[lc.branded.pk], rewards[lc.upgrade.pk], rewards[lc.new_build.pk]
    assert (good.status, good.evaluation_passed, good.city_fen, good.district_fen) == ("proposed", True,
                                                                                       1_000_000, 1_000_000)
    assert (failed.status, failed.evaluation_passed) == ("ineligible", False)
    assert IneligibleReason.EVALUATION.value in failed.reasons
    assert bare.evaluation_passed is True and IneligibleReason.EVALUATION.value not in bare.reasons  # 60 = 合格
    # An approved reward locks the year's result: a contest upheld later cannot re-publish it.
    funds.reward_approve(actor=lc.lc_users["city_admin"], reward_id=good.pk)
    a = Assessment.objects.get(canteen=lc.branded)
    manager = lc.lc_users["canteen_manager"]
    manager.canteen = lc.branded
    manager.save(update_fields=["canteen"])
    services.contest_file(actor=manager, assessment_id=a.pk, indicator_id=table.indicators.get().pk,
                          reason="应为优秀")
    with pytest.raises(DomainError) as info:
        services.contest_resolve(actor=district, assessment_id=a.pk, uphold=True, new_score="95", answer="改")
    assert info.value.code == "FUNDS_EVALUATION_LOCKED"
    a.refresh_from_db()
    assert a.total == Decimal("85.0")


def test_scoping_of_reads(world, menu, table, frozen_clock):
    a = _confirmed(world, menu, table, frozen_clock)
    users, other = world.users, world.other
    for role in ("city_admin", "district_admin", "subdistrict_staff", "auditor", "canteen_manager"):
        assert list(selectors.assessment_list(user=users[role])) == [a], role
        assert not selectors.assessment_list(user=other[role]).exists(), role
    assert not selectors.assessment_list(user=users["cashier"]).exists()
    assert list(selectors.table_list(user=users["canteen_manager"])) == []
    with pytest.raises(NotFound):
        selectors.assessment_get(user=other["district_admin"], assessment_id=a.pk)
    with pytest.raises(NotFound):
        services.assessment_open(actor=other["district_admin"], table_id=table.pk, canteen_id=world.canteen.pk)
    # A canteen of another district cannot be put on this district's table.
    with pytest.raises(NotFound):
        services.assessment_open(actor=users["district_admin"], table_id=table.pk,
                                 canteen_id=world.other_canteen.pk)
