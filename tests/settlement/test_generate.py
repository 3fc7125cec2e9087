"""Generation: every statement equals the sum of its ledger records to the fen (HZ-10, HZ-11, LC-4)."""

from __future__ import annotations

from datetime import date

import pytest
from django.db.models import Sum

from tests.settlement.conftest import JUNE, MAY
from zhucan.checkout.models import BenefitLine, Meal
from zhucan.core.errors import DomainError, NotFound, PermissionDenied
from zhucan.core.models import AuditLog
from zhucan.settlement import services as S
from zhucan.settlement.models import Statement, StatementLine

MONEY = ("gross_fen", "benefit_fen", "payable_fen", "benefit_city_fen", "benefit_district_fen",
         "benefit_canteen_fen", "benefit_other_fen")


@pytest.fixture
def world(world_in_savepoint):
    """The world and its June ledger, built once for this module; each test's writes roll back."""
    return world_in_savepoint


@pytest.fixture
def ledger(ledger_in_savepoint):
    return ledger_in_savepoint


def ledger_sums(canteen, month):
    rows = Meal.objects.filter(canteen=canteen, settle_month=month)
    sums = rows.aggregate(**{f: Sum(f) for f in MONEY})
    return {f: sums[f] or 0 for f in MONEY}


def test_each_statement_equals_the_sum_of_its_ledger_records(world, ledger):
    statements = S.statement_generate(actor=None, month=JUNE)
    by_canteen = {s.canteen_id: s for s in statements}
    assert set(by_canteen) == {world.canteen.pk, world.other_canteen.pk, ledger.lc_canteen.pk}
    for st in statements:
        assert {f: getattr(st, f) for f in MONEY} == ledger_sums(st.canteen, JUNE)
        lines = BenefitLine.objects.filter(meal__canteen=st.canteen, meal__settle_month=JUNE)
        assert (lines.aggregate(t=Sum("amount_fen"))["t"] or 0) == st.benefit_fen
        assert st.status == "draft" and st.month == JUNE
        assert S.statement_check(st)[0] == []


def test_counts_voids_refunds_and_distinct_elders(world, ledger):
    S.statement_generate(actor=None, month=JUNE)
    bs = Statement.objects.get(canteen=world.canteen, month=JUNE)
    # 6 sales (5 elder, 1 walk-in), 2 reversals; 人次 = 5 − 2 = 3; two distinct elders.
    assert (bs.sales, bs.reversals, bs.elder_meals, bs.non_elder_meals, bs.elders) == (6, 2, 3, 1, 2)
    # 张秀英 (80): 7折 on 15.00 → 4.50 twice; 王九二 (92): 5折 on 30.00 → 15.00 (voids/refunds net out).
    assert bs.benefit_fen == 450 * 2 + 1500 and bs.benefit_city_fen == bs.benefit_fen
    assert bs.gross_fen == 1500 * 2 + 3000 + 1500  # + the walk-in's 15.00
    assert bs.payable_fen == bs.gross_fen - bs.benefit_fen
    assert (bs.adjustments, bs.adjustments_benefit_fen) == (0, 0)


def test_liaocheng_two_funders(world, ledger):
    S.statement_generate(actor=None, month=JUNE)
    lc = Statement.objects.get(canteen=ledger.lc_canteen, month=JUNE)
    # 85-year-old: 2 + 2 yuan twice; 75-year-old: 1 + 1 yuan (LC-4).
    assert (lc.benefit_city_fen, lc.benefit_district_fen, lc.benefit_fen) == (500, 500, 1000)
    assert (lc.elder_meals, lc.non_elder_meals, lc.elders) == (3, 1, 2)
    diff, lines = S.statement_check(lc)
    assert diff == []
    assert sorted((f, r, n, a) for f, r, n, a in lines) == [("city", "lc.city.meal", 3, 500),
                                                           ("district", "lc.district.meal", 3, 500)]


