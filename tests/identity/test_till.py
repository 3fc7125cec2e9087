"""Cards and printed card codes at the till: the cashier page and API v1
find the card through CitizenCard's blind index, refuse lost and replaced cards with their own
message, and sell on a printed card code only after the canteen's second factor (PIN or the
registered photo here; face in tests/face/test_till.py). The meal records the method."""

from __future__ import annotations

import pytest

from tests.api import conftest as api_fixtures
from tests.checkout.conftest import at
from tests.checkout.test_cashier_views import Till, message
from tests.conftest import login
from zhucan.checkout.models import Meal
from zhucan.core.models import AuditLog
from zhucan.identity import services
from zhucan.identity.models import ElderPin

CARD = "330100123456789012"
api, carded, lunch, terminal = api_fixtures.api, api_fixtures.carded, api_fixtures.lunch, api_fixtures.terminal


@pytest.fixture
def printer(settings, tmp_path):
    settings.ZHUCAN_RECEIPT_PRINTER = f"file://{tmp_path}/{{receipt_no}}.bin"


@pytest.fixture
def till(world, menu, client, frozen_clock, printer):
    frozen_clock(at("2025-06-02 11:30"))
    return Till(login(client, world.users["cashier"]))


def _sell(till, menu) -> Meal:
    till.add(menu["套餐"])
    html = till.post("commit")
    assert "已收款" in message(html), message(html)
    return Meal.objects.latest("id")


def test_card_bound_through_citizen_card_sells_and_records_card(till, world, menu, staff):
    services.card_bind(actor=staff, elder_id=world.elder.pk, number=CARD)
    html = till.post("identify", ident=f";{CARD}?")
    assert "张*英" in html and "市民卡" in html
    meal = _sell(till, menu)
    assert meal.elder_id == world.elder.pk and meal.identified_by == "card"


def test_lost_card_is_refused_with_its_own_message_and_nothing_is_sold(till, world, menu, staff):
    card = services.card_bind(actor=staff, elder_id=world.elder.pk, number=CARD)
    services.card_report_lost(actor=staff, card_id=card.pk)
    till.add(menu["套餐"])
    html = till.post("identify", ident=CARD)
    assert "已挂失" in message(html)
    assert 'data-code="CARD_REPORTED_LOST"' in html
    assert till.state["customer"] == ""
    till.post("commit")
    assert not Meal.objects.exists()


def test_replaced_card_is_refused_and_the_new_one_works(till, world, menu, staff):
    card = services.card_bind(actor=staff, elder_id=world.elder.pk, number=CARD)
    services.card_replace(actor=staff, card_id=card.pk, new_number="330100999988887777")
    assert 'data-code="CARD_REPLACED"' in till.post("identify", ident=CARD)
    till.post("identify", ident="330100999988887777")
    assert _sell(till, menu).identified_by == "card"


# --- printed card code (长者卡码) ------------------------------------------------------------------

@pytest.fixture
def card_code(world, staff):
    token, _code = services.card_code_issue(actor=staff, elder_id=world.elder.pk)
    return token


def _factor(world, factor):
    services.canteen_card_code_factor_set(actor=world.users["canteen_manager"], canteen_id=world.canteen.pk,
                                          factor=factor)


def test_card_code_with_pin_needs_the_pin_before_any_sale(till, world, menu, staff, card_code):
    _factor(world, "pin")
    services.elder_pin_set(actor=staff, elder_id=world.elder.pk, pin="2468")
    till.add(menu["套餐"])
    html = till.post("identify", ident=card_code)
    assert 'data-factor="pin"' in html and "请老人输入密码" in html
    assert 'value="commit" class="confirm" disabled' in html  # no quote, no Enter-to-sell
    till.post("commit")  # Enter before the PIN: refused, nothing written
    assert message(till.html) == "打印版长者卡码须二次核验：请老人输入密码" and not Meal.objects.exists()
    till.post("factor_pin", pin="1111")
    assert message(till.html) == "密码错误" and 'data-factor="pin"' in till.html  # may try again
    till.post("factor_pin", pin="2468")
    assert "二次核验通过" in till.html and 'data-factor' not in till.html
    html = till.post("commit")
    assert "已收款" in message(html)
    meal = Meal.objects.get()
    assert meal.elder_id == world.elder.pk and meal.identified_by == "qr_card" and meal.benefit_fen > 0


