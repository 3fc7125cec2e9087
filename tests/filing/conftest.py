"""Fixtures of the filing tests. They walk canteens through the designation lifecycle themselves,
so the shared fixture canteens start not designated here (elsewhere they are designated so that
their meals carry benefits). Designated canteens for the public directory's tests are each walked
through the real lifecycle services (select → agreement → filing → review → designate, then
suspend or revoke)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

import tests.conftest as shared

NOW = datetime(2026, 12, 7, 11, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def _canteens_start_undesignated(monkeypatch):
    monkeypatch.setitem(shared.fixture_designation, "from", None)


def designate(canteen, *, district_admin, manager=None, coverage=None, stage="designated"):
    """Take `canteen` through the services to `stage` (selected, submitted, designated, suspended,
    revoked); `coverage` replaces the delivery communities of its F7 declaration."""
    from tests.conftest import make_user
    from tests.filing.lifecycle_helpers import declarations, fill, review_all, to_filing
    from zhucan.filing.services import (
        canteen_select,
        designation_revoke,
        designation_suspend,
        filing_decide,
        filing_item_save,
        filing_submit,
    )

    if stage == "selected":
        return canteen_select(actor=district_admin, canteen=canteen)
    manager = manager or make_user(f"mgr-{canteen.pk}", "canteen_manager", canteen=canteen)
    to_filing(district_admin, canteen, number=f"协议-{canteen.pk}")
    filing = fill(manager, canteen)
    if coverage is not None:
        item = filing.items.get(requirement="F7")
        filing_item_save(actor=manager, item=item, evidence=[],
                         declaration={**declarations(canteen)["F7"], "coverage": [c.pk for c in coverage]})
    filing = filing_submit(actor=manager, filing=filing)
    if stage == "submitted":
        return filing
    review_all(district_admin, filing)
    designation = filing_decide(actor=district_admin, filing=filing)
    if stage == "suspended":
        designation = designation_suspend(actor=district_admin, canteen=canteen, reason="食品安全检查未通过")
    elif stage == "revoked":
        designation = designation_revoke(actor=district_admin, canteen=canteen, reason="停止经营")
    return designation


@pytest.fixture(scope="module")
def module_world(module_db):
    """The shared `module_world`, built once per module (see tests/conftest.py) with its canteens
    not designated, as everywhere in the filing tests; its elders take ID numbers 1 and 2 of a
    fresh sequence."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(shared.fixture_designation, "from", None)
        mp.setattr(shared, "_seq", iter(range(1, 10)))
        return shared.build_world()


@pytest.fixture(scope="module")
def _public_world_once(module_world):
    """The public directory's canteens walked through the lifecycle once per module (seven
    designations through the services, the costly part of the directory's tests), on the day NOW."""
    from django.test import override_settings

    from zhucan.core import clock

    with pytest.MonkeyPatch.context() as mp, override_settings(ZHUCAN_PUBLIC_BASE_URL=""):
        mp.setitem(shared.fixture_designation, "from", None)
        mp.setattr(clock, "now", lambda: NOW)
        mp.setattr(clock, "real_now", lambda: NOW)
        return _build_public_world(module_world)


@pytest.fixture
def public_world(_public_world_once, db, frozen_clock, settings):
    """西湖区's 北山长者食堂 designated (open to the public, delivering to two communities),
    上城区's 湖滨长者食堂 designated, one 西湖区 canteen at each other stage, and 聊城's 幸福食堂
    designated. Built once per module; what a test changes rolls back with its savepoint, and the
    public pages' cache starts empty for each test."""
    from django.core.cache import cache

    frozen_clock(NOW)
    cache.clear()
    settings.ZHUCAN_PUBLIC_BASE_URL = ""
    return _public_world_once


def _build_public_world(w):
    from django.core.cache import cache

    from tests.conftest import make_canteen, make_user
    from zhucan.canteens.models import Dish

    cache.clear()
    w.lc.policy_id = "liaocheng"
    w.lc.save()
    xihu_admin = w.users["district_admin"]
    c = w.canteen
    c.open_to_public = True
    c.phone = "0571-88001234"
    c.address = "西湖区北山路12号"
    c.latitude, c.longitude = Decimal("30.263800"), Decimal("120.144500")
    c.public_info = "面向辖区老年人提供助餐服务"
    c.service_promises = "食材新鲜、明码标价"
    c.save()
    Dish.objects.create(canteen=c, name="老年套餐", category="套餐", price_fen=1500)
    Dish.objects.create(canteen=c, name="停售的菜", price_fen=900, active=False)
    designate(c, district_admin=xihu_admin, manager=w.users["canteen_manager"], coverage=[w.xihu_c1, w.xihu_c2])
    o = w.other_canteen
    o.address = "上城区湖滨路3号"
    o.latitude, o.longitude = Decimal("30.259400"), Decimal("120.164800")
    o.save()
    designate(o, district_admin=w.other["district_admin"], manager=w.other["canteen_manager"])
    for attr, name, stage in [("selected", "西溪遴选食堂", "selected"), ("submitted", "西溪待审食堂", "submitted"),
                              ("suspended", "西溪暂停食堂", "suspended"), ("revoked", "西溪撤销食堂", "revoked")]:
        canteen = make_canteen(w.xihu_c2, name)
        designate(canteen, district_admin=xihu_admin, stage=stage)
        setattr(w, attr, canteen)
    w.plain = make_canteen(w.xihu_sub2, "西溪未备案食堂")
    w.lc_canteen = make_canteen(w.lc_c1, "蒋官屯幸福食堂", latitude=Decimal("36.414800"),
                                longitude=Decimal("116.030900"))
    lc_admin = make_user("lc_zone_admin", "district_admin", region=w.lc_zone)
    designate(w.lc_canteen, district_admin=lc_admin)
    return w
