"""Quote → commit → void on the ledger (HZ-3..HZ-5, HZ-F4). Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from tests.checkout.conftest import at
from tests.conftest import make_elder
from zhucan.checkout import services as S
from zhucan.checkout.models import BenefitLine, ElderDayUsage, Meal, MealItem, ReportMismatch, Tender
from zhucan.core.errors import DomainError


def order(menu, *names, qty=1):
    return [S.OrderLine(dish_id=menu[n].pk, quantity=qty) for n in names]


def commit(world, elder, lines, key, when="2025-06-02 11:30", **kw):
    return S.meal_commit(canteen=kw.pop("canteen", world.canteen), elder=elder, lines=lines, idempotency_key=key,
                         request_digest=kw.pop("digest", key), identified_by="card", at=at(when), **kw)


def counts():
    return (Meal.objects.count(), MealItem.objects.count(), BenefitLine.objects.count(), Tender.objects.count())


def test_quote_is_read_only_and_explains(world, menu):
    q = S.meal_quote(canteen=world.canteen, elder=world.elder, lines=order(menu, "套餐"), at=at("2025-06-02 11:30"))
    # Born 1945-03-15: 80 on the meal date → 7折, benefit 30% of 15.00 (HZ-2).
    assert (q.order.gross_fen, q.benefit_fen, q.payable_fen) == (1500, 450, 1050)
    assert "7折" in q.explanation_zh
    assert q.remaining and q.remaining[0]["remaining_fen"] == 2000 - 450
    assert counts() == (0, 0, 0, 0)
    assert ElderDayUsage.objects.count() == 0


def test_commit_writes_meal_items_lines_tenders_and_usage(world, menu):
    result = commit(world, world.elder, order(menu, "套餐", "米饭"), "k1")
    meal = result.meal
    assert not result.replayed
    assert (meal.gross_fen, meal.benefit_fen, meal.payable_fen) == (1600, 480, 1120)
    assert meal.period == "lunch" and meal.identified_by == "card"
    assert [(i.name, i.quantity, i.unit_price_fen) for i in meal.items.order_by("id")] == [("套餐", 1, 1500),
                                                                                          ("米饭", 1, 100)]
    assert [(b.funder, b.amount_fen) for b in meal.benefit_lines.all()] == [("city", 480)]
    assert [(t.kind, t.amount_fen) for t in meal.tenders.all()] == [("cash", 1120)]
    usage = ElderDayUsage.objects.get(elder=world.elder, local_date=date(2025, 6, 2))
    assert usage.benefit_fen == 480 and usage.meals == 1
    assert usage.usage["layers"]["city"]["periods"] == {"lunch": 1}


def test_second_meal_in_same_period_is_full_price_even_at_another_canteen(world, menu):
    """HZ-3 + HZ-5: once per period, city-wide."""
    commit(world, world.elder, order(menu, "套餐"), "a")
    second = commit(world, world.elder, [S.OrderLine(dish_id=menu["other:套餐"].pk, quantity=1)], "b",
                    when="2025-06-02 12:10", canteen=world.other_canteen).meal
    assert second.benefit_fen == 0 and second.payable_fen == 1500
    assert second.usage_delta["layers"] == {}  # a full-price meal consumes nothing
    dinner = commit(world, world.elder, order(menu, "套餐"), "c", when="2025-06-02 17:00").meal
    assert dinner.benefit_fen == 450


def test_daily_cap_twenty_yuan(world, menu, elder92):
    """HZ-4: 92-year-old at 5折; the day's benefits stop at 20.00."""
    big = order(menu, "红烧肉", qty=2)  # 40.00 → 20.00 at 5折
    assert commit(world, elder92, big, "b1", when="2025-06-02 07:00").meal.benefit_fen == 2000
    assert commit(world, elder92, big, "b2", when="2025-06-02 11:00").meal.benefit_fen == 0


def test_idempotent_retry_returns_the_original(world, menu):
    first = commit(world, world.elder, order(menu, "套餐"), "same", digest="d1")
    again = commit(world, world.elder, order(menu, "套餐"), "same", digest="d1")
    assert again.replayed and again.meal.pk == first.meal.pk
    assert Meal.objects.count() == 1
    with pytest.raises(DomainError) as err:
        commit(world, world.elder, order(menu, "米饭"), "same", digest="d2")
    assert err.value.code == "IDEMPOTENCY_KEY_REUSED"
    assert Meal.objects.count() == 1


