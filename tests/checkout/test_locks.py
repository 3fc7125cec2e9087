"""checkout.locks: which months are closed to a canteen's records."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, transaction

from zhucan.checkout.locks import is_locked, month_lock, next_month, open_settle_month
from zhucan.checkout.models import LockedMonth


def test_next_month_rolls_over_the_year():
    assert next_month(date(2025, 12, 1)) == date(2026, 1, 1)
    assert next_month(date(2025, 1, 1)) == date(2025, 2, 1)


def test_a_locked_month_is_one_canteen_month(world):
    assert not is_locked(world.canteen.pk, date(2025, 6, 17))
    month_lock(canteen_id=world.canteen.pk, month=date(2025, 6, 17))
    assert is_locked(world.canteen.pk, date(2025, 6, 1)) and is_locked(world.canteen.pk, date(2025, 6, 30))
    assert not is_locked(world.other_canteen.pk, date(2025, 6, 17))
    assert not is_locked(world.canteen.pk, date(2025, 7, 1))


def test_locking_twice_keeps_one_row(world):
    first = month_lock(canteen_id=world.canteen.pk, month=date(2025, 6, 1))
    again = month_lock(canteen_id=world.canteen.pk, month=date(2025, 6, 20))
    assert first.pk == again.pk and LockedMonth.objects.count() == 1


def test_the_database_keeps_a_month_to_its_first_day(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        LockedMonth.objects.create(canteen=world.canteen, month=date(2025, 6, 2), locked_at="2025-07-01T00:00Z")


def test_open_settle_month_skips_consecutive_locked_months(world):
    for month in (date(2025, 11, 1), date(2025, 12, 1)):
        month_lock(canteen_id=world.canteen.pk, month=month)
    assert open_settle_month(world.canteen.pk, date(2025, 11, 30)) == date(2026, 1, 1)
    assert open_settle_month(world.canteen.pk, date(2025, 12, 2)) == date(2026, 1, 1)
    assert open_settle_month(world.canteen.pk, date(2025, 10, 31)) == date(2025, 10, 1)
    assert open_settle_month(world.other_canteen.pk, date(2025, 11, 30)) == date(2025, 11, 1)
