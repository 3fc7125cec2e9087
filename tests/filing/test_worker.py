"""One background mechanism: periodic jobs as data, enqueued by `zhucan worker` when due and
never twice for the same due moment; the worker runs them through the database task backend."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from zhucan.core import scheduler

SH = ZoneInfo("Asia/Shanghai")
SWEEP = {"name": "filing-sweep", "task": "zhucan.filing.tasks.filing_sweep_task", "daily_at": "06:00"}


def at(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=SH)


def _queued() -> int:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path="zhucan.filing.tasks.filing_sweep_task").count()


def test_the_sweep_is_the_platforms_periodic_job():
    jobs = {j.name: j for j in scheduler.jobs()}  # other apps have their jobs too (alerts, video)
    assert (jobs["filing-sweep"].task, jobs["filing-sweep"].daily_at.isoformat()) == (
        "zhucan.filing.tasks.filing_sweep_task", "06:00:00")


def test_a_daily_job_is_enqueued_when_due_and_not_twice(db, settings):
    settings.ZHUCAN_PERIODIC_JOBS = [SWEEP]
    assert scheduler.tick(at("2026-03-02 05:59")) == ["filing-sweep"]  # first start: the missed run, once
    assert scheduler.tick(at("2026-03-02 05:59")) == []
    assert scheduler.tick(at("2026-03-02 06:00")) == ["filing-sweep"]
    assert scheduler.tick(at("2026-03-02 06:01")) == []
    assert scheduler.tick(at("2026-03-02 23:59")) == []
    assert scheduler.tick(at("2026-03-03 05:59")) == []
    assert scheduler.tick(at("2026-03-03 06:00")) == ["filing-sweep"]
    # A worker down for three days enqueues the job once when it comes back.
    assert scheduler.tick(at("2026-03-06 09:00")) == ["filing-sweep"]
    assert _queued() == 4


def test_a_job_every_n_minutes(db, settings):
    settings.ZHUCAN_PERIODIC_JOBS = [{**SWEEP, "daily_at": None, "every_minutes": 15}]
    del settings.ZHUCAN_PERIODIC_JOBS[0]["daily_at"]
    assert scheduler.tick(at("2026-03-02 10:01")) == ["filing-sweep"]
    assert scheduler.tick(at("2026-03-02 10:14")) == []
    assert scheduler.tick(at("2026-03-02 10:15")) == ["filing-sweep"]
    assert _queued() == 2


@pytest.mark.parametrize("job", [
    {"name": "x", "task": "zhucan.filing.tasks.filing_sweep_task"},
    {"name": "x", "task": "zhucan.filing.tasks.filing_sweep_task", "daily_at": "6点"},
    {"name": "x", "task": "zhucan.filing.tasks.filing_sweep_task", "every_minutes": 0},
    {"name": "x", "task": "zhucan.filing.tasks.filing_sweep_task", "every_minutes": 5, "daily_at": "06:00"},
    {"task": "zhucan.filing.tasks.filing_sweep_task", "daily_at": "06:00"},
])
def test_a_malformed_job_is_a_configuration_error(settings, job):
    settings.ZHUCAN_PERIODIC_JOBS = [job]
    with pytest.raises(ImproperlyConfigured):
        scheduler.jobs()


@pytest.mark.django_db(transaction=True)
def test_the_worker_enqueues_the_due_sweep_and_runs_it(settings, frozen_clock):
    from django_tasks_db.models import DBTaskResult

    from zhucan.core.models import ScheduledJob

    settings.ZHUCAN_PERIODIC_JOBS = [SWEEP]
    frozen_clock(at("2026-03-02 06:00"))
    call_command("worker", "--once")
    row = DBTaskResult.objects.get()
    assert row.status == "SUCCESSFUL", row.traceback
    assert row.return_value == {"reminders": [], "suspended": []}
    assert ScheduledJob.objects.get(name="filing-sweep").last_slot == at("2026-03-02 06:00")
    call_command("worker", "--once")  # the same due moment: not again
    assert DBTaskResult.objects.count() == 1
