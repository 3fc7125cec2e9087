"""The terminals' filing reports through API v1: capabilities, test receipt, test identification,
training-mode test meal — signed, idempotent, never in the ledger, and read by the filing checks."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from zhucan.filing.models import TerminalCapabilities, TerminalTest

from .conftest import CARD, LUNCH

CAPS = {"citizen_card_reader": True, "id_card_reader": True, "face": True, "card_payment": True,
        "qr_payment": True, "receipt_printer": True, "software": "收银宝 3.2"}


@pytest.fixture
def designated(world):
    """The canteen designated since before the test (its meals carry benefits): the shared fixture
    designates its canteens through a span (tests/conftest.py make_canteen)."""
    assert world.canteen.designated_spans.filter(start__lte=date(2025, 1, 1), end__isnull=True).exists()
    return world.canteen


def _ledger_untouched():
    from zhucan.checkout.models import ElderDayUsage, Meal

    assert not Meal.objects.exists()
    assert not ElderDayUsage.objects.exists()


def test_capabilities_are_reported_and_replaced(api, terminal):
    response = api.post("/api/v1/terminal/capabilities", {**CAPS, "face": False})
    assert response.status_code == 200, response.json()
    assert response.json()["face"] is False and response.json()["terminal"] == "1号收银台"
    response = api.post("/api/v1/terminal/capabilities", CAPS)
    caps = TerminalCapabilities.objects.get(terminal=terminal.obj)
    assert caps.face and caps.receipt_printer and caps.software == "收银宝 3.2"
    assert TerminalCapabilities.objects.count() == 1


def test_capabilities_need_every_flag_as_a_boolean(api):
    response = api.post("/api/v1/terminal/capabilities", {**CAPS, "face": "yes"})
    assert response.status_code == 400 and response.json()["code"] == "INPUT_INVALID"
    missing = {k: v for k, v in CAPS.items() if k != "qr_payment"}
    assert api.post("/api/v1/terminal/capabilities", missing).status_code == 400
    assert not TerminalCapabilities.objects.exists()


def test_a_test_receipt_is_recorded_once_per_key(api, terminal):
    body = {"receipt_no": "T0001", "text": "北山长者食堂\n测试小票\n合计 0.00元", "printed": True}
    first = api.post("/api/v1/terminal/tests/receipt", body, key="rcpt-1")
    assert first.status_code == 200, first.json()
    assert first.json()["passed"] is True and first.json()["replayed"] is False
    again = api.post("/api/v1/terminal/tests/receipt", body, key="rcpt-1")
    assert again.json()["replayed"] is True and again.json()["test_id"] == first.json()["test_id"]
    other = api.post("/api/v1/terminal/tests/receipt", {**body, "printed": False}, key="rcpt-1")
    assert other.status_code == 409 and other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert api.post("/api/v1/terminal/tests/receipt", body).json()["code"] == "IDEMPOTENCY_KEY_REQUIRED"
    test = TerminalTest.objects.get()
    assert test.kind == "receipt" and test.detail["receipt_no"] == "T0001" and "测试小票" in test.detail["text"]


def test_a_test_identification_goes_through_the_identification_door(api, carded, terminal):
    response = api.post("/api/v1/terminal/tests/identification", {"card_number": CARD}, key="id-1")
    assert response.status_code == 200, response.json()
    answer = response.json()
    assert answer["name"] == "张*英" and answer["identified_by"] == "card" and answer["passed"] is True
    unknown = api.post("/api/v1/terminal/tests/identification", {"card_number": "3301000099999999"}, key="id-2")
    assert unknown.status_code == 404 and unknown.json()["code"] == "CARD_UNKNOWN"
    assert TerminalTest.objects.filter(kind="identification").count() == 1
    _ledger_untouched()


def test_a_training_meal_is_rated_by_the_real_quote_and_never_reaches_the_ledger(api, menu, carded, terminal,
                                                                                  designated):
    body = {"elder": {"card_number": CARD}, "items": [{"dish_id": menu["套餐"].pk, "quantity": 1}]}
    response = api.post("/api/v1/terminal/tests/meal", body, key="meal-1")
    assert response.status_code == 200, response.json()
    answer = response.json()
    # 张秀英 was born in 1945: 80 on 2 June 2025, so 7折 on a 15.00 meal.
    assert (answer["gross_yuan"], answer["benefit_yuan"], answer["payable_yuan"]) == ("15.00", "4.50", "10.50")
    assert answer["items"] == [{"dish_id": menu["套餐"].pk, "name": "套餐", "quantity": 1, "unit_price_fen": 1500,
                                "unit_price_yuan": "15.00"}]
    assert answer["passed"] is True and answer["delay_seconds"] == 0 and answer["name"] == "张*英"
    _ledger_untouched()
    # The same meal a day earlier (the till's clock) did not arrive in real time.
    late = {**body, "occurred_at": (LUNCH - timedelta(minutes=1)).isoformat()}
    response = api.post("/api/v1/terminal/tests/meal", late, key="meal-2")
    assert response.json()["passed"] is False and response.json()["delay_seconds"] == 60
    _ledger_untouched()


def test_a_training_meal_is_refused_like_a_quote(api, menu, carded):
    body = {"elder": {"card_number": CARD}, "items": [{"dish_id": menu["停售菜"].pk, "quantity": 1}]}
    response = api.post("/api/v1/terminal/tests/meal", body, key="meal-x")
    assert response.status_code == 400 and response.json()["code"] == "DISH_NOT_ON_MENU"
    assert api.post("/api/v1/terminal/tests/meal", {"items": body["items"]}, key="meal-y").status_code == 400
    assert not TerminalTest.objects.exists()


def test_reports_feed_the_f4_and_f5_checks(api, world, menu, carded, terminal, designated):
    from tests.filing.rows import filing_of
    from zhucan.filing.checks import run_checks

    api.post("/api/v1/terminal/capabilities", CAPS)
    api.post("/api/v1/terminal/tests/receipt", {"receipt_no": "T1", "text": "测试", "printed": True}, key="r")
    api.post("/api/v1/terminal/tests/identification", {"card_number": CARD}, key="i")
    api.post("/api/v1/terminal/tests/meal", {"elder": {"card_number": CARD},
                                            "items": [{"dish_id": menu["套餐"].pk, "quantity": 2}]}, key="m")
    filing = filing_of(world.canteen)
    run_checks(filing=filing)
    f4, f5 = filing.items.get(requirement="F4"), filing.items.get(requirement="F5")
    assert f4.check_result == "passed", f4.check_detail
    assert f4.check_detail == ["1号收银台 2025-06-02 11:30:00 测试就餐：张*英，套餐×2，消费30.00元，优惠9.00元，"
                               "0秒后到达平台"]
    assert f5.check_result == "passed", f5.check_detail
    # Another canteen's terminal reports count for that canteen only.
    other = filing_of(world.other_canteen)
    run_checks(filing=other)
    assert other.items.get(requirement="F5").check_detail == ["本助餐点尚未登记收银终端"]


def test_the_district_sees_the_terminal_s_capabilities_and_tests(api, client, world, menu, carded, terminal):
    from tests.conftest import login

    api.post("/api/v1/terminal/capabilities", {**CAPS, "face": False})
    api.post("/api/v1/terminal/tests/receipt", {"receipt_no": "T1", "text": "北山长者食堂 测试小票", "printed": True},
             key="r")
    api.post("/api/v1/terminal/tests/identification", {"card_number": CARD}, key="i")
    url = f"/filing/canteens/{world.canteen.pk}/terminals/"
    page = login(client, world.users["district_admin"]).get(url).content.decode()
    assert "1号收银台" in page and "收银宝 3.2" in page
    assert "刷脸识别：否" in page and "小票打印：是" in page
    assert "小票 T1：已打印" in page and "北山长者食堂 测试小票" in page and "识别老人 张*英" in page
    assert CARD not in page and "张秀英" not in page  # masked
    assert login(client, world.other["district_admin"]).get(url).status_code == 404
    assert login(client, world.users["canteen_manager"]).get(url).status_code == 403
