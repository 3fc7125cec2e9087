"""The demo's simulated lunch writes real ledger rows; the recent history; one clock for the demo."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from zhucan.core import clock


@pytest.fixture
def lunch_world(world, menu):
    from zhucan.elders.models import Elder

    Elder.objects.filter(pk__in=[world.elder.pk, world.other_elder.pk]).update(verification="verified")
    return world


def test_one_tick_commits_meals_through_the_checkout(lunch_world, frozen_clock):
    from zhucan.checkout.models import Meal
    from zhucan.checkout.verification import ledger_verify
    from zhucan.demo.lunch import METHODS, lunch_tick

    now = frozen_clock(datetime(2025, 6, 10, 3, 40, tzinfo=UTC))  # 11:40 in Hangzhou
    made = lunch_tick(rng=random.Random(7), canteens=2, per_canteen=3)
    meals = list(Meal.objects.order_by("pk"))
    assert made == len(meals) > 0
    assert {m.canteen_id for m in meals} <= {lunch_world.canteen.pk, lunch_world.other_canteen.pk}
    assert all(m.at == now and m.elder_id is not None for m in meals)
    assert {m.identified_by for m in meals} <= {method for method, _w in METHODS}
    assert any(m.benefit_fen > 0 for m in meals)  # the policy rated them: real checkouts
    checked, problems = ledger_verify()
    assert checked == len(meals) and problems == []


def test_outside_the_canteens_hours_a_tick_writes_nothing(lunch_world, frozen_clock):
    from zhucan.checkout.models import Meal
    from zhucan.demo.lunch import lunch_tick

    frozen_clock(datetime(2025, 6, 10, 7, 0, tzinfo=UTC))  # 15:00 in Hangzhou
    assert lunch_tick(rng=random.Random(7)) == 0
    assert not Meal.objects.exists()


def test_recent_history_reaches_this_month_up_to_now_and_is_idempotent(lunch_world, frozen_clock):
    from zhucan.checkout.models import Meal
    from zhucan.demo.lunch import seed_recent_meals

    now = frozen_clock(datetime(2025, 7, 3, 3, 0, tzinfo=UTC))  # 3 July, 11:00 in Hangzhou
    made = seed_recent_meals(per_canteen_per_day=1)
    assert made == Meal.objects.count() > 0
    days = {clock.local_date(m.at) for m in Meal.objects.all()}
    assert min(days) >= datetime(2025, 6, 1).date()
    assert any(d.month == 7 for d in days)  # this month is not empty
    assert all(m.at <= now for m in Meal.objects.all())
    assert seed_recent_meals(per_canteen_per_day=1) == 0 and Meal.objects.count() == made


def test_one_clock_for_every_demo_process(settings, monkeypatch):
    """Each process reads the simulated clock relative to the same real anchor, not to its own start."""
    real = clock.real_now()
    settings.ZHUCAN_CLOCK_START = "2025-06-02T11:00:00+08:00"
    settings.ZHUCAN_CLOCK_ANCHOR = (real - timedelta(minutes=10)).isoformat()  # the demo started 10 min ago
    monkeypatch.setattr(clock, "_offset", None)
    late_process = clock.local_now()
    assert late_process.strftime("%Y-%m-%d %H") == "2025-06-02 11"
    assert 9 <= late_process.minute <= 11
    monkeypatch.setattr(clock, "_offset", None)
