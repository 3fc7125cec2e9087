"""Background tasks of the filing app (run by `zhucan worker`, see zhucan.core.scheduler)."""

from __future__ import annotations

from django_tasks import task

from zhucan.filing.sweep import filing_sweep


@task()
def filing_sweep_task() -> dict:
    """The daily designation sweep: reminders ahead of lapses; suspension after a lapsed licence."""
    return filing_sweep().as_dict()
