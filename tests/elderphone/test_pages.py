"""The phone page (H5): separate session, only bound elders, the live code, allowance, meals, family."""

from __future__ import annotations

import base64
import re
from datetime import date, datetime, timedelta

import pytest

from tests.checkout.conftest import at
from tests.conftest import login, make_elder
from tests.elderphone.conftest import ELDER_PHONE, FAMILY_PHONE, NOON, PASSWORD, h5_login
from zhucan.checkout import services as checkout
from zhucan.elderphone import selectors
from zhucan.elderphone.models import PhoneAccount
from zhucan.elderphone.phones import phone_index
from zhucan.identity import qr
from zhucan.identity.services import identify_by_qr

_CSRF = re.compile(r'csrfmiddlewaretoken" value="[^"]+')


def _commit(world, menu, key, when="2025-06-02 11:30", names=("套餐",), elder=None):
    lines = [checkout.OrderLine(dish_id=menu[n].pk, quantity=1) for n in names]
    return checkout.meal_commit(canteen=world.canteen, elder=elder or world.elder, lines=lines, idempotency_key=key,
                                request_digest=key, identified_by="qr", at=at(when)).meal


# --- login, session -------------------------------------------------------------------------------


def test_login_page_is_chinese_and_large(client, world):
    response = client.get("/h5/login/")
    body = response.content.decode()
    assert response.status_code == 200 and '<html lang="zh-Hans">' in body
    assert "首次登录/忘记密码" in body and 'name="viewport"' in body
    links = re.findall(r'(?:src|href)="([^"]+)"', body)
    assert links and all(link.startswith("/") and not link.startswith("//") for link in links)  # no CDN


def test_wrong_password_shows_a_clear_message_then_locks(client, phones, noon):
    for _ in range(4):
        response = client.post("/h5/login/", {"phone": ELDER_PHONE, "password": "wrong"})
        assert response.status_code == 401 and "手机号或密码不正确" in response.content.decode()
    response = client.post("/h5/login/", {"phone": ELDER_PHONE, "password": "wrong"})
    assert response.status_code == 429 and "15分钟后再试" in response.content.decode()
    response = client.post("/h5/login/", {"phone": ELDER_PHONE, "password": PASSWORD})
    assert response.status_code == 429
    assert "h5_account_id" not in client.session


def test_own_account_goes_straight_to_the_elder(client, world, phones, noon):
    h5_login(client, ELDER_PHONE)
    response = client.get("/h5/")
    assert response.status_code == 302 and response["Location"] == f"/h5/e/{world.elder.pk}/"
    body = client.get(response["Location"]).content.decode()
    assert "张*英" in body and "张秀英" not in body  # the screen is shown at the counter: masked
    assert 'src="data:image/png;base64,' in body and "长者码" in body
    assert "切换老人" not in body


def test_family_account_chooses_between_its_elders(client, world, phones, noon):
    h5_login(client, FAMILY_PHONE)
    body = client.get("/h5/").content.decode()
    assert f"/h5/e/{world.elder.pk}/" in body and f"/h5/e/{phones.second.pk}/" in body
    assert "张秀英" in body and "张国华" in body
    page = client.get(f"/h5/e/{phones.second.pk}/").content.decode()
    assert "张*华" in page and "切换老人" in page


def test_staff_session_never_opens_the_phone_page(client, world, phones):
    login(client, world.users["subdistrict_staff"])
    assert client.get("/h5/")["Location"] == "/h5/login/"
    assert client.get(f"/h5/e/{world.elder.pk}/")["Location"] == "/h5/login/"
    assert client.get(f"/h5/e/{world.elder.pk}/code.json").status_code == 401
    assert client.get("/elders/").status_code == 200  # the console still works


