"""The ledger's roll-ups (HZ-10 dashboards), kept in the ledger's own transaction.

Every record `services._write` appends adds its share to four roll-ups (models.py, bottom) with
upserts that add to the existing row (`INSERT … ON CONFLICT DO UPDATE SET x = x + excluded.x`, the
same on PostgreSQL and SQLite): concurrent checkouts at one canteen, or of one community's elders,
add to the same rows without losing an increment, and a refused or failed commit rolls its share
back with the meal. On PostgreSQL the upserts are extra parts of the commit's one write statement
(`fastpath.WRITE_SQL`), so the hot path keeps its round trips.

Which day a record counts on: a sale its own local date; a void or refund the date of the sale it
reverses (as the elder's day usage does, usage_verification), so "meals that day" stays net. An
elder's day is "eaten" while the elder's net meals that day (`ElderDayUsage.meals`, locked by the
commit) are above zero: the commit knows the count before and after, and sets or clears the day's
bit in `ElderMonthRollup.days_mask` and adds ±1 to `CommunityDayRollup.elders` on a crossing.

`expected()` recomputes all four from the ledger (a GROUP BY per roll-up); `rollups_verify` holds
the stored rows against it to the fen, and `rollups_rebuild` rewrites them from it.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction
from django.db.models import Case, Count, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Coalesce

from zhucan.checkout.models import (
    BenefitLine,
    BenefitRuleDayRollup,
    CanteenDayRollup,
    CommunityDayRollup,
    ElderMonthRollup,
    Meal,
    MealKind,
)

# ---------------------------------------------------------------------------------------------
# Maintaining (inside the commit's transaction)

_CANTEEN_SUMS = ("meals", "elder_meals", "sales", "voids", "refunds", "gross_fen", "benefit_fen", "payable_fen",
                 "benefit_city_fen", "benefit_district_fen", "benefit_canteen_fen", "benefit_other_fen")


def _add(table: str, columns: tuple[str, ...]) -> str:
    return ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in columns)


# Each statement inserts nothing when its region id is NULL (a meal of no elder has no community).
CANTEEN_DAY_SQL = f"""
INSERT INTO checkout_canteendayrollup (canteen_id, region_path, local_date, period, identified_by,
  {", ".join(_CANTEEN_SUMS)})
SELECT %(r_canteen)s, r.path, %(r_day)s, %(r_period)s, %(r_method)s, %(r_meals)s, %(r_elder_meals)s, %(r_sales)s,
  %(r_voids)s, %(r_refunds)s, %(r_gross)s, %(r_benefit)s, %(r_payable)s, %(r_city)s, %(r_district)s,
  %(r_canteen_funded)s, %(r_other)s
FROM regions_region r WHERE r.id = %(r_region)s
ON CONFLICT (canteen_id, local_date, period, identified_by) DO UPDATE SET
  {_add("checkout_canteendayrollup", _CANTEEN_SUMS)}
"""

RULE_DAY_ONE_SQL = f"""
INSERT INTO checkout_benefitruledayrollup (canteen_id, region_path, local_date, rule_id, funder, lines, amount_fen)
SELECT %(r_canteen)s, r.path, %(r_day)s, %(rule_id)s, %(funder)s, %(lines)s, %(amount_fen)s
FROM regions_region r WHERE r.id = %(r_region)s
ON CONFLICT (canteen_id, local_date, rule_id, funder) DO UPDATE SET
  {_add("checkout_benefitruledayrollup", ("lines", "amount_fen"))}
"""

# PostgreSQL: every line of the record in one statement (the lines arrive summed per rule × funder,
# so no row is hit twice).
RULE_DAY_JSON_SQL = f"""
INSERT INTO checkout_benefitruledayrollup (canteen_id, region_path, local_date, rule_id, funder, lines, amount_fen)
SELECT %(r_canteen)s, r.path, %(r_day)s, x.rule_id, x.funder, x.lines, x.amount_fen
FROM regions_region r, jsonb_to_recordset(%(r_rules)s::jsonb) AS x(rule_id text, funder text, lines int,
  amount_fen bigint)
WHERE r.id = %(r_region)s
ON CONFLICT (canteen_id, local_date, rule_id, funder) DO UPDATE SET
  {_add("checkout_benefitruledayrollup", ("lines", "amount_fen"))}
