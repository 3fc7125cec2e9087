"""Coverage (eligible elders who ate ÷ eligible registered elders) and the elders not reached."""

from __future__ import annotations

from datetime import date

from zhucan.analytics import selectors

JUNE = (date(2025, 6, 1), date(2025, 6, 10))


def _cov(items):
    return {c.label: (c.eligible, c.reached) for c in items}


def test_coverage_by_hand(ledger):
    report = selectors.coverage(user=ledger.users["district_admin"], start=JUNE[0], end=JUNE[1])
    # Eligible in 西湖区: A, B, E (保俶社区), C, D (西溪社区); reached: A, C (B's meal was refunded).
    assert (report.total.eligible, report.total.reached, report.total.permille) == (5, 2, 400)
    assert _cov(report.by_subdistrict) == {"北山街道": (3, 1), "西溪街道": (2, 1)}
    assert _cov(report.by_community) == {"保俶社区": (3, 1), "西溪社区": (2, 1)}
    # Ages on 06-10: A 80, B 92, C 75, D 65, E 80.
    assert _cov(report.by_age) == {"60–69岁": (1, 0), "70–79岁": (1, 1), "80–89岁": (2, 1), "90岁及以上": (1, 0)}
    assert _cov(report.by_tag) == {"独居": (2, 1)}


def test_coverage_scoped_and_ranged(ledger):
    sub = selectors.coverage(user=ledger.users["subdistrict_staff"], start=JUNE[0], end=JUNE[1])
    assert (sub.total.eligible, sub.total.reached) == (3, 1)
    may = selectors.coverage(user=ledger.users["district_admin"], start=date(2025, 5, 1), end=date(2025, 5, 31))
    assert _cov(may.by_community) == {"保俶社区": (3, 2), "西溪社区": (2, 0)}  # E on 05-01, A on 05-30
    one_day = selectors.coverage(user=ledger.users["district_admin"], start=date(2025, 6, 3), end=date(2025, 6, 3))
    assert one_day.total.reached == 0  # A's meal that day was voided
    assert selectors.coverage(user=ledger.users["canteen_manager"], start=JUNE[0], end=JUNE[1]) is None
    other = selectors.coverage(user=ledger.other["district_admin"], start=JUNE[0], end=JUNE[1])
    assert (other.total.eligible, other.total.reached) == (0, 0)  # 李桂兰 is not verified


def test_not_reached_in_30_days(ledger):
    rows = list(selectors.not_reached(user=ledger.users["district_admin"], today=date(2025, 6, 10)))
    assert {e.name for e in rows} == {"王九二", "钱八十", "赵六五"}
    last = selectors.last_meal_dates([e.pk for e in rows])
    assert last == {ledger.e.pk: date(2025, 5, 1)}  # B's refunded day does not count; D never ate
    # E's meal on 05-01 is inside a 41-day window.
    assert {e.name for e in selectors.not_reached(user=ledger.users["district_admin"], today=date(2025, 6, 10),
                                                  days=41)} == {"王九二", "赵六五"}
    assert set(selectors.not_reached(user=ledger.users["subdistrict_staff"], today=date(2025, 6, 10))
               .values_list("name", flat=True)) == {"王九二", "钱八十"}
    assert not selectors.not_reached(user=ledger.other["district_admin"], today=date(2025, 6, 10)).exists()
    assert not selectors.not_reached(user=ledger.users["canteen_manager"], today=date(2025, 6, 10)).exists()
