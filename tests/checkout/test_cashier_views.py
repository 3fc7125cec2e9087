"""The cashier page (收银台) and the live feed (实时就餐), through Django's test
client. The page's state travels in the form, so `Till` posts what the last answer rendered, as the
browser does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.checkout.conftest import at
from tests.conftest import bind_card, login, make_user
from zhucan.checkout import services as S
from zhucan.checkout.models import ElderDayUsage, Meal, MealKind

URL = "/checkout/cashier/"
CARD = "330100000042"


class Till:
    """A cashier's screen: posts an operation with the state the previous answer rendered."""

    def __init__(self, client):
        self.client = client
        self.state: dict = {}
        self.html = ""

    def post(self, op: str, **extra) -> str:
        response = self.client.post(URL, {**self.state, "op": op, **extra}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200, response.content[:500]
        self.html = response.content.decode()
        self.state = parse_state(self.html)
        return self.html

    def add(self, dish, times: int = 1) -> str:
        for _ in range(times):
            self.post(f"add:{dish.pk}")
        return self.html


def parse_state(html: str) -> dict:
    def hidden(name):
        m = re.search(rf'name="{name}" value="([^"]*)"', html)
        return m[1] if m else ""

    tender = re.search(r'name="tender" value="(\w+)" checked', html)
    state = {"line": re.findall(r'name="line" value="([^"]+)"', html), "customer": hidden("customer"),
             "idem": hidden("idem"), "expected": hidden("expected"), "tender": tender[1] if tender else "cash"}
    if 'name="void_receipt"' in html:
        state["void_receipt"] = hidden("void_receipt")
    return state


def message(html: str) -> str:
    m = re.search(r'class="pos-msg (?:bad|warn|ok)"[^>]*>([^<]+)<', html)
    return m[1] if m else ""


@pytest.fixture
def printer_dir(settings, tmp_path) -> Path:
    settings.ZHUCAN_RECEIPT_PRINTER = f"file://{tmp_path}/receipts/{{receipt_no}}.bin"
    return tmp_path / "receipts"


@pytest.fixture
def till(world, menu, client, frozen_clock, printer_dir):
    frozen_clock(at("2025-06-02 11:30"))
    bind_card(world.elder, CARD)
    return Till(login(client, world.users["cashier"]))


def test_page_shows_the_menu_with_shortcut_keys(till, menu):
    html = till.client.get(URL).content.decode()
    assert "收银台" in html and "北山长者食堂" in html
    assert 'id="pos-ident"' in html
    keys = dict(re.findall(r'value="add:(\d+)" data-key="(\w)"', html))
    assert keys[str(menu["套餐"].pk)] and set(keys.values()) <= set("123456789abc")
    assert str(menu["停售菜"].pk) not in keys  # inactive dishes are not sold
    assert str(menu["other:套餐"].pk) not in keys  # another canteen's menu
    assert "¥15.00" in html


def test_page_says_how_to_type_a_number_by_hand(till):
    """The field does not grab the focus (keys are dish keys until the cashier clicks into it or
    presses *), and the help under it says so in Chinese."""
    html = till.client.get(URL).content.decode()
    field = re.search(r'<input id="pos-ident"[^>]*>', html).group(0)
    assert "autofocus" not in field and 'aria-describedby="pos-ident-help' in field
    help_text = re.sub(r"<[^>]+>", "", re.search(r'<p id="pos-ident-help".*?</p>', html, re.S).group(0))
    assert "手输卡号或身份证号：先点此框或按 *" in help_text
    assert "按键只进此框，不会加菜" in help_text


def test_card_lookup_quotes_with_explanation_and_payable(till, menu):
    till.add(menu["套餐"])
    html = till.post("identify", ident=CARD)
    assert "张*英" in html and "市民卡" in html
    assert "¥10.50" in html and "¥4.50" in html  # 80 years old: 7折 on 15.00 (HZ-2)
    assert "7折" in html
    assert "今日" in html and "剩余 15.50 元" in html  # 20.00 cap − 4.50
    assert till.state["idem"] and till.state["expected"] == "1050"
    assert "data-default" in html
    assert Meal.objects.count() == 0 and ElderDayUsage.objects.count() == 0  # quoting writes nothing


def test_wedge_input_with_magstripe_sentinels_is_accepted(till, menu):
    till.add(menu["套餐"])
    assert "张*英" in till.post("identify", ident=f";{CARD}?")


def test_id_number_lookup(till, world, menu):
    till.add(menu["米饭"], times=2)
    html = till.post("identify", ident=world.elder.plain_id_number)
    assert "张*英" in html and "身份证" in html
    assert world.elder.plain_id_number not in html  # only the masked number is shown
    assert till.state["expected"] == "140"  # 2.00 at 7折


def test_unknown_card_is_a_chinese_error_and_writes_nothing(till, menu):
    till.add(menu["套餐"])
    html = till.post("identify", ident="999999999999")
    assert "该卡未登记" in message(html)
    assert 'data-code="CARD_UNKNOWN"' in html
    assert till.state["customer"] == "" and till.state["idem"] == ""
    assert "data-default" not in html  # Enter has nothing to confirm
    # A commit forced anyway is refused in Chinese, and nothing is written.
    html = till.post("commit")
    assert "请先刷卡" in message(html)
    assert Meal.objects.count() == 0 and ElderDayUsage.objects.count() == 0


def test_bad_id_check_digit_is_a_chinese_error(till, world, menu):
    number = world.elder.plain_id_number
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    till.add(menu["套餐"])
    html = till.post("identify", ident=wrong)
    assert "校验" in message(html)
    assert Meal.objects.count() == 0


def test_commit_writes_one_meal_prints_and_shows_the_receipt(till, world, menu, printer_dir):
    till.add(menu["套餐"])
    till.add(menu["米饭"])
    till.post("identify", ident=CARD)
    html = till.post("commit")
    meal = Meal.objects.get()
    assert (meal.canteen, meal.cashier, meal.elder) == (world.canteen, world.users["cashier"], world.elder)
    assert (meal.gross_fen, meal.benefit_fen, meal.payable_fen, meal.identified_by) == (1600, 480, 1120, "card")
    assert [(t.kind, t.amount_fen) for t in meal.tenders.all()] == [("cash", 1120)]
    assert meal.receipt_no in html and "已收款 11.20 元" in html
    assert "助餐消费小票" in html and "应付" in html  # the receipt as text on screen
    printed = (printer_dir / f"{meal.receipt_no}.bin").read_bytes()
    assert "北山长者食堂".encode("gb18030") in printed and meal.receipt_no.encode() in printed
    # The till is ready for the next customer.
    assert till.state["line"] == [] and till.state["customer"] == "" and till.state["idem"] == ""


def test_double_submit_with_the_same_key_writes_one_meal(till, menu):
    till.add(menu["套餐"])
    till.post("identify", ident=CARD)
    quoted = dict(till.state)
    first = till.post("commit")
    till.state = dict(quoted)  # the same form posted again (double click, a retried request)
    second = till.post("commit")
    assert Meal.objects.count() == 1
    assert ElderDayUsage.objects.get().meals == 1
    receipt_no = Meal.objects.get().receipt_no
    assert receipt_no in first and receipt_no in second
    assert "重复提交" in second and "未重复收款" in second


def test_tender_choice_is_recorded(till, menu):
    till.add(menu["套餐"])
    till.post("identify", ident=CARD)
    till.post("", tender="wechat")  # a tender change re-quotes with a fresh key
    assert till.state["tender"] == "wechat"
    till.post("commit")
    assert [(t.kind, t.amount_fen) for t in Meal.objects.get().tenders.all()] == [("wechat", 1050)]


def test_non_elder_customer_pays_full_price(till, menu):
    till.add(menu["红烧肉"])
    html = till.post("nonelder")
    assert "非老人顾客" in html and till.state["expected"] == "2000"
    till.post("commit")
    meal = Meal.objects.get()
    assert meal.elder is None and meal.benefit_fen == 0 and meal.payable_fen == 2000


def test_quantities_plus_minus_and_remove(till, menu):
    till.add(menu["米饭"], times=3)
    assert till.state["line"] == [f"{menu['米饭'].pk}:3"]
    till.post(f"dec:{menu['米饭'].pk}")
    assert till.state["line"] == [f"{menu['米饭'].pk}:2"]
    till.add(menu["套餐"])
    till.post(f"del:{menu['米饭'].pk}")
    assert till.state["line"] == [f"{menu['套餐'].pk}:1"]
    assert "¥15.00" in till.html
    till.post("clear")
    assert till.state["line"] == []


def test_quote_changed_is_explained_and_requoted(till, world, menu):
    till.add(menu["套餐"])
    till.post("identify", ident=CARD)
    stale_key = till.state["idem"]
    # Meanwhile the elder has lunch at another canteen: this period's discount is used (HZ-3, HZ-5).
    S.meal_commit(canteen=world.other_canteen, elder=world.elder, idempotency_key="elsewhere",
                  request_digest="elsewhere", lines=[S.OrderLine(dish_id=menu["other:套餐"].pk, quantity=1)])
    html = till.post("commit")
    assert "优惠已变化" in message(html)
    assert Meal.objects.filter(canteen=world.canteen).count() == 0
    assert till.state["expected"] == "1500" and till.state["idem"] not in ("", stale_key)
    till.post("commit")
    assert Meal.objects.get(canteen=world.canteen).payable_fen == 1500


def test_printer_failure_warns_but_keeps_the_meal(till, settings, menu):
    settings.ZHUCAN_RECEIPT_PRINTER = "tcp://127.0.0.1:9?timeout=0.5"
    till.add(menu["套餐"])
    till.post("identify", ident=CARD)
    html = till.post("commit")
    meal = Meal.objects.get()
    assert meal.receipt_no in html
    assert "打印机" in html and "本笔消费已记账" in html


def test_void_last_meal_after_confirmation(till, world, menu):
    till.add(menu["套餐"])
    till.post("identify", ident=CARD)
    till.post("commit")
    sale = Meal.objects.get()
    html = till.post("void_ask")
    assert "撤销上一笔" in html and sale.receipt_no in html and "确认撤销" in html
    assert Meal.objects.count() == 1  # asking changes nothing
    html = till.post("void_yes")
    void = Meal.objects.get(kind=MealKind.VOID)
    assert void.reverses == sale and void.cashier == world.users["cashier"]
    assert f"已撤销 {sale.receipt_no}" in html
    assert ElderDayUsage.objects.get().benefit_fen == 0  # the usage is given back
    # Nothing left to void: a Chinese message, no second reversal.
    assert "已撤销或退款" in message(till.post("void_ask"))
    assert Meal.objects.count() == 2


def test_void_only_targets_this_cashiers_last_sale(till, world, menu):
    till.add(menu["套餐"])
    till.post("nonelder")
    till.post("commit")
    mine = Meal.objects.get()
    # The manager sells afterwards at the same canteen; the cashier's "last meal" is still theirs.
    S.meal_commit(canteen=world.canteen, elder=None, idempotency_key="mgr", request_digest="mgr",
                  cashier=world.users["canteen_manager"], lines=[S.OrderLine(dish_id=menu["米饭"].pk, quantity=1)])
    till.post("void_ask")
    assert till.state["void_receipt"] == mine.receipt_no
    # A forged receipt number is refused.
    till.state["void_receipt"] = Meal.objects.exclude(pk=mine.pk).get().receipt_no
    assert "上一笔消费已变化" in message(till.post("void_yes"))
    assert not Meal.objects.filter(kind=MealKind.VOID).exists()


@pytest.mark.parametrize("role", ["district_admin", "auditor", "city_admin", "subdistrict_staff"])
def test_supervisors_cannot_open_the_cashier_page(world, menu, client, role):
    login(client, world.users[role])
    assert client.get(URL).status_code == 403
    response = client.post(URL, {"op": f"add:{menu['套餐'].pk}", "line": [f"{menu['套餐'].pk}:1"],
                                 "customer": "", "idem": "x", "expected": "1500"})
    assert response.status_code == 403
    assert "无权" in response.content.decode()
    assert Meal.objects.count() == 0


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_staff_without_a_canteen_sees_a_chinese_refusal(world, client):
    admin = make_user("root", "city_admin", region=world.hz)
    admin.is_superuser = True
    admin.save()
    response = login(client, admin).get(URL)
    assert response.status_code == 403 and "没有绑定助餐点" in response.content.decode()


def test_cashier_sells_only_at_their_own_canteen(world, menu, client, frozen_clock, printer_dir):
    """The canteen is the cashier's own: a canteen parameter is ignored, another canteen's dish refused."""
    frozen_clock(at("2025-06-02 11:30"))
    till = Till(login(client, world.other["cashier"]))  # 湖滨长者食堂
    html = till.post(f"add:{menu['套餐'].pk}")  # 北山's dish id, posted by hand
    till.post("nonelder")
    assert "不在本店菜单" in message(till.html)
    html = till.post("commit", canteen=str(world.canteen.pk))
    assert "北山长者食堂" not in html
    assert Meal.objects.count() == 0
    till.post("clear")
    till.post(f"add:{menu['other:套餐'].pk}")
    till.post("nonelder")
    till.post("commit", canteen=str(world.canteen.pk), canteen_id=str(world.canteen.pk))
    meal = Meal.objects.get()
    assert meal.canteen == world.other_canteen


def test_forged_customer_token_is_ignored(till, menu, world):
    till.add(menu["套餐"])
    till.post("identify", ident=CARD)
    till.state["customer"] = till.state["customer"][:-3] + "abc"
    html = till.post("commit")
    assert "请先刷卡" in message(html)
    assert Meal.objects.count() == 0


# ---------------------------------------------------------------------------------------------
# Live feed


def _sell(world, menu, canteen, key, when="2025-06-02 11:30", elder=None):
    dish = menu["套餐"] if canteen == world.canteen else menu["other:套餐"]
    return S.meal_commit(canteen=canteen, elder=elder, idempotency_key=key, request_digest=key,
                         identified_by="card", at=at(when), lines=[S.OrderLine(dish_id=dish.pk, quantity=1)]).meal


def test_live_feed_is_scoped_by_role(world, menu, client, frozen_clock):
    frozen_clock(at("2025-06-02 12:00"))
    beishan = _sell(world, menu, world.canteen, "b1", elder=world.elder)
    hubin = _sell(world, menu, world.other_canteen, "h1", elder=world.other_elder)
    html = login(client, world.users["district_admin"]).get("/checkout/live/").content.decode()
    assert "实时就餐" in html and "西湖区" in html
    assert f'data-id="{beishan.pk}"' in html and f'data-id="{hubin.pk}"' not in html
    assert "湖滨长者食堂" not in html
    assert "张*英" in html and "张秀英" not in html  # masked names only
    assert 'hx-trigger="every 2s"' in html
    # Filtering by a canteen outside the scope widens nothing.
    html = client.get(f"/checkout/live/?canteen={world.other_canteen.pk}").content.decode()
    assert f'data-id="{hubin.pk}"' not in html
    # The other district sees only its own; canteen staff only their canteen.
    html = login(client, world.other["district_admin"]).get("/checkout/live/").content.decode()
    assert f'data-id="{hubin.pk}"' in html and f'data-id="{beishan.pk}"' not in html
    html = login(client, world.users["cashier"]).get("/checkout/live/").content.decode()
    assert f'data-id="{beishan.pk}"' in html and f'data-id="{hubin.pk}"' not in html
    html = login(client, world.users["city_admin"]).get("/checkout/live/").content.decode()
    assert f'data-id="{beishan.pk}"' in html and f'data-id="{hubin.pk}"' in html


def test_live_feed_counts_by_period(world, menu, client, frozen_clock):
    frozen_clock(at("2025-06-02 18:00"))
    _sell(world, menu, world.canteen, "a", when="2025-06-02 11:30", elder=world.elder)
    _sell(world, menu, world.canteen, "b", when="2025-06-02 17:00", elder=world.elder)
    _sell(world, menu, world.canteen, "c", when="2025-06-02 11:40")  # a non-elder customer
    _sell(world, menu, world.canteen, "old", when="2025-06-01 11:30", elder=world.elder)  # yesterday
    html = login(client, world.users["district_admin"]).get("/checkout/live/").content.decode()
    rows = dict(re.findall(r"<tr><td>(早餐|午餐|晚餐|非老人/其他)</td><td class=\"num\">(\d+)</td>", html))
    assert rows == {"早餐": "0", "午餐": "1", "晚餐": "1", "非老人/其他": "1"}
    total = re.search(r"<tfoot><tr><th>合计</th><th class=\"num\">(\d+)</th><th class=\"num\">(\d+)</th>"
                      r"\s*<th class=\"num\">([\d.]+)</th>", html)
    assert total.groups() == ("3", "1", "9.00")  # 2 × 4.50 city benefit, one elder


def test_live_feed_cursor_sends_only_new_meals(world, menu, client, frozen_clock):
    frozen_clock(at("2025-06-02 12:00"))
    first = _sell(world, menu, world.canteen, "b1", elder=world.elder)
    login(client, world.users["district_admin"])
    html = client.get("/checkout/live/").content.decode()
    cursor = re.search(r'id="feed-cursor" name="after" value="(\d+)"', html)[1]
    assert cursor == str(first.pk)
    shown = f"&shown={first.pk}"
    assert client.get(f"/checkout/live/feed/?after={cursor}{shown}").status_code == 204  # nothing new
    _sell(world, menu, world.other_canteen, "h1", elder=world.other_elder)  # not in 西湖区
    assert client.get(f"/checkout/live/feed/?after={cursor}{shown}").status_code == 204
    second = _sell(world, menu, world.canteen, "b2", when="2025-06-02 12:01")
    poll = client.get(f"/checkout/live/feed/?after={cursor}{shown}")
    body = poll.content.decode()
    assert poll.status_code == 200
    assert f'data-id="{second.pk}"' in body and f'data-id="{first.pk}"' not in body
    assert 'hx-swap-oob="afterbegin:#feed-rows"' in body
    assert f'id="feed-cursor" name="after" value="{second.pk}" hx-swap-oob="true"' in body
    assert 'id="feed-stats"' in body  # counts refreshed with the rows


def test_live_feed_fills_a_row_that_committed_late(world, menu, client, frozen_clock):
    """Ids are handed out before commit: a meal with a smaller id than the page's cursor can become
    visible after a larger one. The page sends the ids it shows; the poll sends the missing one."""
    frozen_clock(at("2025-06-02 12:00"))
    early = _sell(world, menu, world.canteen, "e1", elder=world.elder)
    late = _sell(world, menu, world.canteen, "e2", when="2025-06-02 12:00")
    login(client, world.users["district_admin"])
    # The page saw `late` (the larger id) but not `early`, which committed after its first poll.
    poll = client.get(f"/checkout/live/feed/?after={late.pk}&shown={late.pk}")
    body = poll.content.decode()
    assert poll.status_code == 200
    assert f'data-id="{early.pk}"' in body and f'data-id="{late.pk}"' not in body
    assert f'value="{late.pk}" hx-swap-oob="true"' in body  # the cursor does not go back
    frozen_clock(at("2025-06-02 12:05"))  # outside the late window: nothing is re-sent
    assert client.get(f"/checkout/live/feed/?after={late.pk}&shown={late.pk}").status_code == 204


def test_live_feed_permissions(world, client):
    for user in [world.users["auditor"], world.users["subdistrict_staff"], world.users["canteen_manager"]]:
        assert login(client, user).get("/checkout/live/").status_code == 200
    client.logout()
    assert client.get("/checkout/live/feed/").status_code == 302


def test_nav_shows_cashier_only_to_canteen_staff(world, client):
    html = login(client, world.users["cashier"]).get("/checkout/live/").content.decode()
    assert 'href="/checkout/cashier/"' in html and 'href="/checkout/live/"' in html
    html = login(client, world.users["district_admin"]).get("/checkout/live/").content.decode()
    assert 'href="/checkout/cashier/"' not in html and 'href="/checkout/live/"' in html


def test_ineligible_elder_gets_a_hint_and_no_confirm(till, world, menu):
    from datetime import date

    from tests.conftest import make_elder

    make_elder(world.xihu_c1, birth=date(1970, 5, 1), name="赵五十", citizen_card_number="330100000099")
    till.add(menu["套餐"])
    html = till.post("identify", ident="330100000099")
    assert "F2 改为非老人顾客" in html and "data-default" not in html
    assert till.state["idem"] == ""
    html = till.post("commit")
    assert Meal.objects.count() == 0 and 'class="pos-msg bad"' in html


def test_works_without_javascript(till, menu):
    """Plain form posts (no HX-Request header) answer with the whole page."""
    response = till.client.post(URL, {"op": f"add:{menu['套餐'].pk}"})
    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html and 'name="line" value="' in html


def test_elder_qr_code_identifies_once_and_is_recorded(till, world, menu):
    """HZ-9 码: the code the elder's phone shows, typed in by the scanner; used up when presented."""
    from zhucan.identity.services import elder_qr_issue

    token, _expires = elder_qr_issue(elder=world.elder)
    till.add(menu["套餐"])
    html = till.post("identify", ident=token)
    assert "张*英" in html and "¥10.50" in html
    till.post("commit")
    assert Meal.objects.get().identified_by == "qr"
    till.add(menu["套餐"])
    again = till.post("identify", ident=token)  # shown a second time (or at another canteen)
    assert "已使用" in message(again) and till.state["customer"] == ""
