"""The demo's anomalies: made through the real checkout, found by the real detection, idempotent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import _system_user, make_canteen, make_elder, make_region
from zhucan.alerts.models import Alert
from zhucan.canteens.models import Dish
from zhucan.demo.alerts import seed_demo_alerts
from zhucan.elders.models import Elder


def test_demo_alerts(world, today):
    beishan = make_canteen(world.xihu_sub2, "北山街道颐乐食堂", latitude=Decimal("30.263800"),
                           longitude=Decimal("120.144500"))
    binjiang = make_region("330108001", "西兴街道", "subdistrict", world.xihu)
    far = make_canteen(binjiang, "西兴街道老年食堂", latitude=Decimal("30.214900"), longitude=Decimal("120.216400"))
    for canteen in (beishan, far):
        Dish.objects.create(canteen=canteen, name="套餐", price_fen=1500)
    first = make_elder(world.xihu_c2, birth=date(1938, 4, 2), name="陈阿婆")
    second = make_elder(world.xihu_c2, birth=date(1936, 9, 9), name="陈阿公")
    Elder.objects.filter(pk__in=[first.pk, second.pk]).update(verification="verified")
    assert seed_demo_alerts(_system_user()) == {"raised": 3}
    assert dict(Alert.objects.values_list("rule", "elder_id").order_by("rule")) == {
        "elder.after_status": second.pk, "elder.far_apart": first.pk, "till.reversals": None}
    assert seed_demo_alerts(_system_user()) == {"raised": 0}


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_the_daily_detection_and_the_command_runs_it_on_demand(settings, frozen_clock, world,
                                                                               menu):
    from django_tasks_db.models import DBTaskResult

    from tests.alerts.conftest import at, reverse, sell

    settings.ZHUCAN_PERIODIC_JOBS = [{"name": "alerts-detect", "task": "zhucan.alerts.tasks.alerts_detect_task",
                                      "daily_at": "05:30"}]
    frozen_clock(at("2026-03-10 05:30"))
    for i in range(5):  # five voids at one till yesterday
        meal = sell(world.canteen, None, menu["米饭"], f"2026-03-09 11:{10 + i}", ident="none")
        reverse(meal, f"2026-03-09 11:{20 + i}")
    call_command("worker", "--once")
    row = DBTaskResult.objects.get()
    assert row.status == "SUCCESSFUL", row.traceback
    assert row.return_value["day"] == "2026-03-09" and row.return_value["by_rule"] == {"till.reversals": 1}
    out = StringIO()
    call_command("alerts", "detect", "--date", "2026-03-09", "--days", "2", stdout=out)
    assert out.getvalue().splitlines() == ["2026-03-08：新增预警 0 条，已有 0 条",
                                           "2026-03-09：新增预警 0 条，已有 1 条"]
    with pytest.raises(CommandError):
        call_command("alerts", "detect", "--date", "2026-03-10")