def test_pin_locks_after_five_wrong_tries(till, world, menu, staff, card_code, settings):
    _factor(world, "pin")
    services.elder_pin_set(actor=staff, elder_id=world.elder.pk, pin="2468")
    till.add(menu["套餐"])
    till.post("identify", ident=card_code)
    for _ in range(4):
        till.post("factor_pin", pin="0000")
    till.post("factor_pin", pin="0000")
    assert 'data-code="PIN_LOCKED"' in till.html
    till.post("factor_pin", pin="2468")  # the right PIN is refused while locked
    assert 'data-code="PIN_LOCKED"' in till.html and not Meal.objects.exists()
    assert ElderPin.objects.get().locked_until is not None


def test_revoked_card_code_is_refused(till, world, menu, staff, card_code):
    services.card_code_revoke(actor=staff, elder_id=world.elder.pk)
    html = till.post("identify", ident=card_code)
    assert 'data-code="QR_CARD_CODE_REVOKED"' in html and till.state["customer"] == ""


def test_photo_factor_without_a_kept_photo_sends_the_cashier_to_the_card(till, world, menu, card_code):
    _factor(world, "photo")
    html = till.post("identify", ident=card_code)
    assert 'data-code="PHOTO_NOT_KEPT"' in html and "请改用市民卡" in message(html)
    assert till.state["customer"] == ""  # nothing left pending that could never be confirmed


def test_photo_factor_shows_the_kept_photo_audited_and_confirms(till, world, menu, card_code, staff):
    from zhucan.core import crypto
    from zhucan.face.models import FaceEnrolment
    from zhucan.face.services import PHOTO_CONTEXT

    _factor(world, "photo")
    png = b"\x89PNG\r\n\x1a\n" + b"fakephoto"
    import base64

    FaceEnrolment.objects.create(elder=world.elder, embedding_encrypted="x", model_name="m", model_version="v",
                                 source="staff_upload", enrolled_at=world.elder.created_at,
                                 photo_encrypted=crypto.encrypt(base64.b64encode(png).decode(), context=PHOTO_CONTEXT))
    till.add(menu["套餐"])
    html = till.post("identify", ident=card_code)
    assert "data:image/png;base64," + base64.b64encode(png).decode() in html
    view = AuditLog.objects.get(action="face.photo_view")
    assert view.actor == world.users["cashier"] and view.object_id == str(world.elder.pk)
    till.post("factor_photo_yes")
    assert _sell_after_confirm(till).identified_by == "qr_card"


def _sell_after_confirm(till) -> Meal:
    html = till.post("commit")
    assert "已收款" in message(html), message(html)
    return Meal.objects.latest("id")


def test_photo_not_matching_clears_the_customer(till, world, menu, card_code):
    from zhucan.face.models import FaceEnrolment

    _factor(world, "photo")
    FaceEnrolment.objects.create(elder=world.elder, embedding_encrypted="x", model_name="m", model_version="v",
                                 source="staff_upload", enrolled_at=world.elder.created_at,
                                 photo_encrypted=__import__("zhucan.core.crypto", fromlist=["x"]).encrypt(
                                     "aGVsbG8=", context="face.photo"))
    till.add(menu["套餐"])
    till.post("identify", ident=card_code)
    html = till.post("factor_photo_no")
    assert 'data-code="PHOTO_MISMATCH"' in html and till.state["customer"] == ""
    till.post("commit")
    assert not Meal.objects.exists()


def test_a_forged_pending_state_cannot_skip_the_factor(till, world, menu, card_code):
    """The customer token is signed: editing it to drop the pending factor is ignored."""
    _factor(world, "pin")
    till.add(menu["套餐"])
    till.post("identify", ident=card_code)
    token = till.state["customer"]
    till.state["customer"] = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    till.post("commit")
    assert not Meal.objects.exists()


# --- the same through API v1 ------------------------------------------------------------------------

@pytest.fixture
def api_code(world, staff):
    token, _code = services.card_code_issue(actor=staff, elder_id=world.elder.pk)
    services.elder_pin_set(actor=staff, elder_id=world.elder.pk, pin="2468")
    return token


