"""Random inspections (双随机、一公开): the draw reproducible from its seed and fair, recording only by
a drawn inspector, rectification and follow-up, suspension on a serious failure, the public list."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import make_canteen, make_user
from zhucan.core.errors import DomainError, NotFound, PermissionDenied
from zhucan.core.models import AuditLog
from zhucan.inspections import draw as drawing
from zhucan.inspections import selectors, services
from zhucan.inspections.models import CheckItem, Inspection, ItemResult, Plan

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_the_draw_is_reproducible_from_its_seed():
    kw = {"canteen_ids": [5, 3, 9, 1, 7, 2], "inspector_ids": [40, 10, 30, 20], "proportion": 50,
          "per_inspection": 2}
    first = drawing.draw(seed=20260107, **kw)
    assert len(first) == 3 and all(len(users) == 2 for _, users in first)
    # Same seed, lists in another order: the same draw; another seed: (here) another draw.
    assert drawing.draw(seed=20260107, **{**kw, "canteen_ids": [1, 2, 3, 5, 7, 9]}) == first
    assert drawing.draw(seed=20260108, **kw) != first
    # The published program gives the same answer as the platform.
    out: list[str] = []
    code = drawing.snippet(seed=20260107, canteen_ids=kw["canteen_ids"], inspector_ids=kw["inspector_ids"],
                           proportion=50, per_inspection=2)
    exec(code, {"print": lambda *a: out.append(" ".join(str(x) for x in a))})
    assert out == [f"{c} {users}" for c, users in first]


def test_the_draw_is_fair_over_many_seeds():
    """Chi-square of how often each of 10 canteens and 6 inspectors is drawn over 3000 fixed seeds,
    against the uniform expectation (critical values at p = 0.001: df 9 → 27.88, df 5 → 20.52)."""
    canteens, inspectors = list(range(101, 111)), list(range(1, 7))
    c_counts = dict.fromkeys(canteens, 0)
    i_counts = dict.fromkeys(inspectors, 0)
    runs = 3000
    for seed in range(runs):
        for canteen, users in drawing.draw(canteen_ids=canteens, inspector_ids=inspectors, proportion=30,
                                           per_inspection=2, seed=seed):
            c_counts[canteen] += 1
            for u in users:
                i_counts[u] += 1
    expected_c = runs * 3 / 10
    expected_i = runs * 3 * 2 / 6
    chi_c = sum((n - expected_c) ** 2 / expected_c for n in c_counts.values())
    chi_i = sum((n - expected_i) ** 2 / expected_i for n in i_counts.values())
    assert chi_c < 27.88 and chi_i < 20.52, (chi_c, chi_i)
    assert sum(c_counts.values()) == runs * 3


@pytest.fixture
def plan_world(world):
    """西湖区 with three open canteens, three staff on the roster and the standard check items."""
    w = world
    w.third = make_canteen(w.xihu_sub2, "西溪长者食堂")
    w.fourth = make_canteen(w.xihu_sub2, "文新长者食堂")
    district = w.users["district_admin"]
    w.staff2 = make_user("xixi_staff", "subdistrict_staff", region=w.xihu_sub2)
    for user in (district, w.users["subdistrict_staff"], w.staff2):
        services.inspector_add(actor=district, region_id=w.xihu.pk, user_id=user.pk)
    assert services.checklist_standard(actor=district, region_id=w.xihu.pk) == 12
    assert services.checklist_standard(actor=district, region_id=w.xihu.pk) == 0
    w.plan = services.plan_create(actor=district, region_id=w.xihu.pk, title="2025年第一次双随机检查",
                                  categories=["food_hygiene"], proportion=100, inspectors_per_inspection=2)
    return w


def _all(inspection, result="pass", **fails):
    items = CheckItem.objects.filter(region=inspection.plan.region, category__in=inspection.plan.categories)
    return {i.pk: ("fail" if i.title in fails else result, fails.get(i.title, "")) for i in items}


def test_plan_draw_records_seed_pool_and_method(plan_world):
    w = plan_world
    plan = services.plan_draw(actor=w.users["district_admin"], plan_id=w.plan.pk, seed=7)
    assert plan.seed == 7 and "random.Random" in plan.method
    again = drawing.draw(canteen_ids=plan.pool["canteens"], inspector_ids=plan.pool["inspectors"], proportion=100,
                         per_inspection=2, seed=7)
    drawn = sorted((i.canteen_id, sorted(i.inspectors.values_list("pk", flat=True)))
                   for i in plan.inspections.all())
    assert drawn == again and len(drawn) == 3  # every open canteen of 西湖区, none of 上城区
    log = AuditLog.objects.get(action="inspections.draw")
    assert log.after["seed"] == 7
    with pytest.raises(DomainError) as info:
        services.plan_draw(actor=w.users["district_admin"], plan_id=w.plan.pk)
    assert info.value.code == "INSPECT_WRONG_STATUS"
    with pytest.raises(NotFound):
        services.plan_draw(actor=w.other["district_admin"], plan_id=w.plan.pk)
    with pytest.raises(PermissionDenied):
        services.plan_draw(actor=w.users["subdistrict_staff"], plan_id=w.plan.pk)


def test_only_a_drawn_inspector_records_and_a_serious_failure_suspends(plan_world, frozen_clock):
    from tests.filing.lifecycle_helpers import to_designated
    from zhucan.filing.models import Designation, Stage

    w = plan_world
    district = w.users["district_admin"]
    frozen_clock(datetime(2025, 9, 1, 10, tzinfo=SHANGHAI))
    w.canteen.designated_spans.all().delete()
    to_designated(district, w.users["canteen_manager"], w.canteen)
    # A seed (the first from 0) that leaves the district administrator out of 北山's pair: they see
    # the inspection, but may not record it.
    canteens, inspectors = services.draw_pool(w.plan)
    seed = next(s for s in range(100) if district.pk not in dict(drawing.draw(
        canteen_ids=canteens, inspector_ids=inspectors, proportion=100, per_inspection=2, seed=s))[w.canteen.pk])
    services.plan_draw(actor=district, plan_id=w.plan.pk, seed=seed)
    inspection = Inspection.objects.get(plan=w.plan, canteen=w.canteen)
    drawn = set(inspection.inspectors.all())
    assert district not in drawn
    before = (AuditLog.objects.count(), ItemResult.objects.count())
    with pytest.raises(DomainError) as info:
        services.inspection_record(actor=district, inspection_id=inspection.pk, visited_on=date(2025, 9, 1),
                                   results=_all(inspection))
    assert (info.value.code, info.value.message_zh) == (
        "INSPECT_NOT_DRAWN", "您不是本次抽中的检查人员，不能录入检查结果")
    with pytest.raises(NotFound):  # another district's staff do not even see it
        services.inspection_record(actor=w.other["district_admin"], inspection_id=inspection.pk,
                                   visited_on=date(2025, 9, 1), results=_all(inspection))
    assert (AuditLog.objects.count(), ItemResult.objects.count()) == before
    inspector = sorted(drawn, key=lambda u: u.pk)[0]
    with pytest.raises(DomainError) as info:
        services.inspection_record(actor=inspector, inspection_id=inspection.pk, visited_on=date(2025, 9, 1),
                                   results=_all(inspection, 留样="未留样"))
    assert info.value.code == "INSPECT_DEADLINE_REQUIRED"
    partial = dict(list(_all(inspection).items())[:3])
    with pytest.raises(DomainError) as info:
        services.inspection_record(actor=inspector, inspection_id=inspection.pk, visited_on=date(2025, 9, 1),
                                   results=partial)
    assert info.value.code == "INSPECT_RESULTS_MISSING"
    assert ItemResult.objects.count() == before[1]
    from tests.filing.lifecycle_helpers import png_bytes

    inspection = services.inspection_record(
        actor=inspector, inspection_id=inspection.pk, visited_on=date(2025, 9, 1),
        results=_all(inspection, 留样="当日午餐未留样", 环境卫生="后厨地面积水"), findings="留样缺失",
        rectify_by=date(2025, 9, 15), photos=[(png_bytes(), "后厨.png")])
    assert (inspection.status, inspection.failed_items, inspection.serious_failure) == ("rectifying", 2, True)
    assert selectors.findings_summary(w.canteen.pk, date(2025, 1, 1), date(2025, 12, 31)) == (1, 2, 0)
    frozen_clock(datetime(2025, 9, 20, 10, tzinfo=SHANGHAI))
    assert selectors.findings_summary(w.canteen.pk, date(2025, 1, 1), date(2025, 12, 31)) == (1, 2, 1)

    # Only the district suspends, only on a serious failure, through the filing lifecycle.
    with pytest.raises(PermissionDenied):
        services.inspection_suspend(actor=w.users["subdistrict_staff"], inspection_id=inspection.pk, reason="x")
    services.inspection_suspend(actor=district, inspection_id=inspection.pk, reason="留样缺失")
    assert Designation.objects.get(canteen=w.canteen).stage == Stage.SUSPENDED
    assert not w.canteen.designated_spans.filter(end__isnull=True).exists()
    with pytest.raises(DomainError) as info:
        services.inspection_suspend(actor=district, inspection_id=inspection.pk, reason="again")
    assert info.value.code == "INSPECT_NOT_SERIOUS"

    # 回头看, then publishing needs every drawn canteen inspected.
    services.inspection_followup(actor=inspector, inspection_id=inspection.pk, on=date(2025, 9, 20),
                                 rectified=True, note="已整改并补建留样记录")
    assert selectors.findings_summary(w.canteen.pk, date(2025, 1, 1), date(2025, 12, 31)) == (1, 2, 0)
    with pytest.raises(DomainError):
        services.plan_publish(actor=district, plan_id=w.plan.pk)
    for other in Inspection.objects.filter(plan=w.plan).exclude(pk=inspection.pk):
        who = other.inspectors.order_by("pk").first()
        services.inspection_record(actor=who, inspection_id=other.pk, visited_on=date(2025, 9, 2),
                                   results=_all(other))
    assert not selectors.published().exists()
    services.plan_publish(actor=district, plan_id=w.plan.pk)
    assert selectors.published().count() == 3


def test_roster_takes_only_staff_of_the_district(world):
    district = world.users["district_admin"]
    for user in (world.other["subdistrict_staff"], world.users["canteen_manager"], world.users["city_admin"]):
        with pytest.raises(DomainError) as info:
            services.inspector_add(actor=district, region_id=world.xihu.pk, user_id=user.pk)
        assert info.value.code == "INSPECT_NOT_STAFF"
    with pytest.raises(NotFound):
        services.inspector_add(actor=district, region_id=world.shangcheng.pk,
                               user_id=world.users["subdistrict_staff"].pk)
    with pytest.raises(DomainError) as info:
        services.plan_create(actor=district, region_id=world.xihu.pk, title="x", categories=["food_hygiene"],
                             proportion=0)
    assert info.value.code == "INSPECT_BAD_PLAN"
    assert not Plan.objects.exists()
