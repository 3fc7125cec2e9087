"""Designation gates benefits (HZ-8): only on the dates inside one of the canteen's designated spans
do its meals carry benefits; otherwise the canteen still sells, at full price, the cashier reads
why in Chinese and the API answers a stable code. A late report is judged by its own date."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.api.conftest import CARD as API_CARD
from tests.api.conftest import Signed
from tests.checkout.test_cashier_views import CARD, Till
from tests.conftest import bind_card, designate, login, make_canteen, make_user
from zhucan.canteens.models import DesignatedSpan, Dish
from zhucan.canteens.services import canteen_touch
from zhucan.checkout import context as checkout_context
from zhucan.checkout import services as S
from zhucan.checkout.models import Meal
from zhucan.core import clock
from zhucan.policy import CanteenFacts, ElderFacts, InputError, evaluate
from zhucan.rules.facts import canteen_facts, policy_for_city

SH = ZoneInfo("Asia/Shanghai")
LUNCH = datetime(2025, 6, 2, 11, 30, tzinfo=SH)


@pytest.fixture(autouse=True)
def _designated(world):
    """The shared canteens designated from 2020 (the filing tests' fixtures start undesignated)."""
    designate(world.canteen)
    designate(world.other_canteen)


# --- the pure engine ---------------------------------------------------------------------------

def test_the_engine_gives_nothing_at_a_canteen_not_designated_and_says_why():
    policy = policy_for_city("hangzhou")
    elder = ElderFacts(date(1940, 5, 1))
    gated = evaluate(policy, elder, CanteenFacts("上城区", designated=False), LUNCH, amount_fen=2000)
    assert (gated.benefit_fen, gated.payable_fen, gated.reason_code) == (0, 2000, "CANTEEN_NOT_DESIGNATED")
    assert gated.lines == () and gated.usage_delta.layers == {}  # no counter is used up
    assert "不是定点助餐机构" in gated.explanation_zh and "按原价" in gated.explanation_zh
    assert "not a designated canteen" in gated.explanation_en
    assert evaluate(policy, elder, CanteenFacts("上城区"), LUNCH, amount_fen=2000).benefit_fen == 600


def test_designated_must_be_a_boolean():
    with pytest.raises(InputError):
        CanteenFacts("上城区", designated="no")


# --- the adapter: spans and the meal's date ------------------------------------------------------

def test_the_adapter_reads_the_span_for_the_meals_own_date(world):
    canteen = make_canteen(world.xihu_sub, "西溪食堂", designated_from=None)
    assert canteen_facts(canteen, date(2025, 6, 2)).designated is False  # never designated
    designate(canteen, date(2025, 6, 1), date(2025, 6, 10))
    designate(canteen, date(2025, 7, 1))
    on = {d: canteen_facts(canteen, d).designated for d in (date(2025, 5, 31), date(2025, 6, 1), date(2025, 6, 9),
                                                             date(2025, 6, 10), date(2025, 6, 30), date(2025, 7, 1),
                                                             date(2030, 1, 1))}
    assert on == {date(2025, 5, 31): False, date(2025, 6, 1): True, date(2025, 6, 9): True,
                  date(2025, 6, 10): False, date(2025, 6, 30): False, date(2025, 7, 1): True,
                  date(2030, 1, 1): True}


# --- checkout: the per-process cache -------------------------------------------------------------

def _quote(canteen, elder, dish):
    return S.meal_quote(canteen=canteen, elder=elder, lines=[S.OrderLine(dish_id=dish.pk, quantity=1)])


def test_a_designation_change_reaches_the_cached_checkout_context_at_once(world, menu, frozen_clock):
    frozen_clock(LUNCH)
    assert _quote(world.canteen, world.elder, menu["套餐"]).benefit_fen == 450
    cached = checkout_context.canteen_context(world.canteen)
    # Suspension closes the span at today and moves config_version in the same transaction.
    DesignatedSpan.objects.filter(canteen=world.canteen, end__isnull=True).update(end=LUNCH.date())
    canteen_touch(world.canteen.pk)
    world.canteen.refresh_from_db()
    q = _quote(world.canteen, world.elder, menu["套餐"])
    assert (q.benefit_fen, q.payable_fen, q.quote.reason_code) == (0, 1500, "CANTEEN_NOT_DESIGNATED")
    assert checkout_context.canteen_context(world.canteen) is not cached


def test_a_span_ending_at_midnight_is_honoured_without_a_write(world, menu, frozen_clock):
    DesignatedSpan.objects.filter(canteen=world.canteen).update(end=date(2025, 6, 3))
    canteen_touch(world.canteen.pk)
    world.canteen.refresh_from_db()
    frozen_clock(datetime(2025, 6, 2, 17, 0, tzinfo=SH))
    assert _quote(world.canteen, world.elder, menu["套餐"]).benefit_fen > 0
    cached = checkout_context.canteen_context(world.canteen)
    frozen_clock(datetime(2025, 6, 3, 7, 0, tzinfo=SH))  # the next local day; nothing written
    q = _quote(world.canteen, world.elder, menu["套餐"])
    assert (q.benefit_fen, q.quote.reason_code) == (0, "CANTEEN_NOT_DESIGNATED")
    assert checkout_context.canteen_context(world.canteen) is cached  # the same cached context decided


def test_a_span_starting_at_midnight_is_honoured_without_a_write(world, menu, frozen_clock):
    DesignatedSpan.objects.filter(canteen=world.canteen).delete()
    designate(world.canteen, date(2025, 6, 3))
    frozen_clock(datetime(2025, 6, 2, 17, 0, tzinfo=SH))
    assert _quote(world.canteen, world.elder, menu["米饭"]).quote.reason_code == "CANTEEN_NOT_DESIGNATED"
    cached = checkout_context.canteen_context(world.canteen)
    frozen_clock(datetime(2025, 6, 3, 11, 0, tzinfo=SH))
    assert _quote(world.canteen, world.elder, menu["米饭"]).benefit_fen == 30  # 7折 on 1.00
    assert checkout_context.canteen_context(world.canteen) is cached


# --- the cashier page -----------------------------------------------------------------------------

@pytest.fixture
def till(world, menu, client, frozen_clock, settings, tmp_path):
    settings.ZHUCAN_RECEIPT_PRINTER = f"file://{tmp_path}/{{receipt_no}}.bin"
    frozen_clock(LUNCH)
    bind_card(world.elder, CARD)
    return Till(login(client, world.users["cashier"]))


def test_the_cashier_sees_why_a_canteen_never_designated_sells_at_full_price(world, till, menu):
    DesignatedSpan.objects.filter(canteen=world.canteen).delete()
    canteen_touch(world.canteen.pk)
    till.add(menu["套餐"])
    html = till.post("identify", ident=CARD)
    assert "本助餐点未定点，本餐不享受优惠" in html
    assert "¥15.00" in html and "¥0.00" in html
    assert "CANTEEN_NOT_DESIGNATED" not in html  # no internal codes on screen
    # It still sells: the meal is recorded at full price, as the elder's meal, with no benefit lines.
    till.post("commit")
    meal = Meal.objects.get()
    assert (meal.elder_id, meal.gross_fen, meal.benefit_fen, meal.payable_fen) == (world.elder.pk, 1500, 0, 1500)
    assert not meal.benefit_lines.exists()


def test_the_cashier_sees_that_a_suspended_canteen_sells_at_full_price(world, till, menu):
    DesignatedSpan.objects.filter(canteen=world.canteen).update(end=date(2025, 5, 20))
    canteen_touch(world.canteen.pk)
    till.add(menu["套餐"])
    html = till.post("identify", ident=CARD)
    assert "本助餐点已暂停定点，本餐不享受优惠" in html
    assert till.state["expected"] == "1500"


def test_a_designated_canteens_cashier_sees_no_such_notice(till, menu):
    till.add(menu["套餐"])
    html = till.post("identify", ident=CARD)
    assert "定点" not in html and till.state["expected"] == "1050"


# --- the API --------------------------------------------------------------------------------------

@pytest.fixture
def api(client, world, frozen_clock):
    from zhucan.api.services import terminal_register

    frozen_clock(LUNCH)
    bind_card(world.elder, API_CARD)
    reg = terminal_register(actor=None, canteen=world.canteen, name="1号收银台", vendor="测试厂商")
    return Signed(client, reg.terminal.key_id, reg.secret, lambda: clock.now())


def test_the_api_quote_and_commit_answer_the_stable_code(world, menu, api):
    DesignatedSpan.objects.filter(canteen=world.canteen).update(end=date(2025, 6, 1))
    canteen_touch(world.canteen.pk)
    order = {"elder": {"card_number": API_CARD}, "items": [{"dish_id": menu["套餐"].pk, "quantity": 1}]}
    ident = api.post("/api/v1/elders/identify", {"card_number": API_CARD}).json()
    assert ident["eligibility"]["reason_code"] == "CANTEEN_NOT_DESIGNATED"
    q = api.post("/api/v1/meals/quote", order)
    assert q.status_code == 200, q.content
    assert (q.json()["benefit_fen"], q.json()["payable_fen"], q.json()["reason_code"]) == (0, 1500,
                                                                                         "CANTEEN_NOT_DESIGNATED")
    assert "已暂停定点" in q.json()["explanation_zh"]
    c = api.post("/api/v1/meals/commit", {**order, "expected_payable_fen": 1500}, key="gate-1")
    assert c.status_code == 200, c.content
    body = c.json()
    assert (body["benefit_fen"], body["payable_fen"], body["reason_code"]) == (0, 1500, "CANTEEN_NOT_DESIGNATED")
    again = api.post("/api/v1/meals/commit", {**order, "expected_payable_fen": 1500}, key="gate-1")
    assert again.json()["replayed"] is True and again.json()["reason_code"] == "CANTEEN_NOT_DESIGNATED"
    assert Meal.objects.count() == 1


def test_a_designated_canteens_commit_answers_no_code(world, menu, api):
    order = {"elder": {"card_number": API_CARD}, "items": [{"dish_id": menu["套餐"].pk, "quantity": 1}]}
    c = api.post("/api/v1/meals/commit", order, key="gate-2")
    assert c.status_code == 200, c.content
    assert c.json()["benefit_fen"] == 450 and c.json()["reason_code"] is None
    again = api.post("/api/v1/meals/commit", order, key="gate-2")
    assert again.json()["replayed"] is True and again.json()["reason_code"] is None


def test_a_late_report_is_judged_by_its_own_date(world, api, frozen_clock):
    # Suspended from 3 June; on 3 June the terminal reports a meal of 2 June (designated then).
    DesignatedSpan.objects.filter(canteen=world.canteen).update(end=date(2025, 6, 3))
    canteen_touch(world.canteen.pk)
    frozen_clock(LUNCH + timedelta(days=1))
    report = {"elder": {"card_number": API_CARD}, "benefit_fen": 600,
              "items": [{"name": "自选套餐", "quantity": 1, "unit_price_fen": 2000}],
              "tenders": [{"kind": "cash", "amount_fen": 1400, "reference": ""}]}
    late = api.post("/api/v1/meals/report", {**report, "occurred_at": LUNCH.isoformat()}, key="late")
    assert late.status_code == 200, late.content
    assert (late.json()["benefit_fen"], late.json()["accepted"], late.json()["reason_code"]) == (600, True, None)
    today = api.post("/api/v1/meals/report", report, key="today")
    assert today.status_code == 200, today.content
    assert (today.json()["benefit_fen"], today.json()["accepted"]) == (0, False)
    assert today.json()["reason_code"] == "CANTEEN_NOT_DESIGNATED"


def test_fixture_canteens_are_designated_through_a_span(world):
    assert DesignatedSpan.objects.filter(canteen=world.canteen, end__isnull=True).exists()
    made = make_canteen(world.xihu_sub2, "西溪第二食堂", designated_from=date(2020, 1, 1))
    assert list(DesignatedSpan.objects.filter(canteen=made).values_list("start", "end")) == [(date(2020, 1, 1), None)]
    other = make_canteen(world.xihu_sub2, "西溪食堂", designated_from=None)
    assert not DesignatedSpan.objects.filter(canteen=other).exists()
    assert make_user("mgr2", "canteen_manager", canteen=other).canteen == other
    assert Dish.objects.filter(canteen=other).count() == 0


def test_the_districts_designation_and_suspension_reach_the_cashier_at_once(world, frozen_clock):
    from tests.conftest import _system_user
    from tests.filing.lifecycle_helpers import to_designated
    from zhucan.canteens.models import Canteen
    from zhucan.filing.services import designation_suspend

    frozen_clock(datetime(2026, 3, 2, 11, 0, tzinfo=SH))
    canteen = make_canteen(world.xihu_sub2, "西溪长者食堂", designated_from=None)
    dish = Dish.objects.create(canteen=canteen, name="套餐", price_fen=1500)

    def quote():  # each request reads the canteen row afresh
        return _quote(Canteen.objects.get(pk=canteen.pk), world.elder, dish)

    assert quote().quote.reason_code == "CANTEEN_NOT_DESIGNATED"
    assert "本助餐点未定点" in quote().explanation_zh
    to_designated(world.users["district_admin"], _system_user(), canteen)
    assert quote().benefit_fen == 450
    designation_suspend(actor=world.users["district_admin"], canteen=canteen, reason="食品安全检查未通过")
    q = quote()
    assert (q.benefit_fen, q.quote.reason_code) == (0, "CANTEEN_NOT_DESIGNATED")
    assert "本助餐点已暂停定点" in q.explanation_zh
