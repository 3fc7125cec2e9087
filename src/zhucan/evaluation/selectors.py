"""Reads of ratings and complaints: the contract selectors other apps read (`satisfaction`,
`complaint_timeliness`: the yearly assessment fills its automatic items from them), the consoles'
lists scoped to the actor, and the phone page's views of one elder."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum

from zhucan.accounts.scoping import get_scoped, restrict
from zhucan.canteens.models import Canteen, PeriodName
from zhucan.checkout.models import Meal, MealKind
from zhucan.core import clock
from zhucan.elders.models import Elder
from zhucan.evaluation.models import Complaint, Rating, Status
from zhucan.evaluation.services import RATING_WINDOW_DAYS
from zhucan.regions.models import Level, Region

_TENTH = Decimal("0.1")
_SUM = F("taste") + F("portion") + F("hygiene") + F("service")


def _span(start: date, end: date) -> tuple[datetime, datetime]:
    return (datetime.combine(start, time.min, clock.LOCAL_TZ),
            datetime.combine(end + timedelta(days=1), time.min, clock.LOCAL_TZ))


def score_0_100(total: int | None, n: int) -> Decimal | None:
    """The mean of the four dimensions over `n` ratings, on 0–100 (1 star → 0, 5 stars → 100)."""
    if not n or total is None:
        return None
    return ((Decimal(total) - 4 * n) * 25 / (4 * n)).quantize(_TENTH)


# ---------------------------------------------------------------------------------------------
# The contract (docs: /work notes "Evaluation"): unscoped, called by other apps' services


def satisfaction(canteen_id: int, start: date, end: date) -> tuple[Decimal | None, int]:
    """Elders' satisfaction with the canteen over the meals of [start, end] (local dates): the mean
    rating on a 0–100 scale (mean of taste, portion, hygiene and service; 1 → 0, 5 → 100) and the
    number of ratings; None when there are none (LC-6: satisfaction is an evaluation dimension)."""
    row = Rating.objects.filter(canteen_id=canteen_id, meal_date__gte=start, meal_date__lte=end).aggregate(
        total=Sum(_SUM), n=Count("id"))
    return score_0_100(row["total"], row["n"]), row["n"]


def complaint_timeliness(canteen_id: int, start: date, end: date) -> tuple[int, int]:
    """(closed within the deadline, total received) of the complaints and suggestions about the
    canteen received in [start, end] (local dates)."""
    lo, hi = _span(start, end)
    qs = Complaint.objects.filter(canteen_id=canteen_id, received_at__gte=lo, received_at__lt=hi)
    row = qs.aggregate(total=Count("id"), on_time=Count("id", filter=Q(status=Status.CLOSED,
                                                                     closed_at__lte=F("close_due"))))
    return row["on_time"], row["total"]


# ---------------------------------------------------------------------------------------------
# Consoles (scoped)


def ratings(*, user, canteen_id: int | None = None, start: date | None = None, end: date | None = None) -> QuerySet:
    qs = restrict(Rating.objects.select_related("canteen", "elder", "meal", "recorded_by"), user, "view")
    if canteen_id:
        qs = qs.filter(canteen_id=canteen_id)
    if start:
        qs = qs.filter(meal_date__gte=start)
    if end:
        qs = qs.filter(meal_date__lte=end)
    return qs.order_by("-meal_date", "-id")


def month_starts(today: date, months: int) -> list[date]:
    first = today.replace(day=1)
    out = []
    for _ in range(months):
        out.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return list(reversed(out))


@dataclass
class CanteenTrend:
    canteen: Canteen
    cells: list[tuple[Decimal | None, int]]  # per month: (score 0–100, ratings)
    total: tuple[Decimal | None, int] = (None, 0)


def canteen_trends(*, user, months: int = 6, today: date | None = None) -> tuple[list[date], list[CanteenTrend]]:
    """Each canteen in scope with ratings: its satisfaction per month over the last `months` months."""
    today = today or clock.local_today()
    starts = month_starts(today, months)
    qs = (ratings(user=user, start=starts[0], end=today).values("canteen_id", "meal_date__year", "meal_date__month")
          .annotate(total=Sum(_SUM), n=Count("id")).order_by())
    cells: dict[int, dict[tuple[int, int], tuple[int, int]]] = {}
    for row in qs:
        cells.setdefault(row["canteen_id"], {})[(row["meal_date__year"], row["meal_date__month"])] = (row["total"],
                                                                                                     row["n"])
    canteens = Canteen.objects.filter(pk__in=cells).select_related("region").order_by("region__path", "name")
    out = []
    for canteen in canteens:
        mine = cells[canteen.pk]
        row_cells = [(score_0_100(*mine.get((m.year, m.month), (None, 0))), mine.get((m.year, m.month), (0, 0))[1])
                     for m in starts]
        total = sum(t for t, _n in mine.values())
        n = sum(n for _t, n in mine.values())
        out.append(CanteenTrend(canteen, row_cells, (score_0_100(total, n), n)))
    return starts, out


@dataclass
class DistrictRank:
    district: Region
    score: Decimal | None
    ratings: int
    canteens: int
    complaints: int
    on_time: int


def district_ranking(*, user, start: date, end: date) -> list[DistrictRank]:
    """The city's view: districts ranked by elders' satisfaction over [start, end], with their
    complaints received and closed on time."""
    by_district: dict[str, list] = {}
    for row in (ratings(user=user, start=start, end=end).values("canteen__region__path")
                .annotate(total=Sum(_SUM), n=Count("id")).order_by()):
        key = _district_path(row["canteen__region__path"])
        acc = by_district.setdefault(key, [0, 0, set(), 0, 0])
        acc[0] += row["total"] or 0
        acc[1] += row["n"]
    for canteen_id, path in ratings(user=user, start=start, end=end).values_list("canteen_id",
                                                                              "canteen__region__path").distinct():
        by_district.setdefault(_district_path(path), [0, 0, set(), 0, 0])[2].add(canteen_id)
    lo, hi = _span(start, end)
    for row in (complaints(user=user).filter(received_at__gte=lo, received_at__lt=hi).values("district__path")
                .annotate(n=Count("id"), on_time=Count("id", filter=Q(status=Status.CLOSED,
                                                                      closed_at__lte=F("close_due")))).order_by()):
        acc = by_district.setdefault(row["district__path"], [0, 0, set(), 0, 0])
        acc[3] += row["n"]
        acc[4] += row["on_time"]
    districts = {r.path: r for r in Region.objects.filter(path__in=by_district, level=Level.DISTRICT)}
    out = [DistrictRank(districts[p], score_0_100(a[0], a[1]), a[1], len(a[2]), a[3], a[4])
           for p, a in by_district.items() if p in districts]
    out.sort(key=lambda r: (r.score is None, -(r.score or 0), r.district.name))
    return out


def _district_path(path: str) -> str:
    # city/district/… : the district's path is the first two segments
    parts = [p for p in path.split("/") if p]
    return "/".join(parts[:2]) + "/" if len(parts) >= 2 else path


def complaints(*, user, status: str = "", overdue: bool = False, escalated: bool = False) -> QuerySet:
    qs = restrict(Complaint.objects.select_related("canteen", "district"), user, "view")
    if status in Status.values:
        qs = qs.filter(status=status)
    if overdue:
        now = clock.now()
        qs = qs.filter(Q(status__in=[Status.RECEIVED, Status.ASSIGNED], answer_due__lt=now)
                       | (~Q(status=Status.CLOSED) & Q(close_due__lt=now)))
    if escalated:
        qs = qs.filter(escalated_at__isnull=False)
    return qs.order_by("-received_at", "-id")


def complaint_counts(*, user) -> list[tuple[str, str, int]]:
    by = dict(complaints(user=user).values_list("status").annotate(n=Count("id")).order_by())
    return [(s.value, s.label, by.get(s.value, 0)) for s in Status]


def complaint_get(*, user, complaint_id: int) -> Complaint:
    return get_scoped(Complaint.objects.select_related("canteen__region", "district", "assigned_by", "answered_by",
                                                       "closed_by", "received_by", "elder"),
                      user, "view", what_zh="投诉建议", what_en="complaint", pk=complaint_id)


def elders_for_recording(*, user, q: str) -> QuerySet:
    """Elders of the staff member's jurisdiction whose name matches, for recording a rating."""
    q = (q or "").strip()
    if not q:
        return Elder.objects.none()
    return restrict(Elder.objects.select_related("community"), user, "view").filter(name__contains=q,
                                                                                   erased_at__isnull=True)[:20]


