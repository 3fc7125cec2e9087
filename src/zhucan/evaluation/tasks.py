"""Background tasks of the evaluation app (run by `zhucan worker`, see zhucan.core.scheduler)."""

from __future__ import annotations

from django_tasks import task

from zhucan.evaluation.services import complaints_escalate


@task()
def complaints_escalate_task() -> dict:
    """Hourly: complaints past their answer or closing deadline are escalated to the city."""
    return {"escalated": complaints_escalate()}
