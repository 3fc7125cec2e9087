"""Reads of the random inspections, scoped to the user; the public list of published results."""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet, Sum

from zhucan.accounts.scoping import get_scoped, restrict
from zhucan.core import clock
from zhucan.inspections.models import (
    CheckItem,
    Inspection,
    InspectionStatus,
    Inspector,
    Plan,
    PlanStatus,
)

DONE = [InspectionStatus.PASSED, InspectionStatus.RECTIFYING, InspectionStatus.RECTIFIED,
        InspectionStatus.NOT_RECTIFIED]


def findings_summary(canteen_id: int, start: date, end: date) -> tuple[int, int, int]:
    """(inspections recorded, items failed, rectifications overdue) of a canteen, by visit date in
    [start, end] (contract: Evaluation). Overdue: still to rectify past its deadline, or found not
    rectified at the follow-up."""
    qs = Inspection.objects.filter(canteen_id=canteen_id, status__in=DONE, visited_on__range=(start, end))
    today = clock.local_today()
    overdue = qs.filter(Q(status=InspectionStatus.NOT_RECTIFIED)
                        | Q(status=InspectionStatus.RECTIFYING, rectify_by__lt=today)).count()
    return qs.count(), qs.aggregate(n=Sum("failed_items"))["n"] or 0, overdue


def plan_list(*, user) -> QuerySet[Plan]:
    return restrict(Plan.objects.select_related("region"), user, "view").order_by("-created_at", "-id")


def plan_get(*, user, plan_id: int) -> Plan:
    return get_scoped(Plan.objects.select_related("region", "drawn_by"), user, "view", pk=plan_id,
                      what_zh="检查计划", what_en="plan")


def plan_inspections(plan: Plan) -> QuerySet[Inspection]:
    return (plan.inspections.select_related("canteen__region", "recorded_by")
            .prefetch_related("inspectors").order_by("canteen__region__path", "canteen__name"))


def roster(*, user) -> QuerySet[Inspector]:
    return restrict(Inspector.objects.select_related("region", "user"), user, "view").filter(active=True)


def check_items(*, user) -> QuerySet[CheckItem]:
    return restrict(CheckItem.objects.select_related("region"), user, "view").filter(active=True)


def mine(*, user) -> QuerySet[Inspection]:
    """Inspections the user was drawn for that still wait for them (a visit or a follow-up)."""
    return (Inspection.objects.filter(inspectors=user, plan__status=PlanStatus.DRAWN,
                                      status__in=[InspectionStatus.DRAWN, InspectionStatus.RECTIFYING])
            .select_related("plan", "canteen__region").order_by("plan_id", "canteen__name"))


def published(*, city_code: str | None = None) -> QuerySet[Inspection]:
    """一公开: every inspection of a published plan (no login)."""
    qs = (Inspection.objects.filter(plan__status=PlanStatus.PUBLISHED)
          .select_related("plan__region", "canteen__region").order_by("-visited_on", "canteen__name"))
    return qs