# ---------------------------------------------------------------------------------------------
# The phone page: one elder


@dataclass
class RateableMeal:
    meal: Meal
    canteen: str
    period: str
    rating: Rating | None
    reversed_as: str
    open: bool  # may still be rated now
    stars: list[int] = field(default_factory=list)


def rateable_meals(*, elder: Elder, now: datetime | None = None) -> list[RateableMeal]:
    """The elder's meals of the rating window, newest first: each rated (with its rating), open to a
    rating, or shown as voided / refunded."""
    now = now or clock.now()
    first_day = clock.local_date(now) - timedelta(days=RATING_WINDOW_DAYS)
    meals = (Meal.objects.filter(elder=elder, kind=MealKind.SALE, local_date__gte=first_day, at__lte=now)
             .select_related("canteen", "reversal", "rating").order_by("-at", "-id")[:40])
    periods = dict(PeriodName.choices)
    out = []
    for meal in meals:
        reversal = getattr(meal, "reversal", None)
        rating = getattr(meal, "rating", None)
        reversed_as = "" if reversal is None else ("已退款" if reversal.kind == MealKind.REFUND else "已撤销")
        out.append(RateableMeal(meal, meal.canteen.name, str(periods.get(meal.period, "")), rating, reversed_as,
                                open=rating is None and not reversed_as))
    return out


def elder_meal(*, elder: Elder, meal_id: int) -> Meal | None:
    return Meal.objects.filter(elder=elder, kind=MealKind.SALE, pk=meal_id).select_related("canteen").first()


def elder_complaints(*, elder: Elder) -> list[Complaint]:
    return list(Complaint.objects.filter(elder=elder).select_related("canteen").order_by("-received_at")[:20])


def elder_canteens(*, elder: Elder, now: datetime | None = None) -> list[Canteen]:
    """Canteens the elder ate at in the last 90 days (most recent first), for the complaint form."""
    now = now or clock.now()
    ids = list(Meal.objects.filter(elder=elder, kind=MealKind.SALE, at__gte=now - timedelta(days=90))
               .order_by("-at").values_list("canteen_id", flat=True)[:200])
    seen = list(dict.fromkeys(ids))
    by_id = Canteen.objects.in_bulk(seen)
    return [by_id[i] for i in seen if i in by_id]
