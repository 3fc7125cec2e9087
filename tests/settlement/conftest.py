"""A June 2025 ledger across three canteens in two Hangzhou districts and Liaocheng (two funders),
committed through `meal_commit` / `meal_reverse`, with the clock frozen in July."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from tests.checkout.conftest import at
from tests.conftest import _system_user, make_canteen, make_elder, make_user
from zhucan.checkout import services as C

JUNE = date(2025, 6, 1)
MAY = date(2025, 5, 1)


def sell(canteen, elder, dish, key, when, qty=1, **kw):
    return C.meal_commit(canteen=canteen, elder=elder, lines=[C.OrderLine(dish_id=dish.pk, quantity=qty)],
                         idempotency_key=key, request_digest=key, identified_by="card" if elder else "none",
                         at=at(when), **kw).meal


def reverse(meal, kind, key, when):
    return C.meal_reverse(canteen=meal.canteen, receipt_no=meal.receipt_no, kind=kind, idempotency_key=key,
                          request_digest=key, at=at(when)).meal


@pytest.fixture
def july(frozen_clock):
    return frozen_clock(at("2025-07-05 10:00"))


@pytest.fixture
def ledger(world, july):
    """Meals of June (and a few of May) in 北山 (西湖区), 湖滨 (上城区) and a Liaocheng canteen."""
    return build_ledger(world)


@pytest.fixture(scope="module")
def _ledger_once(module_world):
    """The ledger built once for a module (tests/conftest.py module_db), on July's frozen clock; the
    elders it registers take ID-number sequences clear of the world's."""
    import tests.conftest
    from zhucan.core import clock

    moment = at("2025-07-05 10:00")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clock, "now", lambda: moment)
        patch.setattr(clock, "real_now", lambda: moment)
        patch.setattr(tests.conftest, "_seq", iter(range(10, 20)))
        return build_ledger(module_world)


@pytest.fixture
def world_in_savepoint(module_world, db, monkeypatch):
    """`world` built once per module, each test in a savepoint of it; the test's own elders take
    ID-number sequences from 20 on, clear of the world's and the ledger's."""
    import tests.conftest

    monkeypatch.setattr(tests.conftest, "_seq", iter(range(20, 10_000_000)))
    return module_world


@pytest.fixture
def ledger_in_savepoint(world_in_savepoint, _ledger_once, july):
    """`ledger` built once per module (read-only in memory: its meals are never changed), the clock
    frozen in July for each test as with `ledger`."""
    return _ledger_once


def build_ledger(world):
    from zhucan.canteens.models import Dish
    from zhucan.canteens.services import canteen_set_periods
    from zhucan.elders.models import Elder

    world.lc.policy_id = "liaocheng"
    world.lc.save()
    lc_canteen = make_canteen(world.lc_sub, "蒋官屯幸福食堂")
    # Liaocheng's policy has no meal periods (one subsidised meal a day, LC-4): none announced.
    canteen_set_periods(actor=_system_user(), canteen_id=lc_canteen.pk, periods=[])
    lc_canteen.refresh_from_db()
    lc_elder = make_elder(world.lc_c1, birth=date(1940, 5, 1), name="赵老汉")  # 85: 2 + 2 yuan (LC-4)
    lc_elder75 = make_elder(world.lc_c1, birth=date(1950, 1, 1), name="钱大妈")  # 75: 1 + 1 yuan
    Elder.objects.filter(pk__in=[lc_elder.pk, lc_elder75.pk]).update(verification="verified")
    lc_elder.refresh_from_db()
    lc_elder75.refresh_from_db()
    second_elder = make_elder(world.xihu_c1, birth=date(1933, 1, 1), name="王九二")
    dish = {c.pk: Dish.objects.create(canteen=c, name="套餐", price_fen=1500)
            for c in (world.canteen, world.other_canteen, lc_canteen)}
    L = SimpleNamespace(lc_canteen=lc_canteen, lc_elder=lc_elder, lc_elder75=lc_elder75, dish=dish,
                        second_elder=second_elder, meals=[])
    bs, hb, lc = world.canteen, world.other_canteen, lc_canteen

    def s(canteen, elder, key, when, **kw):
        meal = sell(canteen, elder, dish[canteen.pk], key, when, **kw)
        L.meals.append(meal)
        return meal

    # 北山: the elder eats lunch on three days, 王九二 twice, one walk-in; one void, one refund.
    s(bs, world.elder, "bs1", "2025-06-02 11:30")
    s(bs, world.elder, "bs2", "2025-06-03 11:30")
    voided = s(bs, world.elder, "bs3", "2025-06-04 11:30")
    reverse(voided, "void", "bs3-void", "2025-06-04 11:40")
    s(bs, second_elder, "bs4", "2025-06-02 12:00", qty=2)
    refunded = s(bs, second_elder, "bs5", "2025-06-10 17:00")
    reverse(refunded, "refund", "bs5-refund", "2025-06-12 09:00")
    s(bs, None, "bs6", "2025-06-02 11:45")
    # A May meal of 北山 (settles in May).
    s(bs, world.elder, "bs-may", "2025-05-20 11:30")
    # 湖滨 (another district): the other elder twice.
    s(hb, world.other_elder, "hb1", "2025-06-05 11:30")
    s(hb, world.other_elder, "hb2", "2025-06-06 11:30")
    # Liaocheng: city and district each pay a share (LC-4).
    s(lc, lc_elder, "lc1", "2025-06-02 11:30")
    s(lc, lc_elder, "lc2", "2025-06-03 11:30")
    s(lc, lc_elder75, "lc3", "2025-06-03 11:40")
    s(lc, None, "lc4", "2025-06-03 11:50")
    return L


@pytest.fixture
def roles(world, ledger):
    """Extra users: the Liaocheng zone's district admin and the LC canteen's manager."""
    return SimpleNamespace(
        lc_district=make_user("lc_zone_admin", "district_admin", region=world.lc_zone),
        lc_manager=make_user("lc_mgr", "canteen_manager", canteen=ledger.lc_canteen),
    )