def test_adjustments_from_an_earlier_month(world, ledger):
    # A late record of May settling in June (what checkout does once May is finalised).
    may_meal = Meal.objects.get(canteen=world.canteen, idempotency_key="bs-may")
    Meal.objects.filter(pk=may_meal.pk).update(settle_month=JUNE)
    S.statement_generate(actor=None, month=JUNE)
    bs = Statement.objects.get(canteen=world.canteen, month=JUNE)
    assert (bs.adjustments, bs.adjustments_benefit_fen) == (1, may_meal.benefit_fen)
    assert bs.benefit_fen == ledger_sums(world.canteen, JUNE)["benefit_fen"]


def test_may_is_its_own_month(world, ledger):
    S.statement_generate(actor=None, month=MAY)
    bs = Statement.objects.get(canteen=world.canteen, month=MAY)
    assert (bs.sales, bs.benefit_fen) == (1, 450)
    # Open canteens without records still get a (zero) statement.
    assert Statement.objects.get(canteen=world.other_canteen, month=MAY).sales == 0


def test_generating_twice_replaces_drafts_then_refuses_once_confirmed(world, ledger):
    first = S.statement_generate(actor=None, month=JUNE)
    ids = {s.canteen_id: s.pk for s in first}
    again = S.statement_generate(actor=world.users["city_admin"], month=JUNE)
    # Hangzhou's city admin regenerates Hangzhou's two drafts, in place.
    assert {s.canteen_id: s.pk for s in again} == {k: v for k, v in ids.items() if k != ledger.lc_canteen.pk}
    assert Statement.objects.count() == 3
    bs = Statement.objects.get(canteen=world.canteen, month=JUNE)
    S.statement_confirm(actor=world.users["canteen_manager"], statement_id=bs.pk)
    before = list(Statement.objects.order_by("pk").values())
    audits = AuditLog.objects.count()
    with pytest.raises(DomainError) as err:
        S.statement_generate(actor=None, month=JUNE)
    assert err.value.code == "MONTH_ALREADY_SETTLED" and "北山" in err.value.message_zh
    assert list(Statement.objects.order_by("pk").values()) == before
    assert AuditLog.objects.count() == audits
    # Liaocheng is out of that scope: its city can still regenerate its own drafts.
    assert len(S.statement_generate(actor=world.other["city_admin"], month=JUNE)) == 1


def test_regeneration_picks_up_new_records(world, ledger):
    from tests.settlement.conftest import sell

    S.statement_generate(actor=None, month=JUNE)
    sell(world.other_canteen, world.other_elder, ledger.dish[world.other_canteen.pk], "hb3", "2025-06-20 11:30")
    S.statement_generate(actor=None, month=JUNE)
    hb = Statement.objects.get(canteen=world.other_canteen, month=JUNE)
    assert hb.elder_meals == 3 and hb.benefit_fen == ledger_sums(world.other_canteen, JUNE)["benefit_fen"]


def test_month_not_ended_is_refused(world, ledger):
    with pytest.raises(DomainError) as err:
        S.statement_generate(actor=None, month=date(2025, 7, 1))
    assert err.value.code == "MONTH_NOT_ENDED"
    assert Statement.objects.count() == 0


def test_scope_of_generation(world, ledger):
    mine = S.statement_generate(actor=world.users["district_admin"], month=JUNE)
    assert [s.canteen_id for s in mine] == [world.canteen.pk]
    sc = S.statement_generate(actor=world.users["city_admin"], month=JUNE, district=world.shangcheng)
    assert [s.canteen_id for s in sc] == [world.other_canteen.pk]
    with pytest.raises(NotFound):
        S.statement_generate(actor=world.users["district_admin"], month=JUNE, district=world.shangcheng)
    with pytest.raises(PermissionDenied):
        S.statement_generate(actor=world.users["canteen_manager"], month=JUNE)
    assert Statement.objects.count() == 2
    assert StatementLine.objects.count() == 0
    assert AuditLog.objects.filter(action="statement.generate").count() == 2


def test_generation_is_audited_per_district_as_system(world, ledger):
    S.statement_generate(actor=None, month=JUNE)
    rows = AuditLog.objects.filter(action="statement.generate").order_by("region_path")
    assert [r.region_path for r in rows] == [world.shangcheng.path, world.xihu.path, world.lc_zone.path]
    assert {r.actor_repr for r in rows} == {"system"}
