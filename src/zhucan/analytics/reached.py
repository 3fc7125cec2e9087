"""Whether an elder ate in a range of dates, as an SQL condition on their `elders.ElderReach` row.

The reach row holds the elder's latest month with a meal record (`month`, a month number), a bit
per month for the 36 months up to it, and the days of that month and of the one before. For a
range that is whole months (W1…W2) plus at most a partial month at either end, the row answers by
itself when the range is recent enough for it:
- the latest month is before the range, or the elder never ate: no;
- whole months: bits k = month − W2 … month − W1 of the month bits (k < 36);
- a partial month P with days D: the days of P (P the latest month) or of the month before (P one
  before the latest), masked with D; P later than the latest: no meal.
A row the range is too old for (a partial month two or more months before the latest, or a range
reaching more than 36 months back) is answered from the elder × month roll-up instead, row by
row — rare for the ranges the dashboards offer (this month, last month, the last 30 days, this
year, the last 12 months), and exact either way.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from zhucan.elders.models import MONTHS_KEPT, month_number

TABLE = "elders_elderreach"


def month_masks(start: date, end: date) -> list[tuple[date, int]]:
    """(first day of month, bit mask of the range's days in it) for each month the range touches."""
    out = []
    month = start.replace(day=1)
    while month <= end:
        first = start.day if (month.year, month.month) == (start.year, start.month) else 1
        last = end.day if (month.year, month.month) == (end.year, end.month) else _days_in(month)
        out.append((month, ((1 << last) - 1) ^ ((1 << (first - 1)) - 1)))
        month = (month + timedelta(days=32)).replace(day=1)
    return out


def ate_in_range(start: date, end: date, table: str = TABLE, *, today: date | None = None) -> tuple[str, list]:
    """(SQL, params): a boolean condition, true when the elder of the `table` row ate on at least
    one day from `start` to `end`. With `today` (the business clock's date), a range every row can
    answer — no row's latest month is after today's — carries no fallback: the planner then costs the
    condition as the few operations it is (a fallback it must cost per row makes it pick worse
    plans), and a row dated after today, which no checkout writes, would read as unknown (NULL)."""
    months = month_masks(start, end)
    whole = [(m, mask) for m, mask in months if mask == (1 << _days_in(m)) - 1]
    partial = [(m, mask) for m, mask in months if mask != (1 << _days_in(m)) - 1]
    first = month_number(months[0][0])
    c = f"{table}.month"
    terms: list[str] = []
    params: list = []
    # When the row can answer (the usual case, tested first): its latest month from the range's
    # first month to 35 after it, and no later than one after a partial month.
    last_answered = first + MONTHS_KEPT - 1
    if partial:
        last_answered = min(last_answered, min(month_number(m) for m, _ in partial) + 1)
    # Whole months after last_answered cannot hold a meal of a row that answers (its latest month is
    # no later).
    w1, w2 = (month_number(whole[0][0]), min(month_number(whole[-1][0]), last_answered)) if whole else (1, 0)
    if w1 <= w2:
        # Shifted up by (last_answered − month), month M's bit lands on last_answered − M, whatever
        # the row's latest month: the range's whole months are then one constant mask (bits that
        # overflow the 64 are months long before the range).
        terms.append(f"(({table}.months_mask << (%s - {c})) & %s) <> 0")
        params += [last_answered, ((1 << (w2 - w1 + 1)) - 1) << (last_answered - w2)]
    for m, mask in partial:
        p = month_number(m)
        terms.append(f"((CASE WHEN {c} = %s THEN {table}.days_mask WHEN {c} = %s THEN {table}.prev_days_mask "
                     f"ELSE 0 END) & %s) <> 0")
        params += [p, p + 1, mask]
    if today is not None and month_number(today) <= last_answered:
        fallback, fallback_params = "NULL", []
    else:
        fallback, fallback_params = _from_month_rows(months, table)
    sql = (f"(CASE WHEN {c} BETWEEN %s AND %s THEN ({' OR '.join(terms) or '1 = 0'}) "
           f"WHEN {c} IS NULL OR {c} < %s THEN 1 = 0 ELSE {fallback} END)")
    return sql, [first, last_answered, *params, first, *fallback_params]


def _from_month_rows(months: list[tuple[date, int]], table: str) -> tuple[str, list]:
    conditions = " OR ".join("(m.month = %s AND (m.days_mask & %s) <> 0)" for _ in months)
    params: list = []
    for m, mask in months:
        params += [m, mask]
    return (f"EXISTS (SELECT 1 FROM checkout_eldermonthrollup m WHERE m.elder_id = {table}.elder_id "
            f"AND ({conditions}))"), params


def _days_in(month: date) -> int:
    return calendar.monthrange(month.year, month.month)[1]
