"""The dashboards' reads (HZ-10, LC-7): every figure comes from the roll-ups the ledger keeps
(`checkout.models`, bottom), never from a scan of the raw meals, scoped to the user with `restrict`
(a region-bound user sees the rows under their node's path, canteen staff their own canteen's rows).
Coverage divides by the elder registry (eligible registered elders), which is scoped the same way.

Which roll-up answers: a city's or a district's figures that do not name a canteen come from the
district roll-ups (a city's year is 13 districts' rows, not 2,000 canteens'); everyone else's, and
per-canteen figures, from the canteen roll-ups. A range is read as whole months (month roll-ups)
plus the days at either end (day roll-ups). Distinct elders over whole months read the elder's
year row (one per elder and calendar year, a bit per month), the days at either end the elder's
month row (a bit per day).

Money stays integer fen here; the views turn it into yuan at the edge.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import connection
from django.db.models import BooleanField, Case, F, IntegerField, Max, QuerySet, Sum, Value, When
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from zhucan.accounts.models import CANTEEN_ROLES
from zhucan.accounts.scoping import restrict
from zhucan.analytics.reached import ate_in_range, month_masks
from zhucan.canteens.models import Canteen
from zhucan.checkout.models import (
    BenefitRuleDayRollup,
    BenefitRuleMonthRollup,
    CanteenDayRollup,
    CanteenMonthRollup,
    CanteenMonthTotalRollup,
    CommunityDayRollup,
    DistrictDayRollup,
    DistrictMonthRollup,
    DistrictResidentDayRollup,
    ElderMonthRollup,
    ElderYearRollup,
    Meal,
)
from zhucan.core import clock
from zhucan.elders.models import Elder, ElderReach, ElderStatus, Tag, Verification
from zhucan.regions.models import Level as RegionLevel
from zhucan.regions.models import Region

FUNDERS = ("city", "district", "canteen", "other")
MONEY_FIELDS = ("gross_fen", "benefit_fen", "payable_fen", "benefit_city_fen", "benefit_district_fen",
                "benefit_canteen_fen", "benefit_other_fen")
COUNT_FIELDS = ("meals", "elder_meals", "sales", "voids", "refunds")
# Age bands for coverage (full years on the range's last day).
AGE_BANDS: tuple[tuple, ...] = (
    (_("60岁以下"), 0, 59), (_("60–69岁"), 60, 69), (_("70–79岁"), 70, 79), (_("80–89岁"), 80, 89),
    (_("90岁及以上"), 90, None),
)
NOT_REACHED_DAYS = 30


@dataclass(frozen=True)
class Range:
    """A range of local dates, both ends inclusive."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Range:
        """The period of equal length just before this one."""
        end = self.start - timedelta(days=1)
        return Range(end - timedelta(days=self.days - 1), end)

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]


@dataclass
class Totals:
    meals: int = 0
    elder_meals: int = 0
    sales: int = 0
    voids: int = 0
    refunds: int = 0
    gross_fen: int = 0
    benefit_fen: int = 0
    payable_fen: int = 0
    benefit_city_fen: int = 0
    benefit_district_fen: int = 0
    benefit_canteen_fen: int = 0
    benefit_other_fen: int = 0
    elders: int | None = None  # distinct elders who ate (None: not known to this user's scope)

    @property
    def average_bill_fen(self) -> int:
        """Gross per net meal, rounded half up to the fen (0 with no meals)."""
        return divide_half_up(self.gross_fen, self.meals)

    def funders(self) -> dict[str, int]:
        return {f: getattr(self, f"benefit_{f}_fen") for f in FUNDERS}


@dataclass
class Coverage:
    label: str
    eligible: int = 0
    reached: int = 0

    @property
    def permille(self) -> int:
        """Coverage in tenths of a percent (integer, half up): 1 of 3 → 333 (33.3%)."""
        return divide_half_up(self.reached * 1000, self.eligible)


@dataclass
class CoverageReport:
    total: Coverage
    by_subdistrict: list[Coverage] = field(default_factory=list)
    by_community: list[Coverage] = field(default_factory=list)
    by_age: list[Coverage] = field(default_factory=list)
    by_tag: list[Coverage] = field(default_factory=list)


