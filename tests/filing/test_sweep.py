"""The daily designation sweep: reminders ahead of an agreement's end (60 days), the annual
re-check (60 days) and the licence's expiry (30 days), each raised once; a lapsed licence raises a
reminder and suspends the canteen through the lifecycle service, as the platform's system account."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from tests.filing.lifecycle_helpers import to_designated
from zhucan.canteens.models import Canteen, DesignatedSpan, Dish
from zhucan.checkout import services as S
from zhucan.core.models import AuditLog
from zhucan.filing.models import Designation, Reminder, ReminderKind, Stage
from zhucan.filing.sweep import SYSTEM_USERNAME, filing_sweep

SH = ZoneInfo("Asia/Shanghai")
T = datetime(2026, 3, 2, 11, 0, tzinfo=SH)  # designation day (a Monday, lunch)


@pytest.fixture
def designated(world, frozen_clock):
    frozen_clock(T)
    to_designated(world.users["district_admin"], world.users["canteen_manager"], world.canteen)
    return world.canteen


def _reminders():
    return sorted((r.kind, r.due) for r in Reminder.objects.all())


def test_reminders_are_raised_ahead_and_only_once(designated):
    d0 = T.date()
    designation = Designation.objects.get(canteen=designated)
    assert designation.recheck_due == d0.replace(year=2027) and designation.licence_expiry == d0 + timedelta(700)
    recheck = designation.recheck_due
    assert filing_sweep(today=recheck - timedelta(61)).reminders == []
    report = filing_sweep(today=recheck - timedelta(60))
    assert report.reminders == [(designated.pk, ReminderKind.RECHECK, recheck)]
    assert filing_sweep(today=recheck - timedelta(59)).reminders == []  # once
    licence = designation.licence_expiry
    assert not [r for r in filing_sweep(today=licence - timedelta(31)).reminders if r[1] == "licence_expiry"]
    ahead = filing_sweep(today=licence - timedelta(30)).reminders
    assert (designated.pk, ReminderKind.LICENCE_EXPIRY, licence) in ahead
    agreement_end = d0 + timedelta(3 * 365)
    designation.licence_expiry = agreement_end + timedelta(400)  # renewed licence: keep it out of the way
    designation.save(update_fields=["licence_expiry"])
    assert filing_sweep(today=agreement_end - timedelta(61)).reminders == []
    assert (designated.pk, ReminderKind.AGREEMENT_END, agreement_end) in \
        filing_sweep(today=agreement_end - timedelta(60)).reminders
    filing_sweep(today=agreement_end - timedelta(10))
    assert _reminders().count((ReminderKind.AGREEMENT_END, agreement_end)) == 1
    assert Designation.objects.get(canteen=designated).stage == Stage.DESIGNATED  # nothing lapsed


def test_a_lapsed_licence_raises_a_reminder_and_suspends_the_canteen(designated, frozen_clock, world):
    dish = Dish.objects.create(canteen=designated, name="套餐", price_fen=1500)
    expiry = Designation.objects.get(canteen=designated).licence_expiry
    lapsed = datetime.combine(expiry + timedelta(1), T.timetz())
    frozen_clock(lapsed)

    def quote():  # each request reads the canteen row afresh
        canteen = Canteen.objects.get(pk=designated.pk)
        return S.meal_quote(canteen=canteen, elder=world.elder, lines=[S.OrderLine(dish_id=dish.pk, quantity=1)])

    assert quote().benefit_fen == 450
    report = filing_sweep()
    assert report.suspended == [designated.pk]
    assert (designated.pk, ReminderKind.LICENCE_LAPSED, lapsed.date()) in report.reminders
    designation = Designation.objects.get(canteen=designated)
    assert designation.stage == Stage.SUSPENDED and "食品经营许可证已于" in designation.stage_reason
    assert list(DesignatedSpan.objects.filter(canteen=designated).values_list("start", "end")) == [
        (T.date(), lapsed.date())]
    audit = AuditLog.objects.get(action="filing.suspend")
    assert audit.actor.username == SYSTEM_USERNAME and not audit.actor.has_usable_password()
    # The checkout sees it at once: full price, with the reason.
    q = quote()
    assert (q.benefit_fen, q.quote.reason_code) == (0, "CANTEEN_NOT_DESIGNATED")
    assert "已暂停定点" in q.explanation_zh
    # Idempotent: nothing more happens on the next run.
    again = filing_sweep()
    assert again.reminders == [] and again.suspended == []
    assert AuditLog.objects.filter(action="filing.suspend").count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_sweep_runs_through_the_task_backend(designated, frozen_clock):
    from django_tasks_db.models import DBTaskResult

    from zhucan.filing.tasks import filing_sweep_task

    expiry = Designation.objects.get(canteen=designated).licence_expiry
    frozen_clock(datetime.combine(expiry + timedelta(1), T.timetz()))
    result = filing_sweep_task.enqueue()
    assert DBTaskResult.objects.get(pk=result.id).status == "READY"
    call_command("worker", "--once")
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == "SUCCESSFUL", row.traceback
    assert row.return_value["suspended"] == [designated.pk]
    assert Designation.objects.get(canteen=designated).stage == Stage.SUSPENDED