def _body(menu, elder):
    return {"elder": elder, "items": [{"dish_id": menu["套餐"].pk, "quantity": 1}]}


def test_api_card_code_needs_its_pin(api, world, menu, api_code):
    _factor(world, "pin")
    bare = api.post("/api/v1/meals/quote", _body(menu, {"qr_token": api_code}))
    assert bare.status_code == 409 and bare.json()["code"] == "QR_SECOND_FACTOR_REQUIRED"
    assert bare.json()["message"] == "打印版长者卡码须二次核验：请同时提供密码（pin）"
    assert bare.json()["details"] == {"factor": "pin", "accepted": ["pin"]}
    wrong = api.post("/api/v1/meals/commit", _body(menu, {"qr_token": api_code, "pin": "1111"}), key="w1")
    assert wrong.status_code == 403 and wrong.json()["code"] == "PIN_WRONG"
    assert not Meal.objects.exists()
    done = api.post("/api/v1/meals/commit", _body(menu, {"qr_token": api_code, "pin": "2468"}), key="ok1")
    assert done.status_code == 200, done.content
    assert Meal.objects.get().identified_by == "qr_card"


def test_api_photo_canteen_takes_a_pin_instead(api, world, menu, api_code):
    _factor(world, "photo")
    done = api.post("/api/v1/meals/commit", _body(menu, {"qr_token": api_code, "pin": "2468"}), key="p1")
    assert done.status_code == 200 and Meal.objects.get().identified_by == "qr_card"


def test_api_face_canteen_refuses_a_pin(api, world, menu, api_code):
    _factor(world, "face")
    r = api.post("/api/v1/meals/quote", _body(menu, {"qr_token": api_code, "pin": "2468"}))
    assert r.status_code == 409 and r.json()["code"] == "QR_SECOND_FACTOR_REQUIRED"
    assert r.json()["details"]["accepted"] == ["face"]


def test_api_pin_goes_only_with_a_card_code(api, world, menu, carded):
    r = api.post("/api/v1/meals/quote", _body(menu, {"card_number": api_fixtures.CARD, "pin": "2468"}))
    assert r.status_code == 400 and r.json()["field"] == "pin"


def test_api_card_lookup_by_blind_index_and_lost_card(api, world, menu, staff):
    card = services.card_bind(actor=staff, elder_id=world.elder.pk, number=CARD)
    ok = api.post("/api/v1/elders/identify", {"card_number": CARD})
    assert ok.status_code == 200 and ok.json()["elder_id"] == world.elder.pk
    services.card_report_lost(actor=staff, card_id=card.pk)
    lost = api.post("/api/v1/elders/identify", {"card_number": CARD})
    assert lost.status_code == 403 and lost.json()["code"] == "CARD_REPORTED_LOST"
    assert lost.json()["field"] == "card_number"



# --- 人次 by method, visible to the district -------------------------------------

def test_district_sees_head_counts_by_method(till, world, menu, staff, card_code, client, frozen_clock):
    from datetime import date

    from zhucan.checkout import services as S
    from zhucan.settlement.services import statement_generate

    services.card_bind(actor=staff, elder_id=world.elder.pk, number=CARD)
    _factor(world, "pin")
    services.elder_pin_set(actor=staff, elder_id=world.elder.pk, pin="2468")
    till.post("identify", ident=CARD)
    _sell(till, menu)  # lunch by card
    sold = S.meal_commit(canteen=world.canteen, elder=world.other_elder,
                         lines=[S.OrderLine(dish_id=menu["套餐"].pk, quantity=1)], idempotency_key="k2",
                         request_digest="k2", identified_by="qr_card", cashier=world.users["cashier"])
    S.meal_reverse(canteen=world.canteen, receipt_no=sold.meal.receipt_no, kind="void", idempotency_key="v2",
                   request_digest="v2", cashier=world.users["cashier"], reason="测试")
    S.meal_commit(canteen=world.canteen, elder=world.other_elder,
                  lines=[S.OrderLine(dish_id=menu["米饭"].pk, quantity=1)], idempotency_key="k3",
                  request_digest="k3", identified_by="face", cashier=world.users["cashier"])
    live = login(client, world.users["district_admin"]).get("/checkout/live/").content.decode()
    assert '<span class="badge">市民卡 1</span>' in live and '<span class="badge">人脸 1</span>' in live
    assert "长者卡码 " not in live  # the voided card-code sale does not count
    frozen_clock(at("2025-07-02 09:00"))
    statement_generate(actor=world.users["city_admin"], month=date(2025, 6, 1))
    html = client.get("/settlement/report/?month=2025-06").content.decode()
    table = html.split('class="list by-method"')[1].split("</table>")[0]
    row = table.split("<td>西湖区</td>")[1].split("</tr>")[0]
    cells = [int(c) for c in __import__("re").findall(r'<td class="num">(\d+)</td>', row)]
    assert cells == [1, 0, 0, 0, 1, 0, 2]  # card, id, qr, qr_card (voided), face, elder_id, total


