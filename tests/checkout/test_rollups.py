"""The dashboards' roll-ups (HZ-10) are written in the ledger's transaction and always equal a GROUP BY
over the ledger: after sales, voids, refunds, report-mode meals, a limit reached, two elders and two
canteens; under concurrent checkouts and voids; `zhucan ledger verify` reports a tampered row and
`zhucan rollups rebuild` recomputes them. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections

from tests.checkout.conftest import at
from tests.checkout.test_concurrency import world_tx  # noqa: F401 - fixture
from tests.conftest import make_elder
from zhucan.checkout import services as S
from zhucan.checkout.models import (
    BenefitRuleDayRollup,
    CanteenDayRollup,
    CommunityDayRollup,
    DistrictDayRollup,
    DistrictMonthRollup,
    DistrictResidentDayRollup,
    ElderDayUsage,
    ElderMonthRollup,
    ElderYearRollup,
)
from zhucan.checkout.rollups import district_path, expected, rollups_verify, stored

JUNE_2, JUNE_3 = date(2025, 6, 2), date(2025, 6, 3)


def sell(canteen, elder, dish, key, when="2025-06-02 11:30", **kw):
    return S.meal_commit(canteen=canteen, elder=elder, lines=[S.OrderLine(dish_id=dish.pk, quantity=1)],
                         idempotency_key=key, request_digest=key, identified_by="card" if elder else "none",
                         at=at(when), **kw).meal


def reverse(meal, kind, key, when="2025-06-02 12:00"):
    return S.meal_reverse(canteen=meal.canteen, receipt_no=meal.receipt_no, kind=kind, idempotency_key=key,
                          request_digest=key, at=at(when)).meal


def assert_equal_to_ledger():
    count, problems = rollups_verify()
    assert problems == []
    want = expected()
    for name, have in stored():
        zero = {k for k, v in have.items() if not any(v)}
        assert {k: v for k, v in have.items() if k not in zero} == {k: v for k, v in want[name].items() if any(v)}
    return count


@pytest.fixture
def day(world, menu):
    """A lunch and a dinner at two canteens, two elders, a limit reached, a void, a refund the next
    day, a report-mode meal and a customer who is not an elder."""
    c1, c2 = world.canteen, world.other_canteen
    m = {}
    m["a"] = sell(c1, world.elder, menu["套餐"], "a")  # 80: 7折 → 4.50 benefit
    m["b"] = sell(c2, world.elder, menu["other:套餐"], "b", "2025-06-02 12:10")  # lunch used: full price
    m["c"] = sell(c2, world.other_elder, menu["other:套餐"], "c")
    m["walk_in"] = sell(c1, None, menu["红烧肉"], "w")
    m["report"] = S.meal_commit(canteen=c1, elder=world.other_elder, idempotency_key="r", request_digest="r",
                                lines=[S.OrderLine(name="自选套餐", unit_price_fen=2000, quantity=1)], mode="report",
                                identified_by="qr", at=at("2025-06-02 17:00"),
                                tenders=[S.TenderIn("alipay", 1400)]).meal
    m["void_c"] = reverse(m["c"], "void", "vc")  # the other elder still ate (the dinner)
    m["refund_a"] = reverse(m["a"], "refund", "ra", when="2025-06-03 09:00")  # counted on 2 June
    return m


def test_rollups_equal_the_ledger_after_sales_voids_refunds_and_reports(world, menu, day):
    assert assert_equal_to_ledger() > 0
    lunch_card = CanteenDayRollup.objects.get(canteen=world.canteen, local_date=JUNE_2, period="lunch",
                                              identified_by="card")
    # Sold at lunch and refunded next morning: counted on the day it was eaten, net nothing.
    assert (lunch_card.sales, lunch_card.refunds, lunch_card.meals, lunch_card.elder_meals) == (1, 1, 0, 0)
    assert (lunch_card.gross_fen, lunch_card.benefit_fen) == (0, 0)
    assert not CanteenDayRollup.objects.filter(local_date=JUNE_3).exists()
    walk_in = CanteenDayRollup.objects.get(canteen=world.canteen, identified_by="none")
    assert (walk_in.meals, walk_in.elder_meals, walk_in.gross_fen, walk_in.benefit_fen) == (1, 0, 2000, 0)
    report = CanteenDayRollup.objects.get(canteen=world.canteen, identified_by="qr")
    assert (report.meals, report.gross_fen, report.benefit_fen, report.benefit_city_fen) == (1, 2000, 600, 600)
    other = CanteenDayRollup.objects.get(canteen=world.other_canteen, identified_by="card")
    assert (other.sales, other.voids, other.meals, other.gross_fen) == (2, 1, 1, 1500)
    # 张秀英 still ate on 2 June (the full-price meal at 湖滨): the day stays set.
    zhang = ElderMonthRollup.objects.get(elder=world.elder, month=date(2025, 6, 1))
    assert (zhang.days_mask, zhang.meals, zhang.benefit_fen) == (1 << 1, 1, 0)
    assert zhang.region_path == world.xihu_c1.path
    li = ElderMonthRollup.objects.get(elder=world.other_elder)
    assert (li.days_mask, li.meals, li.benefit_fen) == (1 << 1, 1, 600)
    assert CommunityDayRollup.objects.get(community=world.xihu_c1, local_date=JUNE_2).elders == 1
    assert CommunityDayRollup.objects.get(community=world.sc_c1, local_date=JUNE_2).elders == 1
    rule = BenefitRuleDayRollup.objects.filter(canteen=world.canteen, local_date=JUNE_2)
    assert sum(r.amount_fen for r in rule) == 600 and sum(r.lines for r in rule) == 1
    assert {r.region_path for r in rule} == {world.canteen.region.path}
    # The district rows: the canteen's sums under its district's path, for the day and the month.
    xihu = district_path(world.canteen.region.path)
    assert xihu.count("/") == 2 and world.canteen.region.path.startswith(xihu)
    qr = DistrictDayRollup.objects.get(region_path=xihu, local_date=JUNE_2, period="dinner", identified_by="qr")
    assert (qr.meals, qr.gross_fen, qr.benefit_city_fen) == (1, 2000, 600)
    assert DistrictMonthRollup.objects.get(region_path=xihu, month=date(2025, 6, 1), period="dinner",
                                           identified_by="qr").benefit_fen == 600
    # Each elder's community's district counts them once that day; each elder's year has June set.
    residents = dict(DistrictResidentDayRollup.objects.filter(local_date=JUNE_2).values_list("region_path", "elders"))
    assert residents == {district_path(world.xihu_c1.path): 1, district_path(world.sc_c1.path): 1}
    # (The next year's row holds June as its "year before", 12 bits up.)
    assert set(ElderYearRollup.objects.values_list("elder_id", "year", "months_mask")) == {
        (world.elder.pk, 2025, 1 << 5), (world.other_elder.pk, 2025, 1 << 5),
        (world.elder.pk, 2026, 1 << 17), (world.other_elder.pk, 2026, 1 << 17)}


def test_an_elder_day_netted_to_nothing_clears_the_day_and_the_head_count(world, menu):
    sale = sell(world.canteen, world.elder, menu["套餐"], "s")
    assert ElderMonthRollup.objects.get(elder=world.elder).days_mask == 1 << 1
    assert CommunityDayRollup.objects.get(community=world.xihu_c1).elders == 1
    assert ElderYearRollup.objects.get(elder=world.elder, year=2025).months_mask == 1 << 5
    reverse(sale, "void", "v")
    assert ElderMonthRollup.objects.get(elder=world.elder).days_mask == 0
    community = CommunityDayRollup.objects.get(community=world.xihu_c1)
    assert (community.elders, community.meals, community.benefit_fen) == (0, 0, 0)
    # June has no eating day left: the year's June bit and the district's head count go too.
    assert ElderYearRollup.objects.get(elder=world.elder, year=2025).months_mask == 0
    assert ElderYearRollup.objects.get(elder=world.elder, year=2026).months_mask == 0
    assert DistrictResidentDayRollup.objects.get(region_path=district_path(world.xihu_c1.path)).elders == 0
    again = sell(world.canteen, world.elder, menu["套餐"], "s2", when="2025-06-02 12:30")
    assert again.benefit_fen == 450  # the void gave the period back
    assert ElderMonthRollup.objects.get(elder=world.elder).days_mask == 1 << 1
    assert CommunityDayRollup.objects.get(community=world.xihu_c1).elders == 1
    assert ElderYearRollup.objects.get(elder=world.elder, year=2025).months_mask == 1 << 5
    assert DistrictResidentDayRollup.objects.get(region_path=district_path(world.xihu_c1.path)).elders == 1
    assert_equal_to_ledger()


def test_a_refused_commit_leaves_the_rollups_untouched(world, menu):
    sell(world.canteen, world.elder, menu["套餐"], "ok")
    before = dict(stored())
    with pytest.raises(Exception):  # noqa: B017 - the refusal's type is checkout's business
        S.meal_commit(canteen=world.canteen, elder=world.elder, lines=[S.OrderLine(dish_id=menu["套餐"].pk,
                      quantity=1)], idempotency_key="bad", request_digest="bad", at=at("2025-06-02 11:40"),
                      expected_payable_fen=1)
    assert dict(stored()) == before


def test_verify_reports_a_tampered_rollup_to_the_fen(world, menu, day, capsys):
    CanteenDayRollup.objects.filter(canteen=world.canteen, identified_by="qr").update(benefit_fen=601)
    ElderMonthRollup.objects.filter(elder=world.other_elder).update(days_mask=1 << 4)
    ElderYearRollup.objects.filter(elder=world.elder, year=2025).update(months_mask=1 << 6)
    DistrictDayRollup.objects.filter(identified_by="qr").update(meals=2)
    _, problems = rollups_verify()
    xihu = district_path(world.canteen.region.path)
    assert sorted(str(p) for p in problems) == [
        f"roll-up canteen_day [{world.canteen.pk} 2025-06-02 dinner qr]: benefit_fen stored 6.01 yuan, "
        "ledger 6.00 yuan",
        f"roll-up district_day [{xihu} 2025-06-02 dinner qr]: meals stored 2, ledger 1",
        f"roll-up elder_month [{world.other_elder.pk} 2025-06-01]: days_mask stored days 5, ledger days 2",
        f"roll-up elder_year [{world.elder.pk} 2025]: months_mask stored months 7, the year before none, "
        "ledger months 6, the year before none",
    ]
    with pytest.raises(CommandError, match="roll-ups disagree"):
        call_command("ledger", "verify")
    out = capsys.readouterr().out
    assert "benefit_fen stored 6.01 yuan, ledger 6.00 yuan" in out and "4 problems" in out
    # A range of June only holds the year row's June bit alone against the ledger.
    assert [p.table for p in rollups_verify((JUNE_2, JUNE_3))[1] if p.table == "elder_year"] == ["elder_year"]
    ElderYearRollup.objects.filter(elder=world.elder, year=2025).update(months_mask=1 << 5 | 1 << 6)
    assert [p.table for p in rollups_verify((JUNE_2, JUNE_3))[1] if p.table == "elder_year"] == []


def test_verify_reports_a_deleted_rollup_row(world, menu, day):
    CommunityDayRollup.objects.filter(community=world.sc_c1).delete()
    _, problems = rollups_verify()
    assert {(p.table, p.column, p.stored, p.ledger) for p in problems} == {
        ("community_day", "elders", 0, 1), ("community_day", "meals", 0, 1), ("community_day", "benefit_fen", 0, 600)}


def test_rebuild_recomputes_them_from_the_ledger(world, menu, day, capsys):
    want = dict(stored())
    CanteenDayRollup.objects.all().delete()
    ElderMonthRollup.objects.update(days_mask=0, meals=99)
    BenefitRuleDayRollup.objects.update(amount_fen=1)
    CommunityDayRollup.objects.update(elders=7)
    DistrictDayRollup.objects.all().delete()
    DistrictResidentDayRollup.objects.update(elders=5)
    ElderYearRollup.objects.update(months_mask=0)
    call_command("rollups", "rebuild", "--from", "2025-06-02", "--to", "2025-06-02")
    assert "roll-ups rebuilt for 2025-06-01 .. 2025-06-30" in capsys.readouterr().out
    assert rollups_verify()[1] == []
    got = dict(stored())
    for name in want:  # the rows a sale and its reversal net to zero may come back or not
        assert {k: v for k, v in got[name].items() if any(v)} == {k: v for k, v in want[name].items() if any(v)}
    assert CanteenDayRollup.objects.filter(region_path=world.canteen.region.path).exists()
    assert ElderMonthRollup.objects.get(elder=world.elder).region_path == world.xihu_c1.path
    assert ElderYearRollup.objects.get(elder=world.other_elder, year=2025).months_mask == 1 << 5
    assert ElderYearRollup.objects.get(elder=world.other_elder, year=2026).months_mask == 1 << 17
    with pytest.raises(CommandError, match="not a date"):
        call_command("rollups", "rebuild", "--from", "June")


@pytest.mark.django_db(transaction=True)
def test_concurrent_checkouts_and_voids_keep_rollups_equal(world_tx):  # noqa: F811
    """Cashiers at two canteens sell to and void for elders of one community at the same moment:
    every increment of the shared roll-up rows lands (real transactions, one thread each)."""
    from zhucan.canteens.models import Dish

    w = world_tx
    elders = [make_elder(w.xihu_c1, birth=date(1933, 1, 1), name=f"并发{i}") for i in range(2)]
    dishes = {c.pk: Dish.objects.create(canteen=c, name="套餐", price_fen=1500) for c in (w.canteen, w.other_canteen)}
    threads = 4 if connection.vendor == "postgresql" else 2
    per_thread = 6
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def cashier(n: int):
        canteen = (w.canteen, w.other_canteen)[n % 2]
        try:
            barrier.wait()
            for i in range(per_thread):
                meal = sell(canteen, elders[(n + i) % 2], dishes[canteen.pk], f"t{n}-{i}")
                if i % 3 == 2:
                    reverse(meal, "void" if i % 2 else "refund", f"t{n}-{i}-r")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=cashier, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=120)
    assert errors == []
    assert_equal_to_ledger()
    community = CommunityDayRollup.objects.get(community=w.xihu_c1, local_date=JUNE_2)
    reversals = threads * (per_thread // 3)
    assert (community.elders, community.meals) == (2, threads * per_thread - reversals)
    net = sum(ElderDayUsage.objects.filter(local_date=JUNE_2).values_list("meals", flat=True))
    assert sum(CanteenDayRollup.objects.values_list("meals", flat=True)) == net == community.meals
