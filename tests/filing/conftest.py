"""Designated canteens for the public directory's tests, written row by row as the filing
workflow leaves them (a designation with its number, an open span, an agreement and an approved
round whose F6/F7 declarations the public page reads)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

NOW = datetime(2026, 12, 7, 11, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TODAY = NOW.date()


def designate(canteen, *, number, stage="designated", on=date(2026, 3, 1), until=None, f6=None, f7=None,
              agreement=(date(2026, 2, 1), date(2028, 1, 31))):
    from tests.conftest import _system_user
    from zhucan.canteens.models import DesignatedSpan
    from zhucan.filing.models import Agreement, Designation, Filing, FilingItem, Requirement

    actor = _system_user()
    numbered = stage in ("designated", "suspended", "revoked")
    Designation.objects.create(
        canteen=canteen, stage=stage, filing_number=number if numbered else None, selected_at=NOW - timedelta(days=400),
        selected_by=actor, stage_changed_at=NOW - timedelta(days=300), designated_on=on if numbered else None,
        recheck_due=on + timedelta(days=365) if numbered else None,
    )
    if agreement:
        Agreement.objects.create(canteen=canteen, number=f"协议-{canteen.pk}", party_a="区民政局",
                                 party_b=canteen.operator,
                                 start_date=agreement[0], end_date=agreement[1], recorded_by=actor,
                                 recorded_at=NOW - timedelta(days=350))
    if numbered:
        DesignatedSpan.objects.create(canteen=canteen, start=on, end=until)
        filing = Filing.objects.create(canteen=canteen, round=1, status="approved",
                                       created_at=NOW - timedelta(days=340), decided_at=NOW - timedelta(days=300),
                                       decided_by=actor)
        for req in Requirement:
            declaration = {"F6": f6, "F7": f7}.get(req.value) or {}
            FilingItem.objects.create(filing=filing, requirement=req, declaration=declaration, review="passed")


@pytest.fixture
def public_world(world, frozen_clock, settings):
    """西湖区's 北山长者食堂 designated (open to the public, delivering), 上城区's 湖滨长者食堂
    designated, and one canteen at each other stage; 聊城's 幸福食堂 designated."""
    from django.core.cache import cache

    from tests.conftest import make_canteen
    from zhucan.canteens.models import Dish

    frozen_clock(NOW)
    cache.clear()
    settings.ZHUCAN_PUBLIC_BASE_URL = ""
    w = world
    w.lc.policy_id = "liaocheng"
    w.lc.save()
    c = w.canteen
    c.open_to_public = True
    c.phone = "0571-88001234"
    c.address = "西湖区北山路12号"
    c.latitude, c.longitude = "30.263800", "120.144500"
    c.public_info = "面向辖区老年人提供助餐服务"
    c.service_promises = "食材新鲜、明码标价"
    c.save()
    Dish.objects.create(canteen=c, name="老年套餐", category="套餐", price_fen=1500)
    Dish.objects.create(canteen=c, name="停售的菜", price_fen=900, active=False)
    designate(c, number="西湖〔2026〕第001号", f6={"priority_window": True, "reserved_tables": 4},
              f7={"online_ordering": True, "home_delivery": True, "coverage": [w.xihu_c1.pk, w.xihu_c2.pk]})
    o = w.other_canteen
    o.address = "上城区湖滨路3号"
    o.latitude, o.longitude = "30.259400", "120.164800"
    o.save()
    designate(o, number="上城〔2026〕第001号")
    w.selected = make_canteen(w.xihu_sub2, "西溪遴选食堂")
    designate(w.selected, number=None, stage="selected", agreement=None)
    w.submitted = make_canteen(w.xihu_sub2, "西溪待审食堂")
    designate(w.submitted, number=None, stage="submitted")
    w.suspended = make_canteen(w.xihu_sub2, "西溪暂停食堂")
    designate(w.suspended, number="西湖〔2026〕第002号", stage="suspended", until=date(2026, 11, 1))
    w.revoked = make_canteen(w.xihu_sub2, "西溪撤销食堂")
    designate(w.revoked, number="西湖〔2026〕第003号", stage="revoked", until=date(2026, 10, 1))
    w.plain = make_canteen(w.xihu_sub2, "西溪未备案食堂")
    w.lc_canteen = make_canteen(w.lc_sub, "蒋官屯幸福食堂", latitude=Decimal("36.414800"),
                                  longitude=Decimal("116.030900"))
    designate(w.lc_canteen, number="开发区〔2026〕第001号")
    return w