def test_phone_session_never_opens_the_console(client, world, phones):
    h5_login(client, ELDER_PHONE)
    response = client.get("/elders/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.get("/").status_code == 302
    assert client.get(f"/elders/{world.elder.pk}/").status_code == 302


def test_logout_ends_only_the_phone_session(client, world, phones):
    login(client, world.users["subdistrict_staff"])
    h5_login(client, ELDER_PHONE)
    assert client.get("/h5/").status_code == 302
    assert client.post("/h5/logout/")["Location"] == "/h5/login/"
    assert client.get(f"/h5/e/{world.elder.pk}/")["Location"] == "/h5/login/"
    assert client.get("/elders/").status_code == 200


def test_another_elder_is_not_found_like_a_missing_one(client, world, phones):
    h5_login(client, ELDER_PHONE)
    other = client.get(f"/h5/e/{world.other_elder.pk}/")
    unbound = client.get(f"/h5/e/{phones.second.pk}/")  # bound to the family account, not to this one
    missing = client.get("/h5/e/987654/")
    assert other.status_code == unbound.status_code == missing.status_code == 404
    assert _CSRF.sub("", other.content.decode()) == _CSRF.sub("", missing.content.decode())
    assert _CSRF.sub("", unbound.content.decode()) == _CSRF.sub("", missing.content.decode())
    for url in (f"/h5/e/{world.other_elder.pk}/code.json", "/h5/e/987654/code.json",
                f"/h5/e/{world.other_elder.pk}/code-status.json?n=x"):
        response = client.get(url)
        assert response.status_code == 404 and response.json()["code"] == "NOT_FOUND"


def test_revoked_binding_and_deactivated_account_lose_access_at_once(client, world, staff, phones):
    from zhucan.elderphone.services import binding_revoke

    h5_login(client, FAMILY_PHONE)
    assert client.get(f"/h5/e/{world.elder.pk}/").status_code == 200
    binding_revoke(actor=staff, binding_id=phones.child.pk)
    assert client.get(f"/h5/e/{world.elder.pk}/").status_code == 404
    assert client.get(f"/h5/e/{world.elder.pk}/code.json").status_code == 404
    assert client.get("/h5/")["Location"] == f"/h5/e/{phones.second.pk}/"  # one elder left
    PhoneAccount.objects.filter(phone_index=phone_index(FAMILY_PHONE)).update(is_active=False)
    assert client.get(f"/h5/e/{phones.second.pk}/")["Location"] == "/h5/login/"
    assert "h5_account_id" not in client.session


def test_a_new_password_ends_other_sessions(client, world, phones):
    from zhucan.elderphone.services import account_set_password

    h5_login(client, ELDER_PHONE)
    account = PhoneAccount.objects.get(phone_index=phone_index(ELDER_PHONE))
    account_set_password(account=account, password="Ganz-Neu-2025")
    assert client.get(f"/h5/e/{world.elder.pk}/")["Location"] == "/h5/login/"


def test_first_login_through_the_pages(client, world, staff, noon):
    from zhucan.elderphone import sms
    from zhucan.elderphone.services import binding_create

    binding_create(actor=staff, elder_id=world.elder.pk, phone=ELDER_PHONE, relation="self", notify=False)
    response = client.post("/h5/password/", {"action": "send", "phone": ELDER_PHONE})
    body = response.content.decode()
    assert response.status_code == 200 and "138****1111" in body and 'name="code"' in body
    code = sms.last_code(ELDER_PHONE)
    assert code not in body  # only shown in DEBUG with the console backend
    response = client.post("/h5/password/", {"action": "set", "phone": ELDER_PHONE, "code": "x" + code[1:],
                                             "password": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 400 and "验证码不正确" in response.content.decode()
    response = client.post("/h5/password/", {"action": "set", "phone": ELDER_PHONE, "code": code,
                                             "password": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/h5/"
    assert client.get("/h5/")["Location"] == f"/h5/e/{world.elder.pk}/"
    again = client.post("/h5/password/", {"action": "send", "phone": ELDER_PHONE})
    assert again.status_code == 429 and "秒后再试" in again.content.decode()


# --- the code ----------------------------------------------------------------------------------------


def test_code_json_gives_a_code_that_identifies_the_elder(client, world, phones, noon):
    h5_login(client, FAMILY_PHONE)
    response = client.get(f"/h5/e/{world.elder.pk}/code.json")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    data = response.json()
    assert data["expires_in"] == 60 and 0 < data["refresh_in"] < 60 and data["name"] == "张*英"
    assert datetime.fromisoformat(data["expires_at"]) == NOON + timedelta(seconds=60)
    png = base64.b64decode(data["png"].removeprefix("data:image/png;base64,"))
    assert qr.decode_png(png) == [data["token"]]  # the picture carries the token (zxing-cpp)
    status = client.get(f"/h5/e/{world.elder.pk}/code-status.json", {"n": data["n"]}).json()
    assert status == {"used": False, "canteen": None}
    elder, method = identify_by_qr(token=data["token"], canteen=world.canteen)
    assert elder == world.elder and method.name == "qr"
    status = client.get(f"/h5/e/{world.elder.pk}/code-status.json", {"n": data["n"]}).json()
    assert status == {"used": True, "canteen": "北山长者食堂"}
    # Each fetch is a new single-use code; the second elder's code is that elder's.
    fresh = client.get(f"/h5/e/{world.elder.pk}/code.json").json()
    assert fresh["token"] != data["token"]
    theirs = client.get(f"/h5/e/{phones.second.pk}/code.json").json()
    assert identify_by_qr(token=theirs["token"], canteen=world.canteen, consume=False)[0] == phones.second


def test_the_page_shows_a_code_for_its_elder(client, world, phones, noon):
    h5_login(client, ELDER_PHONE)
    body = client.get(f"/h5/e/{world.elder.pk}/").content.decode()
    data_uri = re.search(r'id="qr" src="data:image/png;base64,([^"]+)"', body).group(1)
    [token] = qr.decode_png(base64.b64decode(data_uri))
    assert identify_by_qr(token=token, canteen=world.canteen, consume=False)[0] == world.elder


# --- allowance, meals, family ---------------------------------------------------------------------------


def test_allowance_and_meals_after_a_real_commit(client, world, menu, phones, noon):
    """Hangzhou (HZ-2, HZ-4): born 1945-03-15 → 80 → 7折; 20.00 a day at most."""
    before = selectors.allowance_today(elder=world.elder)
    assert before.status == "ok" and before.used_fen == 0
    [layer] = before.layers
    assert (layer.cap_fen, layer.remaining_fen, layer.per_period) == (2000, 2000, 1)
    meal = _commit(world, menu, "h5-1")
    assert (meal.gross_fen, meal.benefit_fen, meal.payable_fen) == (1500, 450, 1050)
    after = selectors.allowance_today(elder=world.elder)
    assert after.layers[0].remaining_fen == 2000 - 450 and after.used_fen == 450 and after.periods_used == ["午餐"]
    # What the counter would say for the next meal is the same figure (API v1's remaining_now).
    from zhucan.api.selectors import remaining_now

    assert remaining_now(canteen=world.canteen, elder=world.elder)[0]["remaining_fen"] == 1550

    h5_login(client, ELDER_PHONE)
    body = client.get(f"/h5/e/{world.elder.pk}/").content.decode()
    assert "还可优惠 <strong>¥15.50</strong>" in body and "每天最多优惠 ¥20.00" in body
    assert "北山长者食堂" in body and "6月2日 11:30 午餐" in body
    assert "原价 ¥15.00" in body and "优惠 ¥4.50" in body and "实付 <strong>¥10.50</strong>" in body


def test_recent_meals_newest_first_with_reversals_marked(world, menu, phones, frozen_clock):
    frozen_clock(at("2025-06-20 12:00"))
    old = _commit(world, menu, "old", when="2025-05-20 11:30")  # 31 days before: not shown
    first = _commit(world, menu, "a", when="2025-06-02 11:30")
    second = _commit(world, menu, "b", when="2025-06-03 11:30", names=("套餐", "米饭"))
    third = _commit(world, menu, "c", when="2025-06-04 17:00")
    checkout.meal_reverse(canteen=world.canteen, receipt_no=second.receipt_no, kind="refund", idempotency_key="r",
                          request_digest="r", at=at("2025-06-03 12:00"))
    checkout.meal_reverse(canteen=world.canteen, receipt_no=third.receipt_no, kind="void", idempotency_key="v",
                          request_digest="v", at=at("2025-06-04 17:05"))
    _commit(world, menu, "other", elder=phones.second, when="2025-06-05 11:30")  # someone else's
    rows = selectors.recent_meals(elder=world.elder)
    assert [(r.at, r.reversed_as) for r in rows] == [(third.at, "已撤销"), (second.at, "已退款"), (first.at, "")]
    assert old.pk and rows[1].gross_fen == 1600 and rows[1].benefit_fen == 480 and rows[1].payable_fen == 1120
    assert rows[0].period == "晚餐" and rows[0].canteen == "北山长者食堂" and rows[0].identified_by == "长者码"


def test_allowance_of_a_younger_or_unverified_elder_says_why(world, staff):
    young = make_elder(world.xihu_c1, birth=date(1968, 1, 1), name="王年轻")
    allowance = selectors.allowance_today(elder=young, at=NOON)
    assert allowance.status == "none" and "未达到年龄条件" in allowance.message

    world.lc.policy_id = "liaocheng"
    world.lc.save()
    lc_elder = make_elder(world.lc_c1, birth=date(1940, 1, 1), name="孙大爷")
    allowance = selectors.allowance_today(elder=lc_elder, at=NOON)
    assert allowance.status == "none" and "核查" in allowance.message  # LC-8: verified first
    lc_elder.verification = "verified"
    lc_elder.save()
    allowance = selectors.allowance_today(elder=lc_elder, at=NOON)
    assert allowance.status == "ok" and allowance.layers[0].remaining_meals == 1  # LC-4: one meal a day


def test_allowance_without_a_city_policy_is_unknown(world):
    world.hz.policy_id = ""
    world.hz.save()
    world.elder.refresh_from_db()
    assert selectors.allowance_today(elder=world.elder, at=NOON).status == "unknown"


def test_family_list_shows_masked_phones_and_relations(client, world, phones, noon):
    h5_login(client, FAMILY_PHONE)
    body = client.get(f"/h5/e/{world.elder.pk}/").content.decode()
    section = body[body.index("绑定的家人"):]
    assert "138****1111" in section and "139****2222" in section
    assert ELDER_PHONE not in body and FAMILY_PHONE not in body
    assert "本人" in section and "子女" in section and "张晓东（我）" in section


@pytest.mark.parametrize("url", ["/h5/", "/h5/e/1/", "/h5/login/", "/h5/password/"])
def test_phone_pages_are_never_cached(client, url):
    response = client.get(url)
    assert "no-cache" in response.get("Cache-Control", "") or response.status_code == 302
