"""Checkout respects finalised months: a void is refused, a refund or a late report settles in the
next open month: corrections land as adjustments, never as edits of a paid statement."""

from __future__ import annotations

from datetime import date

import pytest

from tests.checkout.conftest import at
from zhucan.checkout import services as S
from zhucan.checkout.locks import month_lock
from zhucan.checkout.models import Meal
from zhucan.core import clock
from zhucan.core.errors import DomainError
from zhucan.settlement.models import Statement, StatementStatus


def _june_meal(world, menu):
    return S.meal_commit(canteen=world.canteen, elder=world.elder, lines=[S.OrderLine(dish_id=menu["套餐"].pk,
                         quantity=1)], idempotency_key="june", request_digest="june", at=at("2025-06-20 11:30")).meal


def _finalise_june(world):
    """What the city's finalising writes for the ledger (test_workflow drives the whole workflow)."""
    Statement.objects.create(canteen=world.canteen, month=date(2025, 6, 1), status=StatementStatus.FINALISED,
                             generated_at=clock.now())
    month_lock(canteen_id=world.canteen.pk, month=date(2025, 6, 1))


def test_void_in_a_finalised_month_is_refused(world, menu):
    meal = _june_meal(world, menu)
    _finalise_june(world)
    with pytest.raises(DomainError) as err:
        S.meal_reverse(canteen=world.canteen, receipt_no=meal.receipt_no, kind="void", idempotency_key="v",
                       request_digest="v", at=at("2025-07-02 09:00"))
    assert err.value.code == "MEAL_IN_FINALISED_MONTH"
    assert Meal.objects.count() == 1


def test_refund_of_a_finalised_month_settles_next_month(world, menu):
    meal = _june_meal(world, menu)
    _finalise_june(world)
    refund = S.meal_reverse(canteen=world.canteen, receipt_no=meal.receipt_no, kind="refund", idempotency_key="r",
                            request_digest="r", at=at("2025-07-02 09:00")).meal
    assert refund.settle_month == date(2025, 7, 1) and refund.benefit_fen == -meal.benefit_fen


def test_late_report_for_a_finalised_month_settles_in_the_next_open_month(world, menu):
    _finalise_june(world)
    late = S.meal_commit(canteen=world.canteen, elder=world.elder, mode="report", reported_benefit_fen=600,
                         lines=[S.OrderLine(name="自选套餐", unit_price_fen=2000, quantity=1)],
                         idempotency_key="late", request_digest="late", at=at("2025-06-28 11:30")).meal
    assert late.local_date == date(2025, 6, 28) and late.settle_month == date(2025, 7, 1)


def test_open_month_void_is_unchanged(world, menu):
    meal = _june_meal(world, menu)
    void = S.meal_reverse(canteen=world.canteen, receipt_no=meal.receipt_no, kind="void", idempotency_key="v2",
                          request_digest="v2", at=at("2025-06-20 11:40")).meal
    assert void.settle_month == date(2025, 6, 1)
