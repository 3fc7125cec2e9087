"""Periodic jobs, as data (settings.ZHUCAN_PERIODIC_JOBS): each is a task of the tasks framework
(django-tasks, database backend) enqueued when due, either every N minutes or daily at a local time
in Asia/Shanghai. `zhucan worker` calls `tick()` between runs of the task worker.

A job's due moments are slots: the latest moment at or before now when it was due. A slot is
claimed with a conditional UPDATE on the job's row and the task enqueued in the same transaction,
so it is enqueued once however many times or from however many workers `tick()` runs. A worker
that was down enqueues a missed job once when it starts again (not once per missed slot)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from zhucan.core import clock
from zhucan.core.models import ScheduledJob

_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    task: str  # dotted path of a task (django_tasks.task)
    every: timedelta | None = None
    daily_at: time | None = None  # local time, Asia/Shanghai

    def slot(self, now: datetime) -> datetime:
        """The latest due moment at or before `now`."""
        if self.every is not None:
            return _EPOCH + ((now - _EPOCH) // self.every) * self.every
        local = now.astimezone(clock.LOCAL_TZ)
        due = datetime.combine(local.date(), self.daily_at, clock.LOCAL_TZ)
        return due if due <= local else datetime.combine(local.date() - timedelta(days=1), self.daily_at,
                                                         clock.LOCAL_TZ)


def _job(raw: dict) -> PeriodicJob:
    name, task = raw.get("name"), raw.get("task")
    if not name or not task:
        raise ImproperlyConfigured(f"a periodic job needs a name and a task: {raw!r}")
    minutes, daily = raw.get("every_minutes"), raw.get("daily_at")
    if (minutes is None) == (daily is None):
        raise ImproperlyConfigured(f"periodic job {name}: give either every_minutes or daily_at")
    if minutes is not None:
        if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes < 1:
            raise ImproperlyConfigured(f"periodic job {name}: every_minutes must be a positive integer")
        return PeriodicJob(name, task, every=timedelta(minutes=minutes))
    try:
        at = time.fromisoformat(daily)
    except (TypeError, ValueError):
        raise ImproperlyConfigured(f"periodic job {name}: daily_at must be HH:MM, got {daily!r}") from None
    return PeriodicJob(name, task, daily_at=at)


def jobs() -> list[PeriodicJob]:
    return [_job(raw) for raw in getattr(settings, "ZHUCAN_PERIODIC_JOBS", [])]


def _claim(job: PeriodicJob, slot: datetime, now: datetime) -> bool:
    if ScheduledJob.objects.filter(name=job.name, last_slot__lt=slot).update(last_slot=slot, enqueued_at=now):
        return True
    if ScheduledJob.objects.filter(name=job.name).exists():
        return False
    try:
        with transaction.atomic():
            ScheduledJob.objects.create(name=job.name, last_slot=slot, enqueued_at=now)
    except IntegrityError:  # another worker claimed it first
        return False
    return True


def tick(now: datetime | None = None) -> list[str]:
    """Enqueue every job that is due and not yet enqueued for its slot; returns their names."""
    now = now or clock.now()
    enqueued = []
    for job in jobs():
        task = import_string(job.task)
        with transaction.atomic():
            if _claim(job, job.slot(now), now):
                task.enqueue()
                enqueued.append(job.name)
    return enqueued