def test_idempotency_key_is_a_database_constraint(world, menu):
    first = commit(world, world.elder, order(menu, "套餐"), "dup").meal
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Meal.objects.create(**{f.attname: getattr(first, f.attname) for f in Meal._meta.concrete_fields
                               if f.attname not in ("id",)} | {"receipt_no": "X", "chain_seq": 999})


@pytest.mark.parametrize(
    ("lines", "when", "code"),
    [
        ("empty", "2025-06-02 11:30", "EMPTY_ORDER"),
        ("neg", "2025-06-02 11:30", "BAD_QUANTITY"),
        ("inactive", "2025-06-02 11:30", "DISH_NOT_ON_MENU"),
        ("other", "2025-06-02 11:30", "DISH_NOT_ON_MENU"),
        ("ok", "2025-06-02 14:00", "OUTSIDE_OPENING_HOURS"),
    ],
)
def test_bad_orders_are_refused_and_write_nothing(world, menu, lines, when, code):
    lines = {"neg": [S.OrderLine(dish_id=menu["套餐"].pk, quantity=-1)],
             "inactive": order(menu, "停售菜"), "other": order(menu, "other:套餐"),
             "ok": order(menu, "套餐"), "empty": []}[lines]
    with pytest.raises(DomainError) as err:
        commit(world, world.elder, lines, "bad", when=when)
    assert err.value.code == code
    assert counts() == (0, 0, 0, 0)
    assert ElderDayUsage.objects.count() == 0


def test_ineligible_elder_is_refused(world, menu):
    young = make_elder(world.xihu_c1, birth=date(1970, 1, 1), name="年轻人")
    with pytest.raises(DomainError) as err:
        commit(world, young, order(menu, "套餐"), "young")
    assert err.value.code == "ELDER_NOT_ELIGIBLE" and "年龄" in err.value.message_zh
    assert Meal.objects.count() == 0


def test_tender_mismatch_and_split_tenders(world, menu):
    with pytest.raises(DomainError) as err:
        commit(world, world.elder, order(menu, "套餐"), "t1", tenders=[S.TenderIn("cash", 1000)])
    assert err.value.code == "TENDER_MISMATCH"
    meal = commit(world, world.elder, order(menu, "套餐"), "t2",
                  tenders=[S.TenderIn("cash", 50), S.TenderIn("wechat", 1000, "wx-123")]).meal
    assert sorted((t.kind, t.amount_fen) for t in meal.tenders.all()) == [("cash", 50), ("wechat", 1000)]


def test_quote_changed_is_refused(world, menu):
    q = S.meal_quote(canteen=world.canteen, elder=world.elder, lines=order(menu, "套餐"), at=at("2025-06-02 11:30"))
    commit(world, world.elder, order(menu, "套餐"), "elsewhere")  # the elder ate meanwhile
    with pytest.raises(DomainError) as err:
        commit(world, world.elder, order(menu, "套餐"), "late", expected_payable_fen=q.payable_fen)
    assert err.value.code == "QUOTE_CHANGED"


def test_void_gives_back_exactly_the_usage(world, menu):
    meal = commit(world, world.elder, order(menu, "套餐"), "v1").meal
    before = ElderDayUsage.objects.get(elder=world.elder).usage
    void = S.meal_reverse(canteen=world.canteen, receipt_no=meal.receipt_no, kind="void", idempotency_key="v2",
                          request_digest="v2", at=at("2025-06-02 11:35")).meal
    assert (void.gross_fen, void.benefit_fen, void.payable_fen) == (-1500, -450, -1050)
    assert [(b.funder, b.amount_fen) for b in void.benefit_lines.all()] == [("city", -450)]
    usage = ElderDayUsage.objects.get(elder=world.elder)
    assert usage.benefit_fen == 0 and usage.meals == 0 and usage.usage["layers"] == {}
    assert before["layers"]["city"]["benefit_fen"] == 450
    # The discount is available again for the same period.
    again = commit(world, world.elder, order(menu, "套餐"), "v3", when="2025-06-02 11:40").meal
    assert again.benefit_fen == 450
    with pytest.raises(DomainError) as err:
        S.meal_reverse(canteen=world.canteen, receipt_no=meal.receipt_no, kind="refund", idempotency_key="v4",
                       request_digest="v4")
    assert err.value.code == "MEAL_ALREADY_REVERSED"
    with pytest.raises(DomainError) as err:
        S.meal_reverse(canteen=world.canteen, receipt_no=void.receipt_no, kind="void", idempotency_key="v5",
                       request_digest="v5")
    assert err.value.code == "MEAL_NOT_REVERSIBLE"


