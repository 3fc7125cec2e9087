"""Standing orders on an injected clock: per-weekday choices, pauses, skips, sold-out and closed days."""

from __future__ import annotations

from datetime import date

import pytest

from tests.orders.conftest import DAY, at
from zhucan.core.errors import DomainError
from zhucan.orders.menus import menu_publish
from zhucan.orders.models import Order, StandingRun
from zhucan.orders.placing import order_cancel
from zhucan.orders.standing import (
    standing_create,
    standing_generate,
    standing_generate_due,
    standing_pause,
    standing_skip,
)

TUESDAY = date(2025, 6, 3)


def test_generation_pauses_skips_and_notes(world, shop, family, menu):
    standing = standing_create(account=family, elder_id=world.elder.pk, canteen_id=world.canteen.pk,
                               period="lunch", fulfilment="delivery",
                               weekdays={"1": [[menu["套餐"].pk, 1]], "2": [[menu["米饭"].pk, 2]]})
    with pytest.raises(DomainError) as exc:
        standing_create(account=family, elder_id=world.elder.pk, canteen_id=world.canteen.pk, period="lunch",
                        fulfilment="delivery", weekdays={"9": [[menu["套餐"].pk, 1]]})
    assert exc.value.code == "STANDING_WEEKDAYS_INVALID"
    # Monday 08:00, before the 09:30 cut-off: Monday's order; Tuesday has no menu yet (retried later)
    assert standing_generate_due() == 1
    monday = Order.objects.get(standing=standing, local_date=DAY)
    assert monday.channel == "standing" and monday.fulfilment == "delivery" and monday.payable_fen == 1050
    assert not StandingRun.objects.filter(date=TUESDAY).exists()
    assert standing_generate_due() == 0  # decided once
    # cancelling Monday's occurrence keeps it cancelled
    order_cancel(account=family, order_id=monday.pk, reason="去医院")
    StandingRun.objects.filter(standing=standing, date=DAY).delete()  # even if generation ran again
    assert standing_generate(day=DAY) == 0
    assert StandingRun.objects.get(standing=standing, date=DAY).outcome == "skipped"
    # Tuesday: rice sold out
    menu_publish(actor=shop.manager, canteen_id=world.canteen.pk, local_date=TUESDAY, period="lunch",
                 offers=[(menu["米饭"].pk, 1)])
    assert standing_generate(day=TUESDAY) == 0
    run = StandingRun.objects.get(standing=standing, date=TUESDAY)
    assert run.outcome == "sold_out" and "只剩1份" in run.note


def test_pause_until_a_date_and_closed_days(world, shop, family, menu):
    standing = standing_create(actor=world.users["subdistrict_staff"], elder_id=world.elder.pk,
                               canteen_id=world.canteen.pk, period="lunch", fulfilment="pickup",
                               weekdays={str(d): [[menu["套餐"].pk, 1]] for d in range(1, 8)})
    standing_pause(account=family, standing_id=standing.pk, until=TUESDAY)
    assert standing_generate(day=DAY) == 0
    assert StandingRun.objects.get(date=DAY).outcome == "paused"
    # Wednesday: published, paused no more; the day after has no menu and its cut-off is near: closed
    wednesday, thursday = date(2025, 6, 4), date(2025, 6, 5)
    menu_publish(actor=shop.manager, canteen_id=world.canteen.pk, local_date=wednesday, period="lunch",
                 offers=[(menu["套餐"].pk, None)])
    shop.clock(at("2025-06-04 07:00"))
    assert standing_generate(day=wednesday) == 1
    shop.clock(at("2025-06-05 09:00"))
    assert standing_generate(day=thursday) == 0
    assert StandingRun.objects.get(date=thursday).outcome == "closed"
    standing_skip(account=family, standing_id=standing.pk, day=date(2025, 6, 6))
    menu_publish(actor=shop.manager, canteen_id=world.canteen.pk, local_date=date(2025, 6, 6), period="lunch",
                 offers=[(menu["套餐"].pk, None)])
    assert standing_generate(day=date(2025, 6, 6)) == 0
    assert StandingRun.objects.get(date=date(2025, 6, 6)).outcome == "skipped"
    other = type(family)(display_name="陌生人", created_at=family.created_at)
    other.phone = "13900003333"
    other.save()
    with pytest.raises(DomainError) as exc:
        standing_pause(account=other, standing_id=standing.pk, until=None)
    assert exc.value.code == "STANDING_NOT_FOUND"
