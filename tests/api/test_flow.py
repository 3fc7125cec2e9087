"""A full signed checkout: identify → quote → commit → void, replay, usage, menu, refund."""

from __future__ import annotations

from zhucan.checkout.models import ElderDayUsage, Meal
from zhucan.core import clock

from .conftest import CARD


def test_menu_lists_active_dishes_and_periods(api, world, menu):
    r = api.get("/api/v1/canteen/menu")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["canteen_id"] == world.canteen.pk
    assert [(d["name"], d["price_fen"], d["price_yuan"]) for d in body["dishes"]] == [("套餐", 1500, "15.00"),
                                                                                       ("米饭", 100, "1.00")]
    lunch = next(p for p in body["periods"] if p["name"] == "lunch")
    assert (lunch["start"], lunch["end"]) == ("10:30", "12:30")


def test_identify_by_card_id_number_and_elder_id(api, world, carded):
    by_card = api.post("/api/v1/elders/identify", {"card_number": CARD})
    assert by_card.status_code == 200, by_card.content
    body = by_card.json()
    assert body["elder_id"] == world.elder.pk and body["name"] == "张*英" and body["age"] == 80
    assert body["id_number_masked"] == world.elder.id_number_masked and "*" in body["id_number_masked"]
    assert body["identified_by"] == "card"
    assert body["eligibility"]["status"] == "eligible"
    assert body["remaining"][0]["remaining_fen"] == 2000 and body["remaining"][0]["remaining_yuan"] == "20.00"
    by_id = api.post("/api/v1/elders/identify", {"id_number": world.elder.plain_id_number})
    assert by_id.json()["elder_id"] == world.elder.pk and by_id.json()["identified_by"] == "id_number"
    by_pk = api.post("/api/v1/elders/identify", {"elder_id": world.elder.pk})
    assert by_pk.json()["identified_by"] == "elder_id"


def test_identify_refusals(api, world, carded):
    r = api.post("/api/v1/elders/identify", {"card_number": "nope"})
    assert (r.status_code, r.json()["code"]) == (404, "CARD_UNKNOWN")
    r = api.post("/api/v1/elders/identify", {"id_number": "330106194503150001"})
    assert r.status_code == 400 and r.json()["code"].startswith("ID_")
    r = api.post("/api/v1/elders/identify", {"card_number": CARD, "elder_id": world.elder.pk})
    assert (r.status_code, r.json()["code"]) == (400, "INPUT_INVALID")
    # An elder of another city answers like an unknown one.
    from tests.conftest import make_elder

    lc_elder = make_elder(world.lc_c1, name="聊城老人")
    r = api.post("/api/v1/elders/identify", {"elder_id": lc_elder.pk})
    assert (r.status_code, r.json()["code"]) == (404, "ELDER_NOT_FOUND")


def test_full_checkout_identify_quote_commit_void(api, world, menu, carded):
    elder_id = api.post("/api/v1/elders/identify", {"card_number": CARD}).json()["elder_id"]
    order = {"elder": {"elder_id": elder_id, "identified_by": "card"},
             "items": [{"dish_id": menu["套餐"].pk, "quantity": 1}, {"dish_id": menu["米饭"].pk, "quantity": 1}]}
    q = api.post("/api/v1/meals/quote", order)
    assert q.status_code == 200, q.content
    quote = q.json()
    assert (quote["gross_fen"], quote["benefit_fen"], quote["payable_fen"]) == (1600, 480, 1120)
    assert (quote["gross_yuan"], quote["benefit_yuan"], quote["payable_yuan"]) == ("16.00", "4.80", "11.20")
    assert quote["period"] == "lunch" and "7折" in quote["explanation_zh"]
    assert Meal.objects.count() == 0

    c = api.post("/api/v1/meals/commit", {**order, "expected_payable_fen": 1120,
                                          "tenders": [{"kind": "wechat", "amount_fen": 1120, "reference": "wx1"}]},
                 key="pos1-0001")
    assert c.status_code == 200, c.content
    meal = c.json()
    assert meal["receipt_no"].startswith("C") and meal["replayed"] is False and meal["accepted"] is None
    assert (meal["gross_fen"], meal["benefit_fen"], meal["payable_fen"]) == (1600, 480, 1120)
    assert meal["benefit_lines"] == [{"funder": "city", "rule_id": meal["benefit_lines"][0]["rule_id"],
                                      "layer_id": "city", "amount_fen": 480, "amount_yuan": "4.80"}]
    assert meal["period"] == "lunch" and meal["identified_by"] == "card" and meal["explanation_en"]
    assert meal["remaining"][0]["remaining_fen"] == 2000 - 480
    assert [(t["kind"], t["amount_fen"]) for t in meal["tenders"]] == [("wechat", 1120)]
    stored = Meal.objects.get(receipt_no=meal["receipt_no"])
    assert stored.terminal_id == api_terminal_id(api) and stored.elder_id == world.elder.pk

    usage = api.get(f"/api/v1/elders/{elder_id}/usage").json()
    assert (usage["meals"], usage["benefit_used_fen"], usage["benefit_used_yuan"]) == (1, 480, "4.80")
    assert usage["periods_used"] == {"lunch": 1} and usage["date"] == "2025-06-02"
    assert api.post("/api/v1/elders/identify", {"card_number": CARD}).json()["eligibility"]["status"] \
        == "limit_reached"

    v = api.post("/api/v1/meals/void", {"receipt_no": meal["receipt_no"], "reason": "点错了"}, key="pos1-0002")
    assert v.status_code == 200, v.content
    void = v.json()
    assert void["kind"] == "void" and void["reverses"] == meal["receipt_no"]
    assert (void["gross_fen"], void["benefit_fen"], void["payable_fen"]) == (-1600, -480, -1120)
    assert void["benefit_yuan"] == "-4.80"
    row = ElderDayUsage.objects.get(elder=world.elder)
    assert row.benefit_fen == 0 and row.meals == 0
    again = api.post("/api/v1/meals/void", {"receipt_no": meal["receipt_no"]}, key="pos1-0003")
    assert (again.status_code, again.json()["code"]) == (409, "MEAL_ALREADY_REVERSED")