def test_the_scan_field_takes_a_whole_elder_code(till, world, card_code):
    """A scanner types the code into the field: its maxlength must not cut a 146-character token
    (it did at 64, and the code was then refused as malformed in a real browser)."""
    import re

    html = till.client.get("/checkout/cashier/").content.decode()
    maxlength = int(re.search(r'id="pos-ident"[^>]*maxlength="(\d+)"', html, re.S)[1])
    token, _ = services.elder_qr_issue(elder=world.elder)
    assert maxlength >= max(len(token), len(card_code)) + 20


# --- a code read by the till's camera (F7) ---------------------------------------------------------

def _scan(till, image: bytes) -> str:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.checkout.test_cashier_views import parse_state

    upload = SimpleUploadedFile("frame.jpg", image, content_type="image/jpeg")
    response = till.client.post("/checkout/cashier/", {**till.state, "op": "scan", "face_image": upload},
                                HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    till.html = response.content.decode()
    till.state = parse_state(till.html)
    return till.html


def test_phone_code_read_by_the_camera_sells_once(till, world, menu):
    from tests.identity.conftest import camera_frame
    from zhucan.identity import qr

    token, _ = services.elder_qr_issue(elder=world.elder)
    till.add(menu["套餐"])
    html = _scan(till, camera_frame(qr.render_png(token)))  # a phone held up to a cheap webcam
    assert "张*英" in html and "长者码" in html, message(html)
    meal = _sell_after_confirm(till)
    assert meal.identified_by == "qr"
    till.add(menu["套餐"])
    assert 'data-code="QR_ALREADY_USED"' in _scan(till, qr.render_png(token))  # the same code again


def test_camera_scan_refuses_other_codes_and_pictures_without_one(till, world, menu, photos_png):
    import segno


    other = __import__("io").BytesIO()
    segno.make("https://example.com/pay?id=42").save(other, kind="png", scale=6)
    till.add(menu["套餐"])
    assert 'data-code="QR_MALFORMED"' in _scan(till, other.getvalue())
    assert 'data-code="QR_IMAGE_UNREADABLE"' in _scan(till, photos_png)
    assert 'data-code="QR_IMAGE_UNREADABLE"' in _scan(till, b"not an image")
    assert till.state["customer"] == ""
    till.post("commit")
    assert not Meal.objects.exists()


@pytest.fixture
def photos_png():
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (320, 240), (180, 200, 220)).save(out, "PNG")
    return out.getvalue()


def test_photo_confirmation_needs_the_photo_shown_to_this_cashier(till, world, menu, card_code):
    """A forged "是本人" without the photo having been shown (and audited) is refused."""
    from zhucan.core import crypto
    from zhucan.face.models import FaceEnrolment

    _factor(world, "photo")
    FaceEnrolment.objects.create(elder=world.elder, embedding_encrypted="x", model_name="m", model_version="v",
                                 source="staff_upload", enrolled_at=world.elder.created_at,
                                 photo_encrypted=crypto.encrypt("aGVsbG8=", context="face.photo"))
    till.add(menu["套餐"])
    till.post("identify", ident=card_code)
    AuditLog.objects.filter(action="face.photo_view").delete()  # as if the photo had never been shown
    html = till.post("factor_photo_yes")
    assert 'data-code="PHOTO_NOT_SHOWN"' in html and 'data-factor="photo"' in html
    till.post("factor_photo_show")
    till.post("factor_photo_yes")
    assert "二次核验通过" in till.html