def divide_half_up(numerator: int, denominator: int) -> int:
    if denominator <= 0:
        return 0
    sign = -1 if numerator < 0 else 1
    return sign * ((2 * abs(numerator) + denominator) // (2 * denominator))


def _sums(fields=COUNT_FIELDS + MONEY_FIELDS) -> dict:
    return {f: Sum(f) for f in fields}


def _totals_from(row: dict) -> Totals:
    return Totals(**{f: int(row.get(f) or 0) for f in COUNT_FIELDS + MONEY_FIELDS})


# ---- scoped roll-up rows --------------------------------------------------------------------------


def split_range(start: date, end: date) -> tuple[list[tuple[date, date]], tuple[date, date] | None]:
    """[start, end] as (edge day ranges, whole months): the partial months at either end as day
    ranges (read from the day roll-ups) and the first days of the first and last whole months in
    between (read from the month roll-ups), or None when no month lies wholly inside."""
    if end < start:
        return [], None
    first_whole = start if start.day == 1 else (start.replace(day=1) + timedelta(days=32)).replace(day=1)
    last_of_end = calendar.monthrange(end.year, end.month)[1]
    last_whole = end.replace(day=1)
    if end.day != last_of_end:
        last_whole = (last_whole - timedelta(days=1)).replace(day=1)
    if first_whole > last_whole:
        return [(start, end)], None
    edges = []
    if start < first_whole:
        edges.append((start, first_whole - timedelta(days=1)))
    after_last = (last_whole + timedelta(days=32)).replace(day=1)
    if after_last <= end:
        edges.append((after_last, end))
    return edges, (first_whole, last_whole)


def _summed(day_model, month_model, *, user, start: date, end: date, group: tuple[str, ...],
            sums: dict) -> list[dict]:
    """Rows grouped by `group` with `sums`, over [start, end]: whole months from the month
    roll-up, the edge days from the day roll-up, added together (the same figures as the day
    roll-up alone, from far fewer rows over long ranges)."""
    edges, months = split_range(start, end)
    parts = []
    for lo, hi in edges:
        parts.append(restrict(day_model.objects.filter(local_date__range=(lo, hi)), user, "view"))
    if months is not None:
        parts.append(restrict(month_model.objects.filter(month__range=months), user, "view"))
    out: dict[tuple, dict] = {}
    for qs in parts:
        rows = qs.values(*group).annotate(**sums).order_by() if group else [qs.aggregate(**sums)]
        for r in rows:
            key = tuple(r[g] for g in group)
            acc = out.get(key)
            if acc is None:
                out[key] = {**r, **{k: int(r[k] or 0) for k in sums}}
            else:
                for k in sums:
                    acc[k] += int(r[k] or 0)
    return list(out.values())


def by_district(user) -> bool:
    """Whether the user's figures may be read from the district roll-ups: a superuser, or a
    region-bound user at a city or district node (below, a district's rows would be too wide)."""
    if user.is_superuser:
        return True
    return bool(user.role not in CANTEEN_ROLES and user.region_id and user.region.level in ("city", "district"))


def canteen_sums(*, user, start: date, end: date, group: tuple[str, ...] = (), fields=None) -> list[dict]:
    """The canteen roll-up's sums over the range grouped by `group` (canteen_id, region_path,
    period, identified_by): from the district roll-ups when the grouping allows and the user's
    node is wide enough (the same figures from far fewer rows)."""
    sums = _sums(fields or COUNT_FIELDS + MONEY_FIELDS)
    if set(group) <= {"period", "identified_by"} and by_district(user):
        return _summed(DistrictDayRollup, DistrictMonthRollup, user=user, start=start, end=end, group=group,
                       sums=sums)
    return _summed(CanteenDayRollup, CanteenMonthRollup, user=user, start=start, end=end, group=group, sums=sums)


def canteen_rows(*, user, start: date, end: date) -> QuerySet[CanteenDayRollup]:
    return restrict(CanteenDayRollup.objects.filter(local_date__range=(start, end)), user, "view")


def day_rows(*, user, start: date, end: date) -> QuerySet:
    """Day rows with the canteen sums, period and local_date: a district's when the user's node
    allows (by_district), else a canteen's."""
    model = DistrictDayRollup if by_district(user) else CanteenDayRollup
    return restrict(model.objects.filter(local_date__range=(start, end)), user, "view")


def rule_rows(*, user, start: date, end: date) -> QuerySet[BenefitRuleDayRollup]:
    return restrict(BenefitRuleDayRollup.objects.filter(local_date__range=(start, end)), user, "view")


def sees_elders(user) -> bool:
    """Distinct elders and coverage are figures of a jurisdiction's residents: region-bound users
    (and superusers) have them; a canteen's staff see their canteen's meals only."""
    return bool(user.is_superuser or (user.role not in CANTEEN_ROLES and user.region_id))


def _ate_in(qs: QuerySet[ElderMonthRollup], start: date, end: date) -> QuerySet[ElderMonthRollup]:
    """Elder-month rows with at least one eating day inside the range."""
    masks = month_masks(start, end)
    hit = Case(*[When(month=m, then=F("days_mask").bitand(mask)) for m, mask in masks],
               default=Value(0), output_field=IntegerField())
    return qs.filter(month__in=[m for m, _ in masks]).annotate(hit=hit).filter(hit__gt=0)


def _ate_in_months(qs: QuerySet[ElderYearRollup], first: date, last: date) -> QuerySet[ElderYearRollup]:
    """Elder-year rows with at least one eating month from the month `first` to the month `last`:
    within two calendar years the last year's row alone (it holds the year before 12 bits up: one
    row per elder), else a row per year."""
    def span(lo: int, hi: int) -> int:
        return ((1 << hi) - 1) ^ ((1 << (lo - 1)) - 1)

    if last.year - first.year <= 1:
        mask = span(first.month if first.year == last.year else 1, last.month)
        if first.year < last.year:
            mask |= span(first.month, 12) << 12
        return qs.filter(year=last.year).annotate(hit=F("months_mask").bitand(mask)).filter(hit__gt=0)
    masks = []
    for year in range(first.year, last.year + 1):
        lo = first.month if year == first.year else 1
        hi = last.month if year == last.year else 12
        masks.append((year, span(lo, hi)))
    hit = Case(*[When(year=y, then=F("months_mask").bitand(mask)) for y, mask in masks],
               default=Value(0), output_field=IntegerField())
    return qs.filter(year__in=[y for y, _ in masks]).annotate(hit=hit).filter(hit__gt=0)


def _eaters(start: date, end: date, scoped=lambda qs: qs) -> tuple[list[QuerySet], bool]:
    """The elder ids who ate in the range as querysets of roll-up rows (`values(eid=…)`): the
    whole months from the elder's year rows, the edge days from their month rows; and whether an
    elder may appear in more than one row (a distinct count is then needed)."""
    edges, months = split_range(start, end)
    parts = [_ate_in(scoped(ElderMonthRollup.objects.all()), lo, hi) for lo, hi in edges]
    if months is not None:
        parts.append(_ate_in_months(scoped(ElderYearRollup.objects.all()), *months))
    many_years = months is not None and months[1].year - months[0].year > 1
    many_months = any(len(month_masks(lo, hi)) > 1 for lo, hi in edges)
    return [p.values(eid=F("elder_id")).order_by() for p in parts], len(parts) > 1 or many_years or many_months


def distinct_elders(*, user, start: date, end: date) -> int | None:
    """Elders living in the user's jurisdiction who ate at least once in the range (anywhere)."""
    if not sees_elders(user):
        return None
    parts, overlap = _eaters(start, end, lambda qs: restrict(qs, user, "view"))
    if not parts:
        return 0
    if not overlap:
        return parts[0].count()
    if len(parts) == 1:
        return parts[0].distinct().count()
    return parts[0].union(*parts[1:]).count()


# ---- figures for a range --------------------------------------------------------------------------


def totals(*, user, start: date, end: date) -> Totals:
    rows = canteen_sums(user=user, start=start, end=end)
    t = _totals_from(rows[0] if rows else {})
    t.elders = distinct_elders(user=user, start=start, end=end)
    return t


def by_day(*, user, start: date, end: date) -> list[dict]:
    """One row per date of the range (zeros included): meals, 人次, benefit, and the distinct
    elders of the jurisdiction who ate that day (None for canteen staff)."""
    rows = {r["local_date"]: r for r in day_rows(user=user, start=start, end=end)
            .values("local_date").annotate(**_sums(("meals", "elder_meals", "gross_fen", "benefit_fen")))}
    elders: dict[date, int] = {}
    if sees_elders(user):
        model = DistrictResidentDayRollup if by_district(user) else CommunityDayRollup
        residents = restrict(model.objects.filter(local_date__range=(start, end)), user, "view")
        elders = {r["local_date"]: int(r["n"] or 0)
                  for r in residents.values("local_date").annotate(n=Sum("elders"))}
    out = []
    for day in Range(start, end).dates():
        r = rows.get(day, {})
        out.append({"date": day, "meals": int(r.get("meals") or 0), "elder_meals": int(r.get("elder_meals") or 0),
                    "gross_fen": int(r.get("gross_fen") or 0), "benefit_fen": int(r.get("benefit_fen") or 0),
                    "elders": elders.get(day, 0) if sees_elders(user) else None})
    return out


def by_period(*, user, start: date, end: date) -> dict[str, Totals]:
    """Period name ('breakfast', 'lunch', 'dinner', '' outside the periods) → totals."""
    return {r["period"]: _totals_from(r) for r in sorted(canteen_sums(user=user, start=start, end=end,
                                                                      group=("period",)), key=lambda r: r["period"])}


def by_method(*, user, start: date, end: date) -> dict[str, Totals]:
    """Identification method ('card', 'face', 'qr', … '' / 'none' for non-elder customers) → totals."""
    return {r["identified_by"]: _totals_from(r)
            for r in sorted(canteen_sums(user=user, start=start, end=end, group=("identified_by",)),
                            key=lambda r: r["identified_by"])}


def by_rule(*, user, start: date, end: date) -> list[dict]:
    """(rule id, funder) → benefit lines and amount, largest amount first."""
    rows = _summed(BenefitRuleDayRollup, BenefitRuleMonthRollup, user=user, start=start, end=end,
                   group=("rule_id", "funder"), sums={"lines": Sum("lines"), "amount_fen": Sum("amount_fen")})
    rows.sort(key=lambda r: (-r["amount_fen"], r["rule_id"], r["funder"]))
    return [{"rule_id": r["rule_id"], "funder": r["funder"], "lines": r["lines"], "amount_fen": r["amount_fen"]}
            for r in rows]


def _canteen_order(*, user, start: date, end: date) -> tuple[list[int], dict[int, dict]]:
    """The canteens with meals in the range, most meals first (then by name), and their sums."""
    # Whole months from the canteen's month totals (no period or method: 12 rows a canteen a year).
    sums = {r["canteen_id"]: r
            for r in _summed(CanteenDayRollup, CanteenMonthTotalRollup, user=user, start=start, end=end,
                             group=("canteen_id",), sums=_sums())}
    # The names of every canteen in scope: no list of 2,000 ids to send (and parse) for a city.
    names = dict(restrict(Canteen.objects.all(), user, "view").values_list("pk", "name"))
    order = sorted((pk for pk in sums if pk in names), key=lambda pk: (-int(sums[pk]["meals"] or 0), names[pk]))
    return order, sums


def _canteen_rows(canteens: QuerySet[Canteen], order: list[int], sums: dict[int, dict]) -> list[tuple[Canteen, Totals]]:
    # Only what the tables show: a city's 2,000 canteens as full model rows cost more than the sums.
    by_pk = canteens.select_related("region").only("name", "region__name").in_bulk()
    return [(by_pk[pk], _totals_from(sums[pk])) for pk in order]


def by_canteen(*, user, start: date, end: date) -> list[tuple[Canteen, Totals]]:
    """Per canteen operating results, most meals first: every canteen with a meal (the export)."""
    order, sums = _canteen_order(user=user, start=start, end=end)
    # Every canteen in scope by the scope itself: no IN list of 2,000 ids to send and parse.
    return _canteen_rows(restrict(Canteen.objects.all(), user, "view"), order, sums)


def by_canteen_page(*, user, start: date, end: date, size: int) -> tuple[list[tuple[Canteen, Totals]], int]:
    """The first `size` canteens of `by_canteen` (the dashboard's table and the big screen) and how
    many canteens had a meal: a city's 2,000 rows are built for the export only."""
    order, sums = _canteen_order(user=user, start=start, end=end)
    return _canteen_rows(Canteen.objects.filter(pk__in=order[:size]), order[:size], sums), len(order)


def idle_canteens(*, user, exclude: set[int]) -> list[Canteen]:
    """Operating canteens in the user's scope with no meal in the range (listed after the others,
    so an official sees who served nobody)."""
    return list(restrict(Canteen.objects.filter(status="open").exclude(pk__in=exclude), user, "view")
                .select_related("region").order_by("region__path", "name"))


def _node_of(user) -> Region | None:
    if user.is_superuser or user.role in CANTEEN_ROLES:
        return None
    return user.region


def by_child_region(*, user, start: date, end: date) -> list[tuple[Region, Totals]]:
    """The user's node one level down (city → districts, district → subdistricts): totals of the
    canteens under each child. Canteen rows are grouped by their path, then folded to the child."""
    if not user.is_superuser and user.role in CANTEEN_ROLES:
        return []
    node = _node_of(user)
    if node is None:
        children = list(Region.objects.filter(level="city").order_by("path"))
    else:
        children = list(Region.objects.filter(parent=node).order_by("path"))
    if not children:
        return []
    out = {c.pk: Totals() for c in children}
    if node is None or node.level == "city":
        # The children are districts: the district roll-ups, one row group per district.
        rows = _summed(DistrictDayRollup, DistrictMonthRollup, user=user, start=start, end=end,
                       group=("region_path",), sums=_sums())
    else:
        rows = canteen_sums(user=user, start=start, end=end, group=("region_path",))
    for r in rows:
        for c in children:
            if r["region_path"].startswith(c.path):
                t = out[c.pk]
                for f in COUNT_FIELDS + MONEY_FIELDS:
                    setattr(t, f, getattr(t, f) + int(r[f] or 0))
                break
    return [(c, out[c.pk]) for c in children]


def latest_day_with_data(*, user, today: date) -> date | None:
    """The latest local date up to today with any meal in the user's scope."""
    model = DistrictDayRollup if by_district(user) else CanteenDayRollup
    return (restrict(model.objects.filter(local_date__lte=today, sales__gt=0), user, "view")
            .aggregate(d=Max("local_date"))["d"])


# ---- today ----------------------------------------------------------------------------------------


def today_live(*, user, today: date) -> dict:
    """Today so far: totals, meals and 人次 by period, benefit by funder."""
    return {"totals": totals(user=user, start=today, end=today),
            "periods": by_period(user=user, start=today, end=today)}


def latest_meals(*, user, today: date, limit: int = 20) -> list[Meal]:
    """Today's most recent ledger records in scope (the live feed of the big screen): one indexed
    read of the newest rows, never a scan."""
    return list(restrict(Meal.objects.filter(local_date=today), user, "view").select_related("canteen", "elder")
                .order_by("-at", "-id")[:limit])


# ---- coverage and the elders not reached ----------------------------------------------------------


def eligible_elders(*, user) -> QuerySet[Elder]:
    """Registered elders the programme serves: verified, active, not erased, in the user's scope —
    the definition `ElderReach.eligible` copies (its triggers, elders migration 0008: change both
    together)."""
    return restrict(Elder.objects.filter(status=ElderStatus.ACTIVE, verification=Verification.VERIFIED,
                                         erased_at__isnull=True), user, "view")


def eligible_reach(*, user) -> QuerySet[ElderReach]:
    """The reach rows of the eligible elders in the user's scope (the same elders as
    `eligible_elders`, kept so by the registry's triggers)."""
    return restrict(ElderReach.objects.filter(eligible=True), user, "view")


def _age_case(on: date) -> Case:
    """Age band index from the birth date (full years on `on`): one comparison per band, youngest
    first (born after the day one turned the next band's age → still in this band)."""
    whens = [When(birth_date__gt=_years_before(on, AGE_BANDS[i + 1][1]), then=Value(i))
             for i in range(len(AGE_BANDS) - 1)]
    return Case(*whens, default=Value(len(AGE_BANDS) - 1), output_field=IntegerField())


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February → 28 February
        return day.replace(year=day.year - years, day=28)


def _coverage_rows(*, user, start: date, end: date) -> list[tuple]:
    """(kind, key, age band, reached, elders) for the eligible elders of the user's scope: kind "c"
    per community (key: its id), kind "t" per set of tags (key: ",3,7,", the band 0). One scan of
    the reach rows (no join: each row knows whether its elder ate in the range), counted two ways."""
    hit, hit_params = ate_in_range(start, end, today=clock.local_today())
    rows = (eligible_reach(user=user).annotate(band=_age_case(end), hit=RawSQL(hit, hit_params, BooleanField()))
            .values("community_id", "band", "tag_ids", "hit").order_by())
    r_sql, r_params = rows.query.sql_with_params()
    if connection.vendor == "postgresql":
        statement = f"""
            SELECT CASE WHEN GROUPING(s.community_id) = 0 THEN 'c' ELSE 't' END,
              CASE WHEN GROUPING(s.community_id) = 0 THEN CAST(s.community_id AS TEXT) ELSE s.tag_ids END,
              COALESCE(s.band, 0), s.hit, COUNT(*)
            FROM ({r_sql}) s GROUP BY GROUPING SETS ((s.community_id, s.band, s.hit), (s.tag_ids, s.hit))"""
    else:
        statement = f"""
            WITH s AS ({r_sql})
            SELECT 'c', CAST(community_id AS TEXT), band, hit, COUNT(*) FROM s GROUP BY community_id, band, hit
            UNION ALL
            SELECT 't', tag_ids, 0, hit, COUNT(*) FROM s GROUP BY tag_ids, hit"""
    with connection.cursor() as cur:
        cur.execute(statement, r_params)
        return cur.fetchall()


def coverage(*, user, start: date, end: date) -> CoverageReport | None:
    """Eligible registered elders who ate at least once in the range ÷ eligible registered elders,
    overall, per subdistrict and community, per age band (on the range's last day) and per tag."""
    if not sees_elders(user):
        return None
    communities: dict[int, Coverage] = {}
    ages: dict[int, Coverage] = {}
    tags: dict[str, Coverage] = {}
    tag_names = dict(Tag.objects.values_list("pk", "name"))
    total = Coverage(str(_("合计")))
    for kind, key, band, hit, n in _coverage_rows(user=user, start=start, end=end):
        if kind == "t":
            names = {tag_names[int(pk)] for pk in key.split(",") if pk and int(pk) in tag_names}
            cells = [tags[name] if name in tags else tags.setdefault(name, Coverage(name)) for name in names]
        else:
            community, band = int(key), int(band)
            if community not in communities:
                communities[community] = Coverage("")
            if band not in ages:
                ages[band] = Coverage(str(AGE_BANDS[band][0]))
            cells = [total, communities[community], ages[band]]
        for cell in cells:
            cell.eligible += n
            cell.reached += n if hit else 0
    report = CoverageReport(total)
    # A city's 2,000 communities by scope, not by an IN list of their ids; their subdistricts with them.
    in_scope = restrict(Region.objects.all(), user, "view")
    regions = in_scope.filter(level=RegionLevel.COMMUNITY).order_by("path").values_list("pk", "name", "parent_id")
    sub_names = dict(in_scope.filter(level=RegionLevel.SUBDISTRICT).values_list("pk", "name"))
    subs: dict[int, Coverage] = {}
    for pk, name, parent_id in regions:
        c = communities.get(pk)
        if c is None:
            continue
        c.label = name
        report.by_community.append(c)
        if parent_id not in subs:
            subs[parent_id] = Coverage(sub_names.get(parent_id, ""))
        subs[parent_id].eligible += c.eligible
        subs[parent_id].reached += c.reached
    report.by_subdistrict = list(subs.values())
    report.by_age = [ages[i] for i in range(len(AGE_BANDS)) if i in ages]
    report.by_tag = [tags[name] for name in sorted(tags)]
    return report


def not_reached(*, user, today: date, days: int = NOT_REACHED_DAYS) -> QuerySet[ElderReach]:
    """The reach rows of the eligible elders of the jurisdiction with no meal in the last `days` days
    up to today, by community and name: the list a community worker visits (`page_elders` loads a
    page's elders): read in the order of the reach rows' index `elder_reach_listed`."""
    if not sees_elders(user):
        return ElderReach.objects.none()
    start = today - timedelta(days=days - 1)
    hit, hit_params = ate_in_range(start, today, today=today)
    return (eligible_reach(user=user).alias(hit=RawSQL(hit, hit_params, BooleanField())).filter(hit=False)
            .order_by("region_path", "name", "elder_id"))


def page_elders(rows) -> list[Elder]:
    """The elders of some reach rows, in their order, with community, subdistrict and tags."""
    ids = [r.elder_id for r in rows]
    elders = Elder.objects.select_related("community", "community__parent").prefetch_related("tags").in_bulk(ids)
    return [elders[pk] for pk in ids if pk in elders]


def last_meal_dates(elder_ids: list[int]) -> dict[int, date]:
    """The last day each elder ate (from the elder-month roll-up), for the listed elders only."""
    out: dict[int, date] = {}
    rows = (ElderMonthRollup.objects.filter(elder_id__in=elder_ids, days_mask__gt=0)
            .values("elder_id", "month", "days_mask").order_by("elder_id", "-month"))
    for r in rows:
        if r["elder_id"] in out:
            continue
        out[r["elder_id"]] = r["month"].replace(day=int(r["days_mask"]).bit_length())
    return out


def by_period_per_day(*, user, start: date, end: date) -> dict[str, dict[date, int]]:
    """Meals per period per date (for the stacked chart)."""
    out: dict[str, dict[date, int]] = defaultdict(dict)
    for r in (day_rows(user=user, start=start, end=end).values("period", "local_date")
              .annotate(m=Sum("meals"))):
        out[r["period"]][r["local_date"]] = int(r["m"] or 0)
    return dict(out)