"""

# r_mask: 1 sets the day's bit, -1 clears it, 0 leaves it.
ELDER_MONTH_SQL = f"""
INSERT INTO checkout_eldermonthrollup (elder_id, month, region_path, days_mask, meals, benefit_fen)
SELECT CAST(%(r_elder)s AS BIGINT), %(r_month)s, r.path,
  CASE WHEN %(r_mask)s = 1 THEN CAST(%(r_bit)s AS BIGINT) ELSE 0 END, %(r_meals)s, %(r_benefit)s
FROM regions_region r WHERE r.id = %(r_community)s
ON CONFLICT (elder_id, month) DO UPDATE SET
  days_mask = CASE WHEN %(r_mask)s = 1 THEN checkout_eldermonthrollup.days_mask | CAST(%(r_bit)s AS BIGINT)
                   WHEN %(r_mask)s = -1 THEN checkout_eldermonthrollup.days_mask & ~CAST(%(r_bit)s AS BIGINT)
                   ELSE checkout_eldermonthrollup.days_mask END,
  {_add("checkout_eldermonthrollup", ("meals", "benefit_fen"))}
"""

COMMUNITY_DAY_SQL = f"""
INSERT INTO checkout_communitydayrollup (community_id, region_path, local_date, elders, meals, benefit_fen)
SELECT r.id, r.path, %(r_day)s, %(r_elders)s, %(r_meals)s, %(r_benefit)s
FROM regions_region r WHERE r.id = %(r_community)s
ON CONFLICT (community_id, local_date) DO UPDATE SET
  {_add("checkout_communitydayrollup", ("elders", "meals", "benefit_fen"))}
