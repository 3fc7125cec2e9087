"""`zhucan ledger verify` finds altered, inserted and deleted records (hash chain per canteen)."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from tests.checkout.conftest import at
from zhucan.checkout import services as S
from zhucan.checkout.models import BenefitLine, CanteenChain, Meal, MealItem
from zhucan.checkout.verification import ledger_verify


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
    assert "4 records checked, 0 problems" in capsys.readouterr().out


def test_altered_amount_is_found(ledger3):
    # A consistent forgery (the constraints hold), which only the hash chain can catch.
    Meal.objects.filter(pk=ledger3[0].pk).update(benefit_fen=0, benefit_city_fen=0, payable_fen=1500)
    _, problems = ledger_verify()
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
    _, problems = ledger_verify()
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
