"""Reads of the yearly assessment, scoped to the user (restrict / get_scoped)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet

from zhucan.accounts.scoping import get_scoped, restrict
from zhucan.assessment.models import Assessment, Grade, IndicatorTable, Status
from zhucan.regions.models import Level


def published_result(canteen_id: int, year: int) -> tuple[Decimal, str] | None:
    """(total 0–100, grade code excellent / good / pass / fail) of the canteen's published
    assessment of the year, or None (contract: Evaluation)."""
    row = (Assessment.objects.filter(canteen_id=canteen_id, table__year=year, status=Status.PUBLISHED)
           .values_list("total", "grade").first())
    return (row[0], row[1]) if row else None


def table_list(*, user) -> QuerySet[IndicatorTable]:
    return restrict(IndicatorTable.objects.select_related("region"), user, "view").order_by("-year", "region__path")


def table_get(*, user, table_id: int) -> IndicatorTable:
    return get_scoped(IndicatorTable.objects.select_related("region"), user, "view", pk=table_id,
                      what_zh="评估指标体系", what_en="indicator table")


def assessment_list(*, user, year: int | None = None, table_id: int | None = None,
                    action: str = "view") -> QuerySet[Assessment]:
    qs = restrict(Assessment.objects.select_related("table__region", "canteen__region"), user, action)
    if year:
        qs = qs.filter(table__year=year)
    if table_id:
        qs = qs.filter(table_id=table_id)
    return qs.order_by("-table__year", "canteen__region__path", "canteen__name")


def assessment_get(*, user, assessment_id: int) -> Assessment:
    return get_scoped(Assessment.objects.select_related("table__region", "canteen__region", "published_by"),
                      user, "view", pk=assessment_id, what_zh="评估", what_en="assessment")


@dataclass
class DistrictRank:
    district: str
    count: int = 0
    mean: Decimal | None = None
    grades: dict[str, int] = field(default_factory=dict)


def rankings(*, user, year: int) -> tuple[list[DistrictRank], list[Assessment]]:
    """The city's view of a year's published results: each district's mean total and grade counts
    (best first), and every canteen ranked by total."""
    published = list(assessment_list(user=user, year=year).filter(status=Status.PUBLISHED)
                     .order_by("-total", "canteen__name"))
    by_district: dict[str, list[Assessment]] = defaultdict(list)
    for a in published:
        district = a.canteen.region.ancestor(Level.DISTRICT)
        by_district[district.name if district else ""].append(a)
    ranks = []
    for name, rows in by_district.items():
        mean = (sum((a.total for a in rows), Decimal(0)) / len(rows)).quantize(Decimal("0.1"))
        grades = {g.label: sum(1 for a in rows if a.grade == g.value) for g in Grade}
        ranks.append(DistrictRank(district=name, count=len(rows), mean=mean, grades=grades))
    ranks.sort(key=lambda r: (-(r.mean or 0), r.district))
    return ranks, published
