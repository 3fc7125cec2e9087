"""Every figure of the dashboard's selectors against the hand-computed fixture (tests/analytics/
conftest.py) and against a GROUP BY over the raw ledger."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Q, Sum

from zhucan.analytics import panels, selectors
from zhucan.analytics.selectors import Range
from zhucan.checkout.models import BenefitLine, Meal

JUNE = Range(date(2025, 6, 1), date(2025, 6, 10))


def test_range_previous_is_the_period_of_equal_length_before():
    assert JUNE.previous() == Range(date(2025, 5, 22), date(2025, 5, 31))
    assert Range(date(2025, 3, 1), date(2025, 3, 1)).previous() == Range(date(2025, 2, 28), date(2025, 2, 28))


def test_district_totals_by_hand(ledger):
    t = selectors.totals(user=ledger.users["district_admin"], start=JUNE.start, end=JUNE.end)
    # 6 sales, one voided and one refunded → 4 net meals; of them 3 of registered elders (A×2, C).
    assert (t.sales, t.voids, t.refunds, t.meals, t.elder_meals) == (6, 1, 1, 4, 3)
    assert (t.gross_fen, t.benefit_fen, t.payable_fen) == (6000, 450 + 450 + 300, 6000 - 1200)
    assert t.funders() == {"city": 1200, "district": 0, "canteen": 0, "other": 0}
    assert t.elders == 2  # A and C; B's only meal was refunded
    assert t.average_bill_fen == 1500


def test_scope_by_role(ledger):
    u, o = ledger.users, ledger.other
    figures = {key: selectors.totals(user=user, start=JUNE.start, end=JUNE.end)
               for key, user in [("city", u["city_admin"]), ("xihu", u["district_admin"]),
                                 ("beishan", u["subdistrict_staff"]), ("mgr", u["canteen_manager"]),
                                 ("auditor", u["auditor"]), ("shangcheng", o["district_admin"]),
                                 ("liaocheng", o["city_admin"]), ("hubin_mgr", o["canteen_manager"])]}
    assert {k: (t.meals, t.benefit_fen, t.elders) for k, t in figures.items()} == {
        "city": (5, 1650, 3),  # distinct elders who ate: A, C and 李桂兰 (eligibility is coverage's matter)
        "xihu": (4, 1200, 2), "beishan": (4, 1200, 1), "mgr": (4, 1200, None), "auditor": (4, 1200, 2),
        "shangcheng": (1, 450, 1), "liaocheng": (0, 0, 0), "hubin_mgr": (1, 450, None),
    }
    # The cashier has no dashboard at all.
    assert selectors.totals(user=u["cashier"], start=JUNE.start, end=JUNE.end).meals == 0


def test_per_day_period_method_by_hand(ledger):
    user = ledger.users["district_admin"]
    days = {d["date"]: (d["meals"], d["elder_meals"], d["elders"], d["benefit_fen"])
            for d in selectors.by_day(user=user, start=JUNE.start, end=JUNE.end)}
    assert len(days) == 10
    assert days[date(2025, 6, 2)] == (2, 2, 1, 900)
    assert days[date(2025, 6, 3)] == (0, 0, 0, 0)  # the void counts on the sale's day
    assert days[date(2025, 6, 5)] == (2, 1, 1, 300)  # the refund (made 06-06) too
    assert days[date(2025, 6, 6)] == (0, 0, 0, 0)
    periods = {p: (t.meals, t.elder_meals) for p, t in selectors.by_period(user=user, start=JUNE.start,
                                                                             end=JUNE.end).items()}
    # A customer who is not a registered elder has no benefit period.
    assert periods == {"lunch": (2, 2), "dinner": (1, 1), "": (1, 0)}
    methods = {m: t.meals for m, t in selectors.by_method(user=user, start=JUNE.start, end=JUNE.end).items()}
    assert {m: n for m, n in methods.items() if n} == {"card": 3, "none": 1}
    table = panels.table_methods(selectors.by_method(user=user, start=JUNE.start, end=JUNE.end))
    assert [r[:2] for r in table.rows if r[1]] == [["市民卡", 3], ["非老人顾客", 1]]


def test_rules_and_canteens_by_hand(ledger):
    user = ledger.users["district_admin"]
    rules = selectors.by_rule(user=user, start=JUNE.start, end=JUNE.end)
    assert sum(r["amount_fen"] for r in rules) == 1200
    names, funders = panels.policy_labels(user)
    table = panels.table_rules(rules, names, funders)
    # Rule names from the policy file's Chinese labels, never the rule codes.
    assert all("." not in r[0] for r in table.rows), table.rows
    assert {r[1] for r in table.rows} == {"市级"}
    [(canteen, t)] = selectors.by_canteen(user=user, start=JUNE.start, end=JUNE.end)
    assert canteen == ledger.canteen
    assert (t.meals, t.elder_meals, t.gross_fen, t.average_bill_fen, t.benefit_fen, t.voids, t.refunds) == (
        4, 3, 6000, 1500, 1200, 1, 1)
    # The dashboard's page: the first canteens of the whole list, and how many had a meal.
    everyone = selectors.by_canteen(user=ledger.users["city_admin"], start=JUNE.start, end=JUNE.end)
    assert [t.meals for _c, t in everyone] == [4, 1]
    page, count = selectors.by_canteen_page(user=ledger.users["city_admin"], start=JUNE.start, end=JUNE.end, size=1)
    assert (page, count) == (everyone[:1], 2)
    city = {r.name: t.meals for r, t in selectors.by_child_region(user=ledger.users["city_admin"],
                                                                    start=JUNE.start, end=JUNE.end)}
    assert city == {"上城区": 1, "西湖区": 4}
    district = {r.name: t.meals for r, t in selectors.by_child_region(user=user, start=JUNE.start, end=JUNE.end)}
    assert district == {"北山街道": 4, "西溪街道": 0}


def test_every_figure_equals_the_raw_ledger(ledger):
    """The same figures from a GROUP BY over the meals and benefit lines themselves."""
    user = ledger.users["city_admin"]
    start, end = date(2025, 5, 1), JUNE.end

    def day_of(m):  # a reversal counts on the day of the sale it reverses
        return m.reverses.local_date if m.reverses_id else m.local_date

    meals = [m for m in Meal.objects.select_related("reverses", "elder") if start <= day_of(m) <= end]
    t = selectors.totals(user=user, start=start, end=end)
    sign = {m.pk: (1 if m.kind == "sale" else -1) for m in meals}
    assert t.meals == sum(sign.values())
    assert t.elder_meals == sum(s for pk, s in sign.items() if Meal.objects.get(pk=pk).elder_id)
    raw = Meal.objects.filter(pk__in=sign).aggregate(g=Sum("gross_fen"), b=Sum("benefit_fen"), p=Sum("payable_fen"),
                                                     c=Sum("benefit_city_fen"), v=Count("pk", filter=Q(kind="void")),
                                                     r=Count("pk", filter=Q(kind="refund")))
    assert (t.gross_fen, t.benefit_fen, t.payable_fen, t.benefit_city_fen, t.voids, t.refunds) == (
        raw["g"], raw["b"], raw["p"], raw["c"], raw["v"], raw["r"])
    by_rule = {(r["rule_id"], r["funder"]): r["amount_fen"] for r in selectors.by_rule(user=user, start=start, end=end)}
    raw_rules = {(r["rule_id"], r["funder"]): r["a"] for r in BenefitLine.objects.filter(meal__in=sign)
                 .values("rule_id", "funder").annotate(a=Sum("amount_fen"))}
    assert {k: v for k, v in by_rule.items() if v} == {k: v for k, v in raw_rules.items() if v}
    # Distinct elders who ate (net meals > 0 on some day of the range), from the ledger.
    net: dict[tuple[int, date], int] = {}
    for m in meals:
        if m.elder_id:
            net[(m.elder_id, day_of(m))] = net.get((m.elder_id, day_of(m)), 0) + sign[m.pk]
    assert t.elders == len({e for (e, _d), n in net.items() if n > 0})
    # Whole months (the elders' year rows), edge days only (month rows of two months), and both.
    eligible = set(selectors.eligible_elders(user=user).values_list("pk", flat=True))
    # Across New Year (one year row, the year before 12 bits up) and over three years (a row a year).
    for lo, hi in ((date(2025, 5, 1), date(2025, 6, 30)), (date(2025, 5, 30), date(2025, 6, 3)),
                   (date(2025, 4, 20), end), (date(2025, 5, 31), end), (date(2025, 6, 1), date(2026, 1, 31)),
                   (date(2024, 12, 1), date(2025, 6, 30)), (date(2023, 1, 1), date(2025, 6, 30))):
        want = {e for (e, d), n in net.items() if n > 0 and lo <= d <= hi}
        assert selectors.distinct_elders(user=user, start=lo, end=hi) == len(want), (lo, hi)
        assert selectors.coverage(user=user, start=lo, end=hi).total.reached == len(want & eligible), (lo, hi)
    for day in (date(2025, 6, 2), date(2025, 6, 5)):
        [row] = [d for d in selectors.by_day(user=user, start=day, end=day)]
        assert row["meals"] == sum(s for m in meals for s in [sign[m.pk]] if day_of(m) == day)
        assert row["elders"] == len({e for (e, d), n in net.items() if d == day and n > 0})


def test_previous_period_compare(ledger):
    user = ledger.users["district_admin"]
    before = selectors.totals(user=user, start=date(2025, 5, 22), end=date(2025, 5, 31))
    assert (before.meals, before.benefit_fen, before.elders) == (1, 450, 1)
    now = selectors.totals(user=user, start=JUNE.start, end=JUNE.end)
    rows = {r["label"]: r for r in panels.compare(now, before)}
    assert (rows["就餐份数"]["value"], rows["就餐份数"]["before"], rows["就餐份数"]["delta"],
            rows["就餐份数"]["pct"]) == ("4", "1", "+3", "+300.0%")
    assert (rows["补贴金额（元）"]["value"], rows["补贴金额（元）"]["delta"], rows["补贴金额（元）"]["pct"]) == (
        "12.00", "+7.50", "+166.7%")
    assert rows["就餐老人数"]["delta"] == "+1"
    fewer = panels.compare(before, now)
    assert fewer[0]["delta"] == "-3" and fewer[0]["pct"] == "-75.0%" and fewer[0]["down"]


def test_today_live(ledger, frozen_clock):
    from tests.analytics.conftest import sell
    from tests.checkout.conftest import at
    from zhucan.canteens.models import Dish

    sell(ledger.canteen, ledger.c, Dish.objects.get(canteen=ledger.canteen, name="套餐"), "t1", "2025-06-10 11:30")
    frozen_clock(at("2025-06-10 12:00"))
    live = selectors.today_live(user=ledger.users["district_admin"], today=date(2025, 6, 10))
    assert (live["totals"].meals, live["totals"].elder_meals, live["totals"].elders) == (1, 1, 1)
    assert {p: t.meals for p, t in live["periods"].items()} == {"lunch": 1}
    assert live["totals"].funders()["city"] == 300
