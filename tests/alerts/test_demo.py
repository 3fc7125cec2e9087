"""The demo's anomalies: made through the real checkout, found by the real detection, idempotent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

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