def test_non_elder_customer_pays_full_price(world, menu):
    meal = commit(world, None, order(menu, "套餐"), "walkin").meal
    assert (meal.benefit_fen, meal.payable_fen, meal.identified_by) == (0, 1500, "none")
    assert ElderDayUsage.objects.count() == 0


def test_report_mode_accepts_match_and_files_mismatch(world, menu):
    lines = [S.OrderLine(name="自选套餐", unit_price_fen=2000, quantity=1)]
    ok = commit(world, world.elder, lines, "r1", mode="report", reported_benefit_fen=600,
                tenders=[S.TenderIn("alipay", 1400, "ali-1")]).meal
    assert ok.benefit_fen == 600 and not ReportMismatch.objects.exists()
    off = commit(world, world.elder, lines, "r2", when="2025-06-02 17:00", mode="report", reported_benefit_fen=1000,
                 tenders=[S.TenderIn("alipay", 1000, "ali-2")]).meal
    assert off.benefit_fen == 600  # the ledger keeps the platform's rating
    mismatch = ReportMismatch.objects.get(meal=off)
    assert mismatch.reported["benefit_fen"] == 1000 and mismatch.rated["benefit_fen"] == 600
    assert mismatch.status == "open"


def test_the_meal_commit_returns_is_the_row_it_stored(world, menu):
    """The returned instance is built from the values written (on PostgreSQL without Model.__init__):
    every concrete field equals the stored row, and nothing is left to load lazily."""
    meal = commit(world, world.elder, order(menu, "套餐", "米饭"), "same-as-stored").meal
    stored = Meal.objects.get(pk=meal.pk)
    assert not meal._state.adding and meal.get_deferred_fields() == set()
    for f in Meal._meta.concrete_fields:
        assert getattr(meal, f.attname) == getattr(stored, f.attname), f.name
    assert meal.canteen is world.canteen and meal.elder is world.elder and meal.reverses is None
    # Its rows, as the receipt and the API answer read them (from memory), equal the stored ones.
    for relation, fields in (("items", ("meal_id", "dish_id", "name", "quantity", "unit_price_fen", "line_fen")),
                             ("benefit_lines", ("meal_id", "rule_id", "layer_id", "funder", "amount_fen")),
                             ("tenders", ("meal_id", "kind", "amount_fen", "reference"))):
        in_memory = [tuple(getattr(r, f) for f in fields) for r in getattr(meal, relation).all()]
        in_db = list(getattr(stored, relation).order_by("id").values_list(*fields))
        assert in_memory == in_db and in_db, relation


def test_a_sale_and_its_void_keep_usage_and_chain_in_step(world, menu):
    """The sale takes the usage row and the chain head in one statement on PostgreSQL; the void
    takes them one after the other. Both leave the chain head at the last record."""
    from zhucan.checkout.models import CanteenChain

    sale = commit(world, world.elder, order(menu, "套餐"), "sale").meal
    void = S.meal_reverse(canteen=world.canteen, receipt_no=sale.receipt_no, kind="void", idempotency_key="void",
                          request_digest="void", at=at("2025-06-02 11:40")).meal
    head = CanteenChain.objects.get(canteen=world.canteen)
    assert (head.seq, head.head_hash) == (void.chain_seq, void.record_hash) == (2, void.record_hash)
    assert void.prev_hash == sale.record_hash
    usage = ElderDayUsage.objects.get(elder=world.elder, local_date=date(2025, 6, 2))
    assert (usage.benefit_fen, usage.meals) == (0, 0)