def api_terminal_id(api):
    from zhucan.accounts.models import Terminal

    return Terminal.objects.get(key_id=api.key_id).pk


def test_replay_returns_the_original_and_reuse_with_another_body_is_refused(api, menu, carded):
    order = {"elder": {"card_number": CARD}, "items": [{"dish_id": menu["套餐"].pk, "quantity": 1}]}
    first = api.post("/api/v1/meals/commit", order, key="same-key")
    assert first.status_code == 200 and first.json()["replayed"] is False
    # Same body, other key order and whitespace, new nonce: the original answer.
    raw = b'{ "items": [{"quantity": 1, "dish_id": %d}], "elder": {"card_number": "%s"} }' % (menu["套餐"].pk,
                                                                                           CARD.encode())
    again = api.post("/api/v1/meals/commit", raw=raw, key="same-key")
    assert again.status_code == 200, again.content
    assert again.json()["replayed"] is True and again.json()["receipt_no"] == first.json()["receipt_no"]
    assert again.json()["benefit_fen"] == first.json()["benefit_fen"] == 450
    assert Meal.objects.count() == 1
    other = api.post("/api/v1/meals/commit", {**order, "items": [{"dish_id": menu["米饭"].pk, "quantity": 1}]},
                     key="same-key")
    assert (other.status_code, other.json()["code"]) == (409, "IDEMPOTENCY_KEY_REUSED")
    assert Meal.objects.count() == 1


def test_refund_and_non_elder_customer(api, menu):
    sale = api.post("/api/v1/meals/commit", {"items": [{"dish_id": menu["套餐"].pk, "quantity": 2}]}, key="walk-in")
    assert sale.status_code == 200, sale.content
    assert (sale.json()["elder_id"], sale.json()["benefit_fen"], sale.json()["payable_fen"]) == (None, 0, 3000)
    refund = api.post("/api/v1/meals/refund", {"receipt_no": sale.json()["receipt_no"]}, key="walk-in-refund")
    assert refund.status_code == 200 and refund.json()["kind"] == "refund"
    assert refund.json()["payable_fen"] == -3000
    # The same key cannot be both a refund and a void of the same receipt.
    void = api.post("/api/v1/meals/void", {"receipt_no": sale.json()["receipt_no"]}, key="walk-in-refund")
    assert (void.status_code, void.json()["code"]) == (409, "IDEMPOTENCY_KEY_REUSED")


def test_domain_refusals_write_nothing(api, world, menu, carded, frozen_clock):
    from datetime import date

    from tests.conftest import make_elder

    cases = [
        ({"items": []}, "EMPTY_ORDER", 400),
        ({"items": [{"dish_id": menu["套餐"].pk, "quantity": -1}]}, "BAD_QUANTITY", 400),
        ({"items": [{"dish_id": menu["停售菜"].pk, "quantity": 1}]}, "DISH_NOT_ON_MENU", 400),
        ({"items": [{"dish_id": menu["套餐"].pk, "quantity": "2"}]}, "INPUT_INVALID", 400),
        ({"items": [{"dish_id": menu["套餐"].pk, "quantity": 1}], "tip": 1}, "INPUT_INVALID", 400),
        ({"elder": {"card_number": "lost"}, "items": [{"dish_id": menu["套餐"].pk, "quantity": 1}]},
         "CARD_UNKNOWN", 404),
        ({"items": [{"dish_id": menu["套餐"].pk, "quantity": 1}], "tenders": [{"kind": "cash", "amount_fen": 1}]},
         "TENDER_MISMATCH", 400),
    ]
    young = make_elder(world.xihu_c1, birth=date(1970, 1, 1), name="年轻人")
    cases.append(({"elder": {"elder_id": young.pk}, "items": [{"dish_id": menu["套餐"].pk, "quantity": 1}]},
                  "ELDER_NOT_ELIGIBLE", 422))
    for i, (body, code, status) in enumerate(cases):
        r = api.post("/api/v1/meals/commit", body, key=f"bad-{i}")
        assert (r.status_code, r.json()["code"]) == (status, code), (body, r.content)
        assert r.json()["message"] and r.json()["message_en"]
    invalid = api.post("/api/v1/meals/commit", cases[3][0], key="bad-x").json()
    assert invalid["field"] == "items.0.quantity" and "整数" in invalid["message"]
    frozen_clock(clock.now().replace(hour=14))
    late = api.post("/api/v1/meals/commit", {"items": [{"dish_id": menu["套餐"].pk, "quantity": 1}]}, key="late")
    assert (late.status_code, late.json()["code"]) == (422, "OUTSIDE_OPENING_HOURS")
    assert Meal.objects.count() == 0 and ElderDayUsage.objects.count() == 0
