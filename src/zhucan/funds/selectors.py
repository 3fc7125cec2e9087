"""Reads of the funds capability, scoped to the user (restrict / get_scoped)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, QuerySet

from zhucan.accounts.scoping import get_scoped, restrict
from zhucan.canteens.models import Canteen, CanteenStatus
from zhucan.checkout.models import Meal, MealKind
from zhucan.funds.models import (
    CanteenEvaluation,
    ConstructionSubsidy,
    ConstructionTarget,
    OperatingReward,
    SubsidyEvidence,
    SubsidyStatus,
)


def meal_counts(*, canteen_ids: list[int], year: int) -> dict[int, int]:
    """LC-5 人次 per canteen for a calendar year, from the ledger: elders' sales dated in the year
    (local_date) minus the voids and refunds of those sales. A reversal counts against the year of
    the meal it reverses, so that a January refund of a December meal lowers December's year."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    sales = (Meal.objects.filter(canteen_id__in=canteen_ids, kind=MealKind.SALE, elder__isnull=False,
                                 local_date__range=(start, end))
             .values("canteen_id").annotate(n=Count("id")).order_by())
    reversals = (Meal.objects.filter(canteen_id__in=canteen_ids, kind__in=[MealKind.VOID, MealKind.REFUND],
                                     reverses__elder__isnull=False, reverses__local_date__range=(start, end))
                 .values("canteen_id").annotate(n=Count("id")).order_by())
    counts = {row["canteen_id"]: row["n"] for row in sales}
    for row in reversals:
        counts[row["canteen_id"]] = counts.get(row["canteen_id"], 0) - row["n"]
    return {k: max(0, v) for k, v in counts.items()}


def subsidy_list(*, user, action: str = "view", status: str = "") -> QuerySet[ConstructionSubsidy]:
    qs = restrict(ConstructionSubsidy.objects.select_related("canteen__region__parent", "applied_by"), user, action)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("canteen__region__path", "canteen__name", "-applied_at")


def subsidy_get(*, user, subsidy_id: int) -> ConstructionSubsidy:
    return get_scoped(
        ConstructionSubsidy.objects.select_related("canteen__region", "applied_by", "reviewed_by", "approved_by",
                                                   "paid_by"),
        user, "view", pk=subsidy_id, what_zh="建设补贴申请", what_en="subsidy application")


def subsidy_evidence(*, subsidy: ConstructionSubsidy) -> QuerySet[SubsidyEvidence]:
    return subsidy.evidence.defer("content").select_related("uploaded_by")


def evidence_get(*, user, evidence_id: int) -> SubsidyEvidence:
    return get_scoped(SubsidyEvidence.objects.all(), user, "view", pk=evidence_id, what_zh="佐证材料",
                      what_en="evidence")


def canteens_for_apply(*, user) -> QuerySet[Canteen]:
    """Canteens in scope that may still apply: none with a live (not rejected) application."""
    live = ConstructionSubsidy.objects.exclude(status__in=[SubsidyStatus.REJECTED, SubsidyStatus.RETURNED])
    return (restrict(Canteen.objects.select_related("region"), user, "view")
            .exclude(status=CanteenStatus.CLOSED)
            .exclude(pk__in=live.values("canteen_id")).order_by("region__path", "name"))


@dataclass
class TargetProgress:
    """LC-1: where a district stands against its construction target."""

    target: ConstructionTarget
    planned: int = 0
    under_construction: int = 0
    opened_by_deadline: int = 0  # open (or later suspended) with opening_date ≤ deadline: counts
    opened_after_deadline: int = 0
    opened_undated: int = 0  # open but no opening date recorded: cannot count yet
    closed: int = 0
    subsidy_paid: int = 0
    canteens: list[dict] = field(default_factory=list)

    @property
    def percent(self) -> int:
        return min(100, self.opened_by_deadline * 100 // self.target.target_count)

    @property
    def met(self) -> bool:
        return self.opened_by_deadline >= self.target.target_count


_STATE_ZH = {
    "planned": "规划中", "under_construction": "建设中", "opened_by_deadline": "按期建成",
    "opened_after_deadline": "逾期建成", "opened_undated": "运营中（未登记开业日期）", "closed": "已关闭",
}


def _bucket(canteen: Canteen, deadline: date) -> str:
    if canteen.status == CanteenStatus.PLANNED:
        return "planned"
    if canteen.status == CanteenStatus.UNDER_CONSTRUCTION:
        return "under_construction"
    if canteen.status == CanteenStatus.CLOSED:
        return "closed"
    # open or suspended: it was built; the date it opened says whether it met the deadline.
    if canteen.opening_date is None:
        return "opened_undated"
    return "opened_by_deadline" if canteen.opening_date <= deadline else "opened_after_deadline"


def target_progress(*, user) -> list[TargetProgress]:
    """LC-1 progress for every target the user may see: the district's canteens by state."""
    out = []
    for target in restrict(ConstructionTarget.objects.select_related("region"), user, "view"):
        progress = TargetProgress(target=target)
        canteens = Canteen.objects.filter(region__path__startswith=target.region.path).select_related("region")
        paid = set(ConstructionSubsidy.objects.filter(canteen__in=canteens, status=SubsidyStatus.PAID)
                   .values_list("canteen_id", flat=True))
        subsidy_state = {s.canteen_id: s for s in ConstructionSubsidy.objects.filter(canteen__in=canteens)
                         .exclude(status=SubsidyStatus.REJECTED)}
        for canteen in canteens.order_by("opening_date", "name"):
            bucket = _bucket(canteen, target.deadline)
            setattr(progress, bucket, getattr(progress, bucket) + 1)
            subsidy = subsidy_state.get(canteen.pk)
            progress.canteens.append({
                "canteen": canteen, "state": bucket, "state_zh": _STATE_ZH[bucket],
                "subsidy": subsidy, "subsidy_paid": canteen.pk in paid,
            })
        progress.subsidy_paid = len(paid)
        out.append(progress)
    return out


def evaluation_list(*, user, year: int | None = None) -> QuerySet[CanteenEvaluation]:
    qs = restrict(CanteenEvaluation.objects.select_related("canteen__region", "entered_by"), user, "view")
    if year:
        qs = qs.filter(year=year)
    return qs.order_by("-year", "canteen__region__path", "canteen__name")


def reward_list(*, user, year: int | None = None, status: str = "", action: str = "view") -> QuerySet[OperatingReward]:
    qs = restrict(OperatingReward.objects.select_related("canteen__region__parent"), user, action)
    if year:
        qs = qs.filter(year=year)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-year", "canteen__region__path", "canteen__name")


def published_evaluation(*, canteen_id: int) -> CanteenEvaluation | None:
    """The latest published assessment result of a canteen, for its public page (no login: only
    what the district published — the total and the grade)."""
    return (CanteenEvaluation.objects.filter(canteen_id=canteen_id).exclude(grade="")
            .order_by("-year").first())
