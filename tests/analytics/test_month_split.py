"""Ranges read as whole months from the month roll-ups plus edge days from the day roll-ups give
exactly the figures of the day roll-ups alone."""

from __future__ import annotations

from datetime import date

import pytest
from django.db.models import Sum

from zhucan.analytics import selectors
from zhucan.analytics.selectors import COUNT_FIELDS, MONEY_FIELDS, split_range


def test_split_range_edges_and_whole_months():
    assert split_range(date(2025, 5, 30), date(2025, 7, 3)) == (
        [(date(2025, 5, 30), date(2025, 5, 31)), (date(2025, 7, 1), date(2025, 7, 3))],
        (date(2025, 6, 1), date(2025, 6, 1)))
    assert split_range(date(2025, 1, 1), date(2025, 12, 31)) == ([], (date(2025, 1, 1), date(2025, 12, 1)))
    assert split_range(date(2025, 6, 2), date(2025, 6, 29)) == ([(date(2025, 6, 2), date(2025, 6, 29))], None)
    assert split_range(date(2024, 2, 1), date(2024, 2, 29)) == ([], (date(2024, 2, 1), date(2024, 2, 1)))
    assert split_range(date(2024, 2, 1), date(2024, 2, 28)) == ([(date(2024, 2, 1), date(2024, 2, 28))], None)
    assert split_range(date(2025, 6, 5), date(2025, 6, 4)) == ([], None)


def _day_table(user, start, end, group):
    rows = selectors.canteen_rows(user=user, start=start, end=end)
    fields = COUNT_FIELDS + MONEY_FIELDS
    if not group:
        r = rows.aggregate(**{f: Sum(f) for f in fields})
        return {(): tuple(int(r[f] or 0) for f in fields)}
    return {tuple(r[g] for g in group): tuple(int(r[f] or 0) for f in fields)
            for r in rows.values(*group).annotate(**{f: Sum(f) for f in fields}).order_by()}


@pytest.mark.parametrize("start,end", [
    (date(2025, 5, 30), date(2025, 7, 3)),  # partial May (with a meal), whole June, partial July
    (date(2025, 4, 20), date(2025, 6, 3)),  # partial April, whole May, partial June (with meals)
])
def test_split_reads_equal_the_day_table(ledger, start, end):
    fields = COUNT_FIELDS + MONEY_FIELDS
    for role in ("city_admin", "district_admin", "subdistrict_staff", "canteen_manager"):
        user = ledger.users[role]
        for group in ((), ("period",), ("identified_by",), ("canteen_id",), ("region_path",)):
            got = {tuple(r[g] for g in group): tuple(r[f] for f in fields)
                   for r in selectors.canteen_sums(user=user, start=start, end=end, group=group)}
            want = _day_table(user, start, end, group)
            assert {k: v for k, v in got.items() if any(v)} == {k: v for k, v in want.items() if any(v)}, (role, group)
        rules = selectors.rule_rows(user=user, start=start, end=end).values("rule_id", "funder").annotate(
            lines=Sum("lines"), amount_fen=Sum("amount_fen")).order_by()
        want_rules = {(r["rule_id"], r["funder"]): (r["lines"], r["amount_fen"]) for r in rules}
        got_rules = {(r["rule_id"], r["funder"]): (r["lines"], r["amount_fen"])
                     for r in selectors.by_rule(user=user, start=start, end=end)}
        assert got_rules == want_rules
        assert want_rules, role
    # The whole range has meals: the month rows were read, and they are not empty.
    city = ledger.users["city_admin"]
    assert selectors.totals(user=city, start=start, end=end).meals > 0
