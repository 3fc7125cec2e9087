"""The months finalised before the ledger kept its own locked-month table are closed by the data
migration: finalised and paid statements lock, the others do not."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.migrations import migrate, migrate_to_latest

BEFORE = [("settlement", "0001_initial")]  # only the data migration (and what needs it) is undone
FINALISED_AT = datetime(2025, 7, 3, 2, 0, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
def test_finalised_and_paid_statements_lock_their_months(world):
    old = migrate(BEFORE)
    Statement = old.get_model("settlement", "Statement")
    generated = datetime(2025, 7, 1, tzinfo=UTC)
    for canteen, month, status in [(world.canteen, date(2025, 5, 1), "paid"),
                                   (world.canteen, date(2025, 6, 1), "finalised"),
                                   (world.canteen, date(2025, 7, 1), "approved"),
                                   (world.other_canteen, date(2025, 6, 1), "draft")]:
        Statement.objects.create(canteen_id=canteen.pk, month=month, status=status, generated_at=generated,
                                 finalised_at=FINALISED_AT if status in ("paid", "finalised") else None,
                                 paid_reference="R-1" if status == "paid" else "")

    migrate_to_latest()

    from zhucan.checkout.locks import is_locked
    from zhucan.checkout.models import LockedMonth

    assert sorted(LockedMonth.objects.values_list("canteen_id", "month", "locked_at")) == [
        (world.canteen.pk, date(2025, 5, 1), FINALISED_AT), (world.canteen.pk, date(2025, 6, 1), FINALISED_AT)]
    assert is_locked(world.canteen.pk, date(2025, 6, 15)) and not is_locked(world.canteen.pk, date(2025, 7, 15))
    assert not is_locked(world.other_canteen.pk, date(2025, 6, 15))
