"""Console pages for identification media: the citizen card, the printed card code and
its PIN on the elder page, the card-code second factor on the canteen page.

Every write goes through a POST with CSRF and an identity service; a refusal shows the service's
Chinese message and writes nothing; not-found and not-yours answer alike; the full card number
never appears in any response."""

from __future__ import annotations

import base64
import re

import pytest
from django.test import Client

from tests.conftest import login, make_elder
from zhucan.core.models import AuditLog
from zhucan.identity import qr, services
from zhucan.identity.models import (
    CanteenIdentitySettings,
    CardCode,
    CardCodeRevocation,
    CardStatus,
    CitizenCard,
    ElderPin,
)

CARD = "330100123456789012"
NEW_CARD = "330100999988887777"
MASKED = "3301**********9012"


@pytest.fixture
def world(world_in_savepoint):
    """The world, built once for this module; each test's writes roll back."""
    return world_in_savepoint


@pytest.fixture
def client_for(client):
    def as_user(user):
        return login(client, user)

    return as_user


def detail(client, elder) -> str:
    response = client.get(f"/elders/{elder.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def shown_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def state() -> dict:
    """Every row an action on identification media could write."""
    from zhucan.identity.models import ElderCodeHandle

    def rows(model):
        return sorted(model.objects.values(), key=lambda r: r["id"])

    return {m.__name__: rows(m) for m in (CitizenCard, CardCode, CardCodeRevocation, ElderPin,
                                          CanteenIdentitySettings, ElderCodeHandle, AuditLog)}


def no_full_number(*responses) -> None:
    for response in responses:
        body = response.content.decode() if hasattr(response, "content") else str(response)
        assert CARD not in body and NEW_CARD not in body


# --- the elder page ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["city_admin", "district_admin", "subdistrict_staff"])
def test_elder_page_shows_the_sections_with_actions_to_who_may_change(world, client_for, role):
    client = client_for(world.users[role])
    body = detail(client, world.elder)
    for anchor in ('id="identity-card"', 'id="identity-card-code"', 'id="face"'):
        assert anchor in body
    assert f'action="/identity/elders/{world.elder.pk}/card/bind/"' in body
    assert f'action="/identity/elders/{world.elder.pk}/card-code/"' in body
    assert f'action="/identity/elders/{world.elder.pk}/pin/"' in body
    assert "打印卡码" in body and "设置密码" in body


def test_auditor_sees_the_sections_but_no_action(world, client_for, staff):
    services.card_bind(actor=staff, elder_id=world.elder.pk, number=CARD)
    services.card_code_issue(actor=staff, elder_id=world.elder.pk)
    body = detail(client_for(world.users["auditor"]), world.elder)
    assert MASKED in body and "市民卡" in body and "长者卡码" in body
    assert "/identity/elders/" not in body  # no form posts anywhere
    assert "打印卡码" not in body and "挂失</button>" not in body
    assert CARD not in body


@pytest.mark.parametrize("role", ["canteen_manager", "cashier"])
def test_canteen_staff_never_see_the_elder_sections(world, client_for, role):
    response = client_for(world.users[role]).get(f"/elders/{world.elder.pk}/")
    assert response.status_code == 403


def test_facts_show_the_active_card_masked_never_the_full_number(world, client_for, staff):
    client = client_for(staff)
    assert re.search(r"市民卡号</dt><dd class=\"mono\">—", detail(client, world.elder))
    services.card_bind(actor=staff, elder_id=world.elder.pk, number=CARD)
    body = detail(client, world.elder)
    assert re.search(rf"市民卡号</dt><dd class=\"mono\">{re.escape(MASKED)}", body)
    assert CARD not in body


def test_a_card_given_at_registration_is_in_the_card_table_and_shown_masked(world, client_for, staff):
    elder = make_elder(world.xihu_c1, name="王桂芳", citizen_card_number=CARD)
    body = detail(client_for(world.users["subdistrict_staff"]), elder)
    assert re.search(rf"市民卡号</dt><dd class=\"mono\">{re.escape(MASKED)}", body) and CARD not in body
    assert services.identify_by_card(number=CARD, canteen=world.canteen) == elder


# --- citizen card: bind, report lost, replace ------------------------------------------------------------


def test_bind_a_card(world, client_for, staff):
    client = client_for(staff)
    response = client.post(f"/identity/elders/{world.elder.pk}/card/bind/", {"number": f";{CARD}?"})
    assert response.status_code == 302
    assert response["Location"] == f"/elders/{world.elder.pk}/#identity-card"
    card = CitizenCard.objects.get(elder=world.elder)
    assert (card.status, card.number_masked, card.issued_by) == (CardStatus.ACTIVE, MASKED, staff)
    log = AuditLog.objects.get(action="identity.card_bind")
    assert log.actor == staff and log.ip == "127.0.0.1"
    page = client.get(response["Location"])
    assert "市民卡已绑定" in shown_messages(page)
    body = page.content.decode()
    assert MASKED in body and "在用" in body and str(staff) in body
    assert "挂失" in body and f"/identity/elders/{world.elder.pk}/cards/{card.pk}/replace/" in body
    assert f"/identity/elders/{world.elder.pk}/card/bind/" not in body  # one active card each
    no_full_number(response, page)


@pytest.mark.parametrize(("number", "setup", "message"), [
    ("12-34", None, "卡号格式有误"),
    (CARD, "active", "该老人已有在用的卡"),
    (CARD, "other_elder", "该卡号已绑定其他老人"),
])
def test_bind_refusals_show_the_message_and_write_nothing(world, client_for, staff, number, setup, message):
    if setup == "active":
        services.card_bind(actor=staff, elder_id=world.elder.pk, number="330100111122223333")
    if setup == "other_elder":
        other = make_elder(world.xihu_c1, name="赵淑珍")
        services.card_bind(actor=staff, elder_id=other.pk, number=CARD)
    client = client_for(staff)
    before = state()
    response = client.post(f"/identity/elders/{world.elder.pk}/card/bind/", {"number": number}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain == [(f"/elders/{world.elder.pk}/", 302)]  # the top, where the message is
    assert any(message in m for m in shown_messages(response))
    assert f'<li class="error">{shown_messages(response)[0]}' in response.content.decode()
    assert state() == before
    no_full_number(response)


def test_report_lost_and_history(world, client_for, staff):
    card = services.card_bind(actor=staff, elder_id=world.elder.pk, number=CARD)
    client = client_for(world.users["district_admin"])
    response = client.post(f"/identity/elders/{world.elder.pk}/cards/{card.pk}/report-lost/", follow=True)
    assert "已挂失：该卡不能再用于就餐" in shown_messages(response)
    card.refresh_from_db()
    assert card.status == CardStatus.LOST and card.reported_lost_by == world.users["district_admin"]
    assert AuditLog.objects.filter(action="identity.card_report_lost", actor=world.users["district_admin"]).count() == 1
    body = response.content.decode()
    assert "已挂失" in body and str(world.users["district_admin"]) in body
    assert card.reported_lost_at.astimezone().strftime("%Y-%m-%d") in body
    # No active card now: bind and 补卡 (on the lost card) are offered, 挂失 is not.
    assert f"/identity/elders/{world.elder.pk}/card/bind/" in body
    assert f"/identity/elders/{world.elder.pk}/cards/{card.pk}/replace/" in body
    assert "/report-lost/" not in body
    no_full_number(response)
    # Reporting it lost again is refused with the service's message, and nothing is written.
    before = state()
    again = client.post(f"/identity/elders/{world.elder.pk}/cards/{card.pk}/report-lost/", follow=True)
    assert "该卡不是在用状态，无法办理此操作" in shown_messages(again)
    assert state() == before


def test_replace_a_lost_card(world, client_for, staff):
    card = services.card_bind(actor=staff, elder_id=world.elder.pk, number=CARD)
    services.card_report_lost(actor=staff, card_id=card.pk)
    client = client_for(staff)
    response = client.post(f"/identity/elders/{world.elder.pk}/cards/{card.pk}/replace/",
                           {"new_number": NEW_CARD}, follow=True)
    assert "已补卡：旧卡作废，新卡已启用" in shown_messages(response)
    card.refresh_from_db()
    new = CitizenCard.objects.get(elder=world.elder, status=CardStatus.ACTIVE)
    assert card.status == CardStatus.REPLACED and card.replaced_by == new and new.issued_by == staff
    assert AuditLog.objects.filter(action="identity.card_replace", actor=staff).count() == 1
    body = response.content.decode()
    assert new.number_masked in body and "已补卡作废" in body and "已挂失" not in body.split("<tbody>")[0]
    assert services.identify_by_card(number=NEW_CARD) == world.elder
    no_full_number(response)


def test_replace_refusal_writes_nothing(world, client_for, staff):
    card = services.card_bind(actor=staff, elder_id=world.elder.pk, number=CARD)
    client = client_for(staff)
    before = state()
    response = client.post(f"/identity/elders/{world.elder.pk}/cards/{card.pk}/replace/",
                           {"new_number": "x"}, follow=True)
    assert "卡号格式有误（应为6到32位字母或数字）" in shown_messages(response)
    assert state() == before


def test_a_card_of_another_elder_is_not_found_like_a_missing_one(world, client_for, staff):
    other = make_elder(world.xihu_c1, name="赵淑珍")
    card = services.card_bind(actor=staff, elder_id=other.pk, number=CARD)
    client = client_for(staff)
    before = state()
    wrong = client.post(f"/identity/elders/{world.elder.pk}/cards/{card.pk}/report-lost/")
    missing = client.post(f"/identity/elders/{world.elder.pk}/cards/987654/report-lost/")
    assert wrong.status_code == missing.status_code == 404
    assert "卡不存在或无权查看" in wrong.content.decode()
    assert state() == before


def test_other_jurisdiction_gets_404_and_nothing_changes(world, client_for):
    client = client_for(world.other["subdistrict_staff"])
    before = state()
    for url, data in [(f"/identity/elders/{world.elder.pk}/card/bind/", {"number": CARD}),
                      (f"/identity/elders/{world.elder.pk}/card-code/", {}),
                      (f"/identity/elders/{world.elder.pk}/card-code/revoke/", {}),
                      (f"/identity/elders/{world.elder.pk}/pin/", {"pin": "1234", "pin_again": "1234"})]:
        response = client.post(url, data)
        assert response.status_code == 404, url
        assert "不存在或无权查看" in response.content.decode()
    assert state() == before


@pytest.mark.parametrize("role", ["auditor", "canteen_manager", "cashier"])
def test_roles_without_change_are_refused(world, client_for, role):
    client = client_for(world.users[role])
    before = state()
    response = client.post(f"/identity/elders/{world.elder.pk}/card/bind/", {"number": CARD})
    assert response.status_code == 403 and "无权访问" in response.content.decode()
    response = client.post(f"/identity/elders/{world.elder.pk}/card-code/")
    assert response.status_code == 403
    assert state() == before


def test_writes_need_post_and_csrf(world, staff):
    client = Client(enforce_csrf_checks=True)
    login(client, staff)
    before = state()
    assert client.get(f"/identity/elders/{world.elder.pk}/card/bind/").status_code == 405
    assert client.get(f"/identity/elders/{world.elder.pk}/card-code/").status_code == 405
    response = client.post(f"/identity/elders/{world.elder.pk}/card/bind/", {"number": CARD})
    assert response.status_code == 403  # CSRF failure
    assert state() == before
    # With the token from the page, the same request works.
    page = client.get(f"/elders/{world.elder.pk}/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post(f"/identity/elders/{world.elder.pk}/card/bind/",
                           {"number": CARD, "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and CitizenCard.objects.filter(elder=world.elder).count() == 1


# --- printed card code (长者卡码) --------------------------------------------------------------------------


def _qr_token(response) -> str:
    body = response.content.decode()
    match = re.search(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', body)
    assert match, body[:300]
    texts = qr.decode_png(base64.b64decode(match.group(1)))
    assert len(texts) == 1
    return texts[0]


def test_print_card_code_page_decodes_to_a_token_identify_accepts(world, client_for, staff, noon):
    client = client_for(staff)
    response = client.post(f"/identity/elders/{world.elder.pk}/card-code/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    code = CardCode.objects.get(elder=world.elder)
    assert code.issued_by == staff
    assert AuditLog.objects.filter(action="identity.card_code_issue", actor=staff).count() == 1
    body = response.content.decode()
    assert "张*英" in body and "张秀英" not in body  # the card carries the masked name only
    assert code.expires_at.astimezone().strftime("%Y年%-m月%-d日") in body
    assert "@page { size: 105mm 148mm" in body and "收银员" in body  # A6
    token = _qr_token(response)
    assert token not in body  # the token is in the QR code, not printed as text
    elder, method = services.identify_by_qr(token=token, canteen=world.canteen)
    assert elder == world.elder
    assert method.name == "qr_card" and method.requires_second_factor
    # The elder page lists the code (id prefix, dates) but never the token.
    page = detail(client, world.elder)
    assert code.code_id[:8] in page and token not in page and "有效" in page
    assert f'action="/identity/elders/{world.elder.pk}/card-code/revoke/"' in page


def test_reprinting_revokes_the_earlier_code(world, client_for, staff, noon):
    client = client_for(staff)
    first = _qr_token(client.post(f"/identity/elders/{world.elder.pk}/card-code/"))
    second = _qr_token(client.post(f"/identity/elders/{world.elder.pk}/card-code/"))
    assert first != second
    with pytest.raises(Exception) as caught:
        services.identify_by_qr(token=first, canteen=world.canteen)
    assert caught.value.code == "QR_CARD_CODE_REVOKED"
    assert services.identify_by_qr(token=second, canteen=world.canteen)[0] == world.elder
    page = detail(client, world.elder)
    assert "已作废" in page and page.count('<span class="badge ok">有效</span>') == 1


def test_revoke_card_codes(world, client_for, staff, noon):
    client = client_for(staff)
    token = _qr_token(client.post(f"/identity/elders/{world.elder.pk}/card-code/"))
    response = client.post(f"/identity/elders/{world.elder.pk}/card-code/revoke/", follow=True)
    assert response.redirect_chain[-1][0] == f"/elders/{world.elder.pk}/#identity-card-code"
    assert "长者卡码已作废，终端更新作废名单后即拒收" in shown_messages(response)
    revocation = CardCodeRevocation.objects.get(card_code__elder=world.elder)
    assert revocation.revoked_by == staff
    assert AuditLog.objects.filter(action="identity.card_code_revoke", actor=staff).count() == 1
    with pytest.raises(Exception) as caught:
        services.identify_by_qr(token=token, canteen=world.canteen)
    assert caught.value.code == "QR_CARD_CODE_REVOKED"
    body = response.content.decode()
    assert "已作废" in body and "/card-code/revoke/" not in body  # nothing left to revoke
    # Revoking again: nothing to revoke is said so.
    again = client.post(f"/identity/elders/{world.elder.pk}/card-code/revoke/", follow=True)
    assert "该老人没有在用的长者卡码" in shown_messages(again)


# --- PIN -----------------------------------------------------------------------------------------------------


def test_set_pin_is_stored_hashed_and_never_shown(world, client_for, staff):
    client = client_for(staff)
    response = client.post(f"/identity/elders/{world.elder.pk}/pin/", {"pin": "482916", "pin_again": "482916"},
                           follow=True)
    assert "密码已设置" in shown_messages(response)
    pin = ElderPin.objects.get(elder=world.elder)
    assert "482916" not in pin.pin_hash
    services.verify_card_code_pin(elder=world.elder, pin="482916")  # no error: the PIN works
    assert AuditLog.objects.filter(action="identity.pin_set", actor=staff).count() == 1
    body = response.content.decode()
    assert "482916" not in body and "已设置" in body and "重设密码" in body


@pytest.mark.parametrize(("pin", "again", "message"), [
    ("12a4", "12a4", "密码须为4到6位数字"),
    ("123", "123", "密码须为4到6位数字"),
    ("1234567", "1234567", "密码须为4到6位数字"),
    ("1234", "4321", "两次输入的密码不一致，请重新输入"),
])
def test_pin_refusals(world, client_for, staff, pin, again, message):
    client = client_for(staff)
    before = state()
    response = client.post(f"/identity/elders/{world.elder.pk}/pin/", {"pin": pin, "pin_again": again},
                           follow=True)
    assert message in shown_messages(response)
    assert state() == before
    # The refused PIN is echoed neither in a message nor in a field (a masked ID number elsewhere on
    # the page may happen to end in the same digits).
    assert all(pin not in text for text in shown_messages(response))
    assert f'value="{pin}"' not in response.content.decode()


# --- the canteen page: the card-code second factor ---------------------------------------------------------


def test_canteen_page_shows_the_factor_to_viewers_and_the_form_to_who_may_change(world, client_for):
    url = f"/canteens/{world.canteen.pk}/"
    for role in ("city_admin", "district_admin", "canteen_manager"):
        body = client_for(world.users[role]).get(url).content.decode()
        assert 'id="identity-canteen"' in body and "收银员核对登记照片" in body
        assert f'action="/identity/canteens/{world.canteen.pk}/card-code-factor/"' in body
    for role in ("subdistrict_staff", "cashier", "auditor"):
        body = client_for(world.users[role]).get(url).content.decode()
        assert 'id="identity-canteen"' in body and "长者卡码二次核验" in body
        assert "/card-code-factor/" not in body and 'action="/face/' not in body


def test_canteen_manager_sets_the_factor(world, client_for):
    manager = world.users["canteen_manager"]
    client = client_for(manager)
    response = client.post(f"/identity/canteens/{world.canteen.pk}/card-code-factor/", {"factor": "pin"},
                           follow=True)
    assert response.redirect_chain[-1][0] == f"/canteens/{world.canteen.pk}/#identity-canteen"
    assert "长者卡码二次核验方式已保存" in shown_messages(response)
    assert CanteenIdentitySettings.objects.get(canteen=world.canteen).card_code_factor == "pin"
    assert services.canteen_card_code_factor(world.canteen) == "pin"
    assert AuditLog.objects.filter(action="identity.canteen_factor_set", actor=manager).count() == 1
    body = response.content.decode()
    assert '<option value="pin" selected>' in body


def test_factor_refusals(world, client_for):
    before = state()
    client = client_for(world.users["canteen_manager"])
    response = client.post(f"/identity/canteens/{world.canteen.pk}/card-code-factor/", {"factor": "sms"},
                           follow=True)
    assert "核验方式须为人脸、密码或人工核对照片" in shown_messages(response)
    other = client.post(f"/identity/canteens/{world.other_canteen.pk}/card-code-factor/", {"factor": "pin"})
    missing = client.post("/identity/canteens/987654/card-code-factor/", {"factor": "pin"})
    assert other.status_code == missing.status_code == 404
    cashier = client_for(world.users["cashier"]).post(f"/identity/canteens/{world.canteen.pk}/card-code-factor/",
                                                      {"factor": "pin"})
    assert cashier.status_code == 403
    assert state() == before


# --- the full card number never appears ------------------------------------------------------------------------


def test_the_full_card_number_never_appears_in_any_response(world, client_for, staff, noon):
    """Walk through every page and action of this console with the card bound, lost and replaced."""
    client = client_for(staff)
    e = world.elder.pk
    responses = [client.post(f"/identity/elders/{e}/card/bind/", {"number": CARD}, follow=True)]
    card = CitizenCard.objects.get(elder=world.elder)
    responses += [
        client.get(f"/elders/{e}/"),
        client.post(f"/identity/elders/{e}/card/bind/", {"number": CARD}, follow=True),  # refused: active
        client.post(f"/identity/elders/{e}/cards/{card.pk}/report-lost/", follow=True),
        client.post(f"/identity/elders/{e}/cards/{card.pk}/replace/", {"new_number": NEW_CARD}, follow=True),
        client.post(f"/identity/elders/{e}/cards/{card.pk}/replace/", {"new_number": NEW_CARD}, follow=True),
        client.post(f"/identity/elders/{e}/card-code/"),
        client.post(f"/identity/elders/{e}/card-code/revoke/", follow=True),
        client.post(f"/identity/elders/{e}/pin/", {"pin": "1234", "pin_again": "1234"}, follow=True),
    ]
    for role in ("district_admin", "city_admin", "auditor"):
        responses.append(client_for(world.users[role]).get(f"/elders/{e}/"))
    no_full_number(*responses)