"""

# The four as parts of fastpath.WRITE_SQL (PostgreSQL).
PG_CTES = ", ".join(f"{name} AS ({sql.strip()})" for name, sql in (
    ("rc", CANTEEN_DAY_SQL), ("rr", RULE_DAY_JSON_SQL), ("re", ELDER_MONTH_SQL), ("rd", COMMUNITY_DAY_SQL)))


@dataclass(frozen=True)
class Share:
    """One ledger record's share of the roll-ups: `params` for the statements above, `rules` the
    benefit lines summed per (rule id, funder)."""

    params: dict
    rules: list[dict]


def share(values: dict, lines: list[tuple[str, str, str, int]], *, region_id: int, community_id: int | None,
          counted_day: date, meals_before: int | None, meals_change: int) -> Share:
    """The share of the record about to be written (`values`: the meal's columns as `_write` builds
    them). `counted_day`: the sale's local date (the reversed sale's for a void or refund);
    `meals_before`/`meals_change`: the elder's net meals that day before this record and the change
    it makes (None/0 when no usage row moves)."""
    kind = values["kind"]
    sign = 1 if kind == MealKind.SALE else -1
    has_elder = values["elder_id"] is not None
    rules: dict[tuple[str, str], list[int]] = {}
    for rule_id, _layer, funder, amount in lines:
        entry = rules.setdefault((rule_id, funder), [0, 0])
        entry[0] += sign
        entry[1] += amount
    mask, crossing = 0, 0
    if has_elder and meals_before is not None and meals_change:
        before, after = meals_before > 0, meals_before + meals_change > 0
        if after != before:
            mask = crossing = 1 if after else -1
    params = {
        "r_canteen": values["canteen_id"], "r_region": region_id, "r_day": counted_day,
        "r_period": values["period"] or "", "r_method": values["identified_by"] or "",
        "r_meals": sign, "r_elder_meals": sign if has_elder else 0, "r_sales": int(kind == MealKind.SALE),
        "r_voids": int(kind == MealKind.VOID), "r_refunds": int(kind == MealKind.REFUND),
        "r_gross": values["gross_fen"], "r_benefit": values["benefit_fen"], "r_payable": values["payable_fen"],
        "r_city": values["benefit_city_fen"], "r_district": values["benefit_district_fen"],
        "r_canteen_funded": values["benefit_canteen_fen"], "r_other": values["benefit_other_fen"],
        "r_elder": values["elder_id"], "r_community": community_id if has_elder else None,
        "r_month": counted_day.replace(day=1), "r_mask": mask, "r_bit": 1 << (counted_day.day - 1),
        "r_elders": crossing,
    }
    return Share(params, [{"rule_id": r, "funder": f, "lines": n, "amount_fen": a}
                          for (r, f), (n, a) in sorted(rules.items())])


def apply(s: Share) -> None:
    """Add the share with one statement per roll-up (the path SQLite takes; PostgreSQL folds the
    four into the commit's write statement)."""
    with connection.cursor() as cur:
        cur.execute(CANTEEN_DAY_SQL, s.params)
        for rule in s.rules:
            cur.execute(RULE_DAY_ONE_SQL, {**s.params, **rule})
        if s.params["r_community"] is not None:
            cur.execute(ELDER_MONTH_SQL, s.params)
            cur.execute(COMMUNITY_DAY_SQL, s.params)


# ---------------------------------------------------------------------------------------------
# Recomputing from the ledger

_SIGN = Case(When(kind=MealKind.SALE, then=Value(1)), default=Value(-1), output_field=IntegerField())
_LINE_SIGN = Case(When(meal__kind=MealKind.SALE, then=Value(1)), default=Value(-1), output_field=IntegerField())
_COUNTED_DAY = Coalesce(F("reverses__local_date"), F("local_date"))
_LINE_COUNTED_DAY = Coalesce(F("meal__reverses__local_date"), F("meal__local_date"))

# The roll-ups, their keys and their summed columns, in the order the checks report them.
CANTEEN_KEY = ("canteen_id", "local_date", "period", "identified_by")
RULE_KEY = ("canteen_id", "local_date", "rule_id", "funder")
ELDER_KEY = ("elder_id", "month")
COMMUNITY_KEY = ("community_id", "local_date")
TABLES = (
    ("canteen_day", CanteenDayRollup, CANTEEN_KEY, _CANTEEN_SUMS),
    ("rule_day", BenefitRuleDayRollup, RULE_KEY, ("lines", "amount_fen")),
    ("elder_month", ElderMonthRollup, ELDER_KEY, ("days_mask", "meals", "benefit_fen")),
    ("community_day", CommunityDayRollup, COMMUNITY_KEY, ("elders", "meals", "benefit_fen")),
)


def whole_months(days: tuple[date, date] | None) -> tuple[date, date] | None:
    """The range widened to whole months (an elder's month row covers every day of its month)."""
    if days is None:
        return None
    start, end = days
    start = date.min if start == date.min else start.replace(day=1)
    end = date.max if end == date.max else end.replace(day=calendar.monthrange(end.year, end.month)[1])
    return start, end


def expected(days: tuple[date, date] | None = None) -> dict[str, dict[tuple, tuple[int, ...]]]:
    """The four roll-ups as the ledger says they should be (raw GROUP BYs over meals and benefit
    lines; a reversal counted on its sale's day): name -> key -> sums, over the counted days in
    `days` (whole months: pass a range from whole_months)."""
    meals = Meal.objects.annotate(day=_COUNTED_DAY)
    lines = BenefitLine.objects.annotate(day=_LINE_COUNTED_DAY)
    if days is not None:
        meals, lines = meals.filter(day__range=days), lines.filter(day__range=days)
    out: dict[str, dict[tuple, tuple[int, ...]]] = {}
    money = {c: Sum(c) for c in ("gross_fen", "benefit_fen", "payable_fen", "benefit_city_fen",
                                 "benefit_district_fen", "benefit_canteen_fen", "benefit_other_fen")}
    canteen = (meals.values("canteen_id", "day", "period", "identified_by").order_by()
               .annotate(n=Sum(_SIGN), en=Sum(Case(When(elder__isnull=False, then=_SIGN), default=Value(0),
                                                    output_field=IntegerField())),
                         s=Count("id", filter=Q(kind=MealKind.SALE)), v=Count("id", filter=Q(kind=MealKind.VOID)),
                         r=Count("id", filter=Q(kind=MealKind.REFUND)), **money))
    out["canteen_day"] = {
        (row["canteen_id"], row["day"], row["period"], row["identified_by"]):
            (row["n"], row["en"], row["s"], row["v"], row["r"], *(row[c] or 0 for c in money))
        for row in canteen.iterator()}
    rule = (lines.values("meal__canteen_id", "day", "rule_id", "funder").order_by()
            .annotate(n=Sum(_LINE_SIGN), a=Sum("amount_fen")))
    out["rule_day"] = {(row["meal__canteen_id"], row["day"], row["rule_id"], row["funder"]): (row["n"], row["a"])
                       for row in rule.iterator()}
    elder_days = (meals.filter(elder__isnull=False).values("elder_id", "elder__community_id", "day").order_by()
                  .annotate(n=Sum(_SIGN), b=Sum("benefit_fen"))
                  .values_list("elder_id", "elder__community_id", "day", "n", "b"))
    month: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    community: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    for elder_id, community_id, day, n, b in elder_days.iterator():
        m = month[(elder_id, day.replace(day=1))]
        c = community[(community_id, day)]
        if n > 0:
            m[0] |= 1 << (day.day - 1)
            c[0] += 1
        m[1], m[2] = m[1] + n, m[2] + (b or 0)
        c[1], c[2] = c[1] + n, c[2] + (b or 0)
    out["elder_month"] = {k: tuple(v) for k, v in month.items()}
    out["community_day"] = {k: tuple(v) for k, v in community.items()}
    return out


def stored(days: tuple[date, date] | None = None) -> Iterator[tuple[str, dict[tuple, tuple[int, ...]]]]:
    for name, model, key, sums in TABLES:
        qs = model.objects.all()
        if days is not None:
            qs = qs.filter(**{("month" if model is ElderMonthRollup else "local_date") + "__range": days})
        yield name, {tuple(row[:len(key)]): tuple(row[len(key):])
                     for row in qs.values_list(*key, *sums).iterator()}


@dataclass(frozen=True)
class RollupProblem:
    """One roll-up row that differs from the ledger's GROUP BY."""

    table: str
    key: tuple
    column: str
    stored: int
    ledger: int

    def __str__(self) -> str:
        key = " ".join(str(k.isoformat() if isinstance(k, date) else k) for k in self.key)
        return f"roll-up {self.table} [{key}]: {self.column} stored {_show(self.column, self.stored)}, " \
               f"ledger {_show(self.column, self.ledger)}"


def _show(column: str, value: int) -> str:
    if column.endswith("_fen"):
        sign = "-" if value < 0 else ""
        return f"{sign}{abs(value) // 100}.{abs(value) % 100:02d} yuan"
    if column == "days_mask":
        return "days " + (",".join(str(d + 1) for d in range(31) if value >> d & 1) or "none")
    return str(value)


def rollups_verify(days: tuple[date, date] | None = None) -> tuple[int, list[RollupProblem]]:
    """(roll-up rows compared, problems): every stored row against the ledger's GROUP BY, to the
    fen. A key on one side only compares with zeros (a sale and its void leave a row of zeros)."""
    days = whole_months(days)
    want = expected(days)
    compared, problems = 0, []
    for name, have in stored(days):
        sums = next(t[3] for t in TABLES if t[0] == name)
        zero = (0,) * len(sums)
        ledger_rows = want[name]
        for key in sorted(set(have) | set(ledger_rows), key=lambda k: tuple(str(x) for x in k)):
            compared += 1
            got, owed = have.get(key, zero), ledger_rows.get(key, zero)
            for column, a, b in zip(sums, got, owed, strict=True):
                if a != b:
                    problems.append(RollupProblem(name, key, column, a, b))
    return compared, problems


def rollups_rebuild(days: tuple[date, date] | None = None) -> dict[str, int]:
    """Rewrite the roll-ups of the counted days in `days` (widened to whole months; None: all) from
    the ledger, in one transaction; rows written per roll-up. For an upgrade, or after a repair."""
    days = whole_months(days)
    with transaction.atomic():
        # Hold off commits while recounting: a meal committed between the GROUP BY and the insert
        # would be lost from the roll-ups (the chain heads are what every writer locks).
        from zhucan.checkout.models import CanteenChain

        list(CanteenChain.objects.select_for_update().values_list("pk", flat=True))
        want = expected(days)
        canteen_paths = dict(Meal.objects.values("canteen_id").distinct().order_by()
                             .values_list("canteen_id", "canteen__region__path"))
        community_paths = dict(Meal.objects.filter(elder__isnull=False).values("elder__community_id").distinct()
                               .order_by().values_list("elder__community_id", "elder__community__path"))
        elder_paths = dict(Meal.objects.filter(elder__isnull=False).values("elder_id").distinct().order_by()
                           .values_list("elder_id", "elder__community__path"))
        written = {}
        for name, model, key, sums in TABLES:
            qs = model.objects.all()
            if days is not None:
                qs = qs.filter(**{("month" if model is ElderMonthRollup else "local_date") + "__range": days})
            qs.delete()
            objs = []
            for k, v in want[name].items():
                fields = dict(zip(key, k, strict=True)) | dict(zip(sums, v, strict=True))
                if name in ("canteen_day", "rule_day"):
                    fields["region_path"] = canteen_paths[k[0]]
                elif name == "elder_month":
                    fields["region_path"] = elder_paths[k[0]]
                else:
                    fields["region_path"] = community_paths[k[0]]
                objs.append(model(**fields))
            model.objects.bulk_create(objs, batch_size=2000)
            written[name] = len(objs)
    return written
