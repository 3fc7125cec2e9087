"""A small month of meals made through the real checkout (meal_commit / meal_reverse), with the
figures worked out by hand in `EXPECTED` (see the fixture's docstring).

Clock: 2025-06-10 20:00 in Asia/Shanghai. The default range is 本月 (2025-06-01 … 06-10); the
previous period of equal length is 2025-05-22 … 05-31.
"""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace

import pytest

from tests.checkout.conftest import SH, at
from tests.conftest import make_elder
from zhucan.checkout import services as S

NOW = datetime(2025, 6, 10, 20, 0, tzinfo=SH)


def sell(canteen, elder, dish, key, when, method="card"):
    return S.meal_commit(canteen=canteen, elder=elder, lines=[S.OrderLine(dish_id=dish.pk, quantity=1)],
                         idempotency_key=key, request_digest=key, at=at(when),
                         identified_by=method if elder is not None else "none").meal


def reverse(meal, kind, key, when):
    return S.meal_reverse(canteen=meal.canteen, receipt_no=meal.receipt_no, kind=kind, idempotency_key=key,
                          request_digest=key, at=at(when)).meal


def verify(*elders):
    from tests.conftest import _system_user
    from zhucan.elders.services import elder_verify

    for e in elders:
        elder_verify(actor=_system_user(), elder_id=e.pk, approve=True)


@pytest.fixture
def ledger(world, menu, frozen_clock):
    """西湖区 (北山长者食堂, 15.00 套餐):
      A 张秀英 (保俶社区, 80, 独居): 06-02 lunch card −4.50 (7折), 06-02 dinner card −4.50,
        06-03 lunch face — voided the same day; 05-30 lunch card (previous period).
      B 王九二 (保俶社区, 92): 06-05 lunch elder code −7.50 (5折) — refunded on 06-06.
      C 陈七五 (西溪社区, 75): 06-05 lunch card −3.00 (8折).
      a customer who is not a registered elder: 06-05 lunch, no benefit.
      D 赵六五 (西溪社区, 65, 独居): never ate.  E 钱八十 (保俶社区, 80): last ate 05-01.
    上城区 (湖滨长者食堂): 李桂兰 06-04 lunch card −4.50.
    A…E are verified (eligible); 李桂兰 is not."""
    frozen_clock(NOW)
    from zhucan.elders.models import Elder, Tag

    w = world
    w.a = w.elder
    w.b = make_elder(w.xihu_c1, birth=date(1933, 1, 1), name="王九二")
    w.c = make_elder(w.xihu_c2, birth=date(1950, 1, 1), name="陈七五", sex="M")
    w.d = make_elder(w.xihu_c2, birth=date(1960, 1, 1), name="赵六五")
    w.e = make_elder(w.xihu_c1, birth=date(1944, 7, 1), name="钱八十", sex="M")
    alone = Tag.objects.get(code="living_alone")
    for e in (w.a, w.d):
        Elder.objects.get(pk=e.pk).tags.add(alone)
    verify(w.a, w.b, w.c, w.d, w.e)
    dish, other = menu["套餐"], menu["other:套餐"]
    w.meals = SimpleNamespace()
    sell(w.canteen, w.e, dish, "e1", "2025-05-01 11:30")
    sell(w.canteen, w.a, dish, "a0", "2025-05-30 11:30")
    sell(w.canteen, w.a, dish, "a1", "2025-06-02 11:30")
    sell(w.canteen, w.a, dish, "a2", "2025-06-02 17:00")
    voided = sell(w.canteen, w.a, dish, "a3", "2025-06-03 11:30", method="face")
    reverse(voided, "void", "a3v", "2025-06-03 11:40")
    refunded = sell(w.canteen, w.b, dish, "b1", "2025-06-05 11:30", method="qr")
    reverse(refunded, "refund", "b1r", "2025-06-06 09:00")
    sell(w.canteen, w.c, dish, "c1", "2025-06-05 11:45")
    sell(w.canteen, None, dish, "x1", "2025-06-05 12:00")
    sell(w.other_canteen, w.other_elder, other, "o1", "2025-06-04 11:30")
    return w
