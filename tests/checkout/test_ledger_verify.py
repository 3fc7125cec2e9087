"""`zhucan ledger verify` finds altered, inserted and deleted records (hash chain per canteen), day-usage
counters that disagree with the ledger, and ledger days beyond the limits of the policy in force."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tests.checkout.conftest import at
from tests.conftest import _system_user, make_canteen, make_elder
from zhucan.checkout import services as S
from zhucan.checkout.models import BenefitLine, CanteenChain, ElderDayUsage, Meal, MealItem
from zhucan.checkout.usage_screen import suspect_elder_days
from zhucan.checkout.usage_verification import CounterProblem
from zhucan.checkout.verification import chains_verify, ledger_verify

JUNE_2 = date(2025, 6, 2)


@pytest.fixture
def ledger3(world, menu):
    meals = []
    for n, when in enumerate(["2025-06-02 07:10", "2025-06-02 11:30", "2025-06-02 17:00"]):
        meals.append(S.meal_commit(canteen=world.canteen, elder=world.elder,
                                   lines=[S.OrderLine(dish_id=menu["套餐"].pk, quantity=1)],
                                   idempotency_key=f"k{n}", request_digest=f"k{n}", at=at(when)).meal)
    S.meal_reverse(canteen=world.canteen, receipt_no=meals[1].receipt_no, kind="void", idempotency_key="v",
                   request_digest="v", at=at("2025-06-02 11:40"))
    return meals


def test_clean_ledger_verifies(ledger3, capsys):
    checked, problems = ledger_verify()
    assert (checked, problems) == (4, [])
    call_command("ledger", "verify")
    assert "4 records checked, 1 elder-days reconciled, 0 problems" in capsys.readouterr().out


def test_altered_amount_is_found(ledger3):
    # A consistent forgery (the constraints hold), which only the hash chain can catch.
    Meal.objects.filter(pk=ledger3[0].pk).update(benefit_fen=0, benefit_city_fen=0, payable_fen=1500)
    _, problems = chains_verify()
    assert [(p.chain_seq, p.kind) for p in problems] == [(1, "altered")]
    with pytest.raises(CommandError):
        call_command("ledger", "verify")


def test_altered_benefit_line_or_item_is_found(ledger3):
    BenefitLine.objects.filter(meal=ledger3[2]).update(funder="district")
    MealItem.objects.filter(meal=ledger3[0]).update(quantity=2)
    _, problems = ledger_verify()
    assert sorted((p.chain_seq, p.kind) for p in problems) == [(1, "altered"), (3, "altered")]


def test_deleted_record_is_found(ledger3):
    meal = ledger3[2]
    for rel in (meal.items, meal.benefit_lines, meal.tenders):
        rel.all().delete()
    Meal.objects.filter(pk=meal.pk).delete()
    _, problems = ledger_verify()
    kinds = {p.kind for p in problems}
    assert "missing" in kinds and "broken_link" in kinds


def test_deleted_last_record_is_found_by_the_chain_head(ledger3):
    last = Meal.objects.order_by("-chain_seq").first()
    for rel in (last.items, last.benefit_lines, last.tenders):
        rel.all().delete()
    Meal.objects.filter(pk=last.pk).delete()
    _, problems = chains_verify()
    assert [p.kind for p in problems] == ["head_mismatch"]


def test_inserted_record_is_found(ledger3, world):
    first = Meal.objects.get(pk=ledger3[0].pk)
    Meal.objects.filter(canteen=world.canteen).update(chain_seq=models_f("chain_seq") + 100)
    forged = Meal.objects.get(pk=first.pk)
    forged.pk, forged.receipt_no, forged.idempotency_key, forged.chain_seq = None, "FORGED", "forged", 1
    forged.save()
    Meal.objects.filter(canteen=world.canteen, chain_seq__gt=100).update(chain_seq=models_f("chain_seq") - 99)
    CanteenChain.objects.filter(canteen=world.canteen).update(seq=5)
    _, problems = ledger_verify()
    assert any(p.kind in ("broken_link", "altered") for p in problems)


def models_f(name):
    from django.db.models import F

    return F(name)


# --- day-usage counters against the ledger and the policy's limits ------------------------------------


def counter_problems():
    return [p for p in ledger_verify()[1] if isinstance(p, CounterProblem)]


def sell(canteen, elder, dish, key, when):
    return S.meal_commit(canteen=canteen, elder=elder, lines=[S.OrderLine(dish_id=dish.pk, quantity=1)],
                         idempotency_key=key, request_digest=key, at=at(when)).meal


def reverse(meal, kind, key, when):
    return S.meal_reverse(canteen=meal.canteen, receipt_no=meal.receipt_no, kind=kind, idempotency_key=key,
                          request_digest=key, at=at(when)).meal


def insert_copy(meal, when, *, benefit_fen=None, period=None):
    """A sale written straight into the tables, as someone with database access could: no usage row
    update, no limit check."""
    copy = Meal.objects.get(pk=meal.pk)
    lines = list(BenefitLine.objects.filter(meal=meal).order_by("pk"))
    if benefit_fen is not None:
        copy.gross_fen, copy.benefit_fen, copy.benefit_city_fen = 2 * benefit_fen, benefit_fen, benefit_fen
        copy.payable_fen, lines = benefit_fen, lines[:1]
        lines[0].amount_fen = benefit_fen
    last = Meal.objects.filter(canteen=meal.canteen).order_by("-chain_seq").first().chain_seq
    copy.pk, copy.receipt_no, copy.idempotency_key, copy.chain_seq = None, f"FORGED{last}", f"forged{last}", last + 1
    copy.at, copy.period = at(when), period if period is not None else copy.period
    copy.save()
    for line in lines:
        line.pk, line.meal = None, copy
        line.save()
    return copy


@pytest.fixture
def liaocheng(world):
    """A Liaocheng canteen (no meal periods, one subsidised meal a day) and a verified 85-year-old."""
    from zhucan.canteens.models import Dish
    from zhucan.canteens.services import canteen_set_periods
    from zhucan.elders.models import Elder

    world.lc.policy_id = "liaocheng"
    world.lc.save()
    canteen = make_canteen(world.lc_sub, "蒋官屯幸福食堂")
    canteen_set_periods(actor=_system_user(), canteen_id=canteen.pk, periods=[])
    canteen.refresh_from_db()
    elder = make_elder(world.lc_c1, birth=date(1940, 5, 1), name="赵老汉")
    Elder.objects.filter(pk=elder.pk).update(verification="verified")
    elder.refresh_from_db()
    return canteen, elder, Dish.objects.create(canteen=canteen, name="套餐", price_fen=1000)


def test_a_zeroed_usage_row_is_reported_with_elder_date_and_yuan(ledger3, world, menu, capsys):
    # Breakfast 4.50 and dinner 4.50 stand (lunch was voided): the row says 9.00 over 2 meals.
    with connection.cursor() as cur:
        cur.execute("UPDATE checkout_elderdayusage SET usage = %s, benefit_fen = 0, meals = 0 WHERE elder_id = %s",
                    ["{}", world.elder.pk])
    assert chains_verify() == (4, [])  # the chain cannot see it
    assert suspect_elder_days(None) == {(world.elder.pk, JUNE_2)}  # the database's screen finds it
    problems = counter_problems()
    assert {(p.elder_id, p.day, p.kind) for p in problems} == {(world.elder.pk, JUNE_2, "usage_mismatch")}
    text = "\n".join(str(p) for p in problems)
    assert "usage row 0.00 yuan over 0 meal(s); ledger 9.00 yuan over 2 meal(s)" in text
    assert "layer city: usage row 0.00 yuan, 0 meal(s), periods: none; ledger 9.00 yuan, 2 meal(s), " \
           "periods: breakfast 1, dinner 1" in text
    assert world.elder.id_number_masked in text and world.elder.plain_id_number not in text
    with pytest.raises(CommandError, match="usage counters"):
        call_command("ledger", "verify")
    assert "2025-06-02: usage_mismatch" in capsys.readouterr().out

    # The zeroed row lets a second breakfast discount through; the ledger now breaks once per period.
    second = sell(world.canteen, world.elder, menu["套餐"], "again", "2025-06-02 08:00")
    assert second.benefit_fen == 450
    problems = counter_problems()
    assert [(p.kind, p.detail) for p in problems if p.kind != "usage_mismatch"] == [
        ("period_limit", "layer city: 2 benefited meals in the breakfast period, limit 1")]


def test_a_meal_beyond_the_period_limit_inserted_directly_is_reported(ledger3, world):
    insert_copy(ledger3[0], "2025-06-02 07:50")  # a second breakfast with its 4.50
    assert suspect_elder_days(None) == {(world.elder.pk, JUNE_2)}
    kinds = {(p.kind, p.detail) for p in counter_problems()}
    assert ("period_limit", "layer city: 2 benefited meals in the breakfast period, limit 1") in kinds
    assert any(kind == "usage_mismatch" for kind, _ in kinds)


def test_a_meal_beyond_the_daily_cap_inserted_directly_is_reported(ledger3, world):
    # Lunch was voided, so the period is free; 15.00 more makes 24.00 against the 20.00 cap.
    insert_copy(ledger3[0], "2025-06-02 11:50", benefit_fen=1500, period="lunch")
    kinds = {p.kind: p.detail for p in counter_problems()}
    assert kinds["daily_cap"] == "layer city: 24.00 yuan of benefit, cap 20.00 yuan a day"
    assert "period_limit" not in kinds


def test_a_second_subsidised_meal_in_liaocheng_inserted_directly_is_reported(liaocheng):
    canteen, elder, dish = liaocheng
    first = sell(canteen, elder, dish, "lc1", "2025-06-02 11:30")
    assert (first.benefit_city_fen, first.benefit_district_fen) == (200, 200)
    assert counter_problems() == []
    insert_copy(first, "2025-06-02 17:30")
    problems = counter_problems()
    assert {(p.elder_id, p.day) for p in problems} == {(elder.pk, JUNE_2)}
    # Two lines (city and district) per meal, but one benefited meal each.
    assert [(p.kind, p.detail) for p in problems] == [
        ("usage_mismatch", "usage row 4.00 yuan over 1 meal(s); ledger 8.00 yuan over 2 meal(s)"),
        ("usage_mismatch", "layer meal: usage row 4.00 yuan, 1 meal(s), periods: none; "
                           "ledger 8.00 yuan, 2 meal(s), periods: none"),
        ("daily_meals", "layer meal: 2 benefited meals, limit 1 a day"),
    ]


def test_a_normal_day_with_voids_and_refunds_is_clean(ledger3, world, menu, liaocheng):
    # ledger3: breakfast, lunch voided, dinner. The freed lunch is used again; the dinner is refunded
    # the next morning (the refund gives back June 2nd's usage).
    relunch = sell(world.canteen, world.elder, menu["套餐"], "relunch", "2025-06-02 12:00")
    assert relunch.benefit_fen == 450
    reverse(ledger3[2], "refund", "refund", "2025-06-03 09:00")
    next_day = sell(world.canteen, world.elder, menu["套餐"], "next", "2025-06-03 11:00")
    canteen, elder, dish = liaocheng
    voided = sell(canteen, elder, dish, "lc1", "2025-06-02 11:30")
    reverse(voided, "void", "lc-void", "2025-06-02 11:35")
    sell(canteen, elder, dish, "lc2", "2025-06-02 17:30")
    checked, problems = ledger_verify()
    assert (checked, problems) == (10, [])
    assert suspect_elder_days(None) == set() and suspect_elder_days((JUNE_2, JUNE_2)) == set()
    row = ElderDayUsage.objects.get(elder=world.elder, local_date=JUNE_2)
    assert (row.benefit_fen, row.meals) == (900, 2)
    assert ElderDayUsage.objects.get(elder=world.elder, local_date=date(2025, 6, 3)).benefit_fen == \
        next_day.benefit_fen


def test_a_usage_row_that_is_not_counters_is_reported(ledger3, world):
    with connection.cursor() as cur:
        cur.execute("UPDATE checkout_elderdayusage SET usage = %s WHERE elder_id = %s",
                    ['{"date": "2025-06-02", "layers": {"city": {"benefit_fen": "lots"}}}', world.elder.pk])
    problems = counter_problems()
    assert [(p.elder_id, p.day, p.kind) for p in problems] == [(world.elder.pk, JUNE_2, "usage_unreadable")]
    assert "usage.layers.city.benefit_fen" in problems[0].detail


def test_since_and_until_narrow_the_elder_days_reconciled(ledger3, world, capsys):
    ElderDayUsage.objects.filter(elder=world.elder).update(benefit_fen=0)
    call_command("ledger", "verify", "--since", "2025-06-03")
    assert "4 records checked, 0 elder-days reconciled, 0 problems" in capsys.readouterr().out
    with pytest.raises(CommandError, match="usage counters"):
        call_command("ledger", "verify", "--until", "2025-06-02")
    with pytest.raises(CommandError, match="not a date"):
        call_command("ledger", "verify", "--since", "June")
