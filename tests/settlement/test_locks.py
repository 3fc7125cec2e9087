"""settlement.locks: which months are closed to a canteen's records."""

from __future__ import annotations

from datetime import date

import pytest

from zhucan.core import clock
from zhucan.settlement.locks import is_locked, next_month, open_settle_month
from zhucan.settlement.models import Statement


def put(canteen, month, status):
    return Statement.objects.create(canteen=canteen, month=month, status=status, generated_at=clock.now(),
                                    paid_reference="R" if status == "paid" else "")


def test_next_month_rolls_over_the_year():
    assert next_month(date(2025, 12, 1)) == date(2026, 1, 1)
    assert next_month(date(2025, 1, 1)) == date(2025, 2, 1)


@pytest.mark.parametrize(("status", "locked"), [("draft", False), ("confirmed", False), ("disputed", False),
                                                ("approved", False), ("finalised", True), ("paid", True)])
def test_only_finalised_and_paid_lock(world, status, locked):
    put(world.canteen, date(2025, 6, 1), status)
    assert is_locked(world.canteen.pk, date(2025, 6, 17)) is locked
    assert is_locked(world.other_canteen.pk, date(2025, 6, 17)) is False


def test_open_settle_month_skips_consecutive_locked_months(world):
    for month, status in [(date(2025, 11, 1), "paid"), (date(2025, 12, 1), "finalised"), (date(2026, 1, 1), "draft")]:
        put(world.canteen, month, status)
    assert open_settle_month(world.canteen.pk, date(2025, 11, 30)) == date(2026, 1, 1)
    assert open_settle_month(world.canteen.pk, date(2025, 12, 2)) == date(2026, 1, 1)
    assert open_settle_month(world.canteen.pk, date(2025, 10, 31)) == date(2025, 10, 1)
    assert open_settle_month(world.other_canteen.pk, date(2025, 11, 30)) == date(2025, 11, 1)
