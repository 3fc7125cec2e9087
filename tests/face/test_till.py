"""Face at the till: the cashier page takes a camera frame or photo for 1:N
identification and for the 1:1 second factor of a printed card code; API v1 answers a face ticket
that the following quote/commit presents. Refusals never fall through to another elder and write
nothing; the meal records "face" (1:N) or the first method (1:1)."""

from __future__ import annotations

import base64

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.api import conftest as api_fixtures
from tests.checkout.conftest import at
from tests.checkout.test_cashier_views import CARD, URL, Till, message, parse_state
from tests.conftest import bind_card, login
from tests.face.test_face import IDENTIFY, VERIFY, consent, enable, enrol, synthetic_others
from zhucan.checkout.models import Meal
from zhucan.identity import services as identity

api, lunch, terminal = api_fixtures.api, api_fixtures.lunch, api_fixtures.terminal


class FaceTill(Till):
    def face(self, op: str, image: bytes, name: str = "frame.jpg") -> str:
        upload = SimpleUploadedFile(name, image, content_type="image/jpeg")
        response = self.client.post(URL, {**self.state, "op": op, "face_image": upload}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200, response.content[:500]
        self.html = response.content.decode()
        self.state = parse_state(self.html)
        return self.html


@pytest.fixture
def till(world, menu, client, frozen_clock, settings, tmp_path):
    settings.ZHUCAN_RECEIPT_PRINTER = f"file://{tmp_path}/{{receipt_no}}.bin"
    frozen_clock(at("2025-06-02 11:30"))
    return FaceTill(login(client, world.users["cashier"]))


@pytest.fixture
def enrolled(world, photos):
    consent(world, world.elder, VERIFY, IDENTIFY)
    enrol(world, world.elder, photos["astronaut"])
    return world.elder


def test_face_identifies_at_the_cashier_page_and_the_meal_records_face(till, world, menu, photos, enrolled,
                                                                       vectors):
    synthetic_others(world, vectors, 20)
    enable(world)
    till.add(menu["套餐"])
    html = till.face("face", photos["astronaut_frame"])
    assert "张*英" in html and "人脸" in html, message(html)
    html = till.post("commit")
    assert "已收款" in message(html)
    meal = Meal.objects.get()
    assert meal.elder_id == world.elder.pk and meal.identified_by == "face"


def test_face_refusals_leave_no_customer_and_send_to_card(till, world, menu, photos, enrolled):
    till.add(menu["套餐"])
    html = till.face("face", photos["astronaut_frame"])  # 1:N is off at this canteen
    assert 'data-code="FACE_IDENTIFY_DISABLED"' in html and "市民卡" in message(html)
    enable(world)
    for name, code in (("grace_hopper", "FACE_NO_MATCH"), ("blank", "FACE_NO_FACE"),
                       ("two_faces", "FACE_SEVERAL_FACES")):
        html = till.face("face", photos[name])
        assert f'data-code="{code}"' in html and till.state["customer"] == ""
    html = till.face("face", b"not an image at all")
    assert 'data-code="FACE_IMAGE_INVALID"' in html
    till.post("commit")
    assert not Meal.objects.exists()


def test_face_op_without_an_image_is_a_clear_error(till, menu):
    html = till.post("face")
    assert 'data-code="FACE_IMAGE_REQUIRED"' in html


def test_card_code_confirmed_by_face(till, world, menu, photos, enrolled, staff_user):
    identity.canteen_card_code_factor_set(actor=world.users["canteen_manager"], canteen_id=world.canteen.pk,
                                          factor="face")
    token, _ = identity.card_code_issue(actor=staff_user, elder_id=world.elder.pk)
    till.add(menu["套餐"])
    html = till.post("identify", ident=token)
    assert 'data-factor="face"' in html
    html = till.face("factor_face", photos["grace_hopper"])  # somebody else holds the card code
    assert 'data-code="FACE_NO_MATCH"' in html and 'data-factor="face"' in html
    till.post("commit")
    assert not Meal.objects.exists()
    html = till.face("factor_face", photos["astronaut_flip"])
    assert "二次核验通过" in html
    html = till.post("commit")
    assert "已收款" in message(html)
    assert Meal.objects.get().identified_by == "qr_card"


@pytest.fixture
def staff_user(world):
    return world.users["subdistrict_staff"]


# --- API v1 -------------------------------------------------------------------------------------

def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _items(menu):
    return [{"dish_id": menu["套餐"].pk, "quantity": 1}]


def test_api_identify_by_face_then_commit_with_the_ticket(api, world, menu, photos, enrolled):
    enable(world)
    r = api.post("/api/v1/faces/identify", {"image_b64": _b64(photos["astronaut_frame"])})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["elder_id"] == world.elder.pk and body["identified_by"] == "face" and body["name"] == "张*英"
    assert body["distance"] <= body["threshold"]
    done = api.post("/api/v1/meals/commit", {"elder": {"face_ticket": body["face_ticket"]}, "items": _items(menu)},
                    key="face-1")
    assert done.status_code == 200, done.content
    assert Meal.objects.get().identified_by == "face"


def test_api_face_refusal_writes_nothing(api, world, menu, photos, enrolled):
    enable(world)
    r = api.post("/api/v1/faces/identify", {"image_b64": _b64(photos["grace_hopper"])})
    assert 400 <= r.status_code < 500
    assert r.json()["code"] == "FACE_NO_MATCH" and "市民卡" in r.json()["message"]
    bad = api.post("/api/v1/faces/identify", {"image_b64": "@@not base64@@@@"})
    assert bad.status_code == 400 and bad.json()["code"] == "FACE_IMAGE_INVALID"
    assert not Meal.objects.exists()


def test_api_verify_card_code_by_face_gives_the_second_factor(api, world, menu, photos, enrolled):
    identity.canteen_card_code_factor_set(actor=world.users["canteen_manager"], canteen_id=world.canteen.pk,
                                          factor="face")
    token, _ = identity.card_code_issue(actor=world.users["subdistrict_staff"], elder_id=world.elder.pk)
    no = api.post("/api/v1/faces/verify", {"elder": {"qr_token": token}, "image_b64": _b64(photos["grace_hopper"])})
    assert no.status_code != 200 and no.json()["code"] == "FACE_NO_MATCH"
    ok = api.post("/api/v1/faces/verify", {"elder": {"qr_token": token}, "image_b64": _b64(photos["astronaut"])})
    assert ok.status_code == 200 and ok.json()["identified_by"] == "qr_card"
    ticket = ok.json()["face_ticket"]
    done = api.post("/api/v1/meals/commit", {"elder": {"qr_token": token, "face_ticket": ticket},
                                             "items": _items(menu)}, key="cc-face")
    assert done.status_code == 200, done.content
    assert Meal.objects.get().identified_by == "qr_card"


def test_api_face_ticket_of_another_elder_does_not_confirm_a_card_code(api, world, menu, photos, enrolled):
    from tests.conftest import make_elder

    identity.canteen_card_code_factor_set(actor=world.users["canteen_manager"], canteen_id=world.canteen.pk,
                                          factor="face")
    other = make_elder(world.xihu_c1, name="王小二")
    token, _ = identity.card_code_issue(actor=world.users["subdistrict_staff"], elder_id=other.pk)
    mine = api.post("/api/v1/faces/verify", {"elder": {"elder_id": world.elder.pk},
                                             "image_b64": _b64(photos["astronaut"])}).json()["face_ticket"]
    r = api.post("/api/v1/meals/commit", {"elder": {"qr_token": token, "face_ticket": mine}, "items": _items(menu)},
                 key="cc-x")
    assert r.status_code == 400 and r.json()["code"] == "FACE_TICKET_INVALID"
    assert not Meal.objects.exists()


def test_api_face_ticket_expires_and_stays_at_its_canteen(api, world, menu, photos, enrolled, frozen_clock):
    from datetime import timedelta

    from django.core import signing

    from zhucan.core import clock

    enable(world)
    ticket = api.post("/api/v1/faces/identify", {"image_b64": _b64(photos["astronaut"])}).json()["face_ticket"]
    forged = signing.dumps({"e": world.elder.pk, "c": world.other_canteen.pk, "m": "face", "k": "",
                            "t": int(clock.now().timestamp())}, salt="zhucan.identity.face_ticket", compress=True)
    r = api.post("/api/v1/meals/quote", {"elder": {"face_ticket": forged}, "items": _items(menu)})
    assert r.status_code == 400 and r.json()["code"] == "FACE_TICKET_INVALID"
    assert "不属于本助餐点" in r.json()["message"]
    tampered = ticket[:-4] + ("AAAA" if not ticket.endswith("AAAA") else "BBBB")
    r = api.post("/api/v1/meals/quote", {"elder": {"face_ticket": tampered}, "items": _items(menu)})
    assert r.status_code == 400 and r.json()["code"] == "FACE_TICKET_INVALID"
    issued = clock.now()
    frozen_clock(issued + timedelta(seconds=120))  # valid for two minutes by the platform's clock
    r = api.post("/api/v1/meals/quote", {"elder": {"face_ticket": ticket}, "items": _items(menu)})
    assert r.status_code == 200, r.content
    frozen_clock(issued + timedelta(seconds=121))
    r = api.post("/api/v1/meals/quote", {"elder": {"face_ticket": ticket}, "items": _items(menu)})
    assert r.status_code == 400 and r.json()["code"] == "FACE_TICKET_INVALID" and "过期" in r.json()["message"]


def test_api_face_calls_take_a_photo_sized_body_but_not_more(api, settings, world, photos, enrolled):
    enable(world)
    big = photos["astronaut"] + b"\0" * (200 * 1024)  # > 64 KiB: fine for a face call
    r = api.post("/api/v1/faces/identify", {"image_b64": _b64(big)})
    assert r.status_code == 200, r.content
    settings.ZHUCAN_API_MAX_IMAGE_BODY_BYTES = 100 * 1024
    r = api.post("/api/v1/faces/identify", {"image_b64": _b64(big)})
    assert r.status_code == 413 and r.json()["code"] == "BODY_TOO_LARGE"
    r = api.post("/api/v1/elders/identify", {"card_number": "1" * 20, "x": "y" * (70 * 1024)})
    assert r.status_code == 413  # the ordinary calls keep their 64 KiB limit


# --- enrolment at a terminal (camera) ---------------------------------------------------------------

def test_terminal_enrols_a_consenting_elder_once(api, world, menu, photos):
    from zhucan.core.models import AuditLog
    from zhucan.face.models import FaceEnrolment

    bind_card(world.elder, "330100000042")
    body = {"elder": {"card_number": "330100000042"}, "image_b64": _b64(photos["astronaut"])}
    refused = api.post("/api/v1/faces/enrol", body)  # no consent recorded by staff yet
    assert refused.status_code >= 400 and refused.json()["code"] == "FACE_NO_CONSENT"
    assert not FaceEnrolment.objects.exists()
    consent(world, world.elder, VERIFY, IDENTIFY)
    no_face = api.post("/api/v1/faces/enrol", {**body, "image_b64": _b64(photos["blank"])})
    assert no_face.json()["code"] == "FACE_NO_FACE" and not FaceEnrolment.objects.exists()
    done = api.post("/api/v1/faces/enrol", body)
    assert done.status_code == 200, done.content
    assert done.json()["elder_id"] == world.elder.pk and done.json()["in_identify_index"] is True
    enrolment = FaceEnrolment.objects.get()
    assert enrolment.source == "terminal" and enrolment.terminal_id is not None and enrolment.enrolled_by is None
    log = AuditLog.objects.filter(action="face.enrol").get()
    assert "终端现场采集" in log.note
    again = api.post("/api/v1/faces/enrol", {**body, "image_b64": _b64(photos["grace_hopper"])})
    assert again.status_code == 409 and again.json()["code"] == "FACE_ALREADY_ENROLLED"
    assert FaceEnrolment.objects.get().pk == enrolment.pk  # the enrolled face was not replaced
    enable(world)  # and the face now identifies the elder at this canteen
    found = api.post("/api/v1/faces/identify", {"image_b64": _b64(photos["astronaut_frame"])})
    assert found.status_code == 200 and found.json()["elder_id"] == world.elder.pk


def test_terminal_enrol_refuses_an_unknown_elder_or_a_ticket(api, world, photos):
    from zhucan.face.models import FaceEnrolment

    consent(world, world.elder, VERIFY)
    r = api.post("/api/v1/faces/enrol", {"elder": {"elder_id": 987654}, "image_b64": _b64(photos["astronaut"])})
    assert r.status_code == 404 and r.json()["code"] == "ELDER_NOT_FOUND"
    r = api.post("/api/v1/faces/enrol", {"elder": {"face_ticket": "x" * 40}, "image_b64": _b64(photos["astronaut"])})
    assert r.status_code == 400 and r.json()["code"] == "INPUT_INVALID"
    assert not FaceEnrolment.objects.exists()


def test_cashier_enrols_a_face_at_the_till_after_a_card(till, world, menu, photos):
    from zhucan.core.models import AuditLog
    from zhucan.face.models import FaceEnrolment

    bind_card(world.elder, CARD)
    html = till.post("identify", ident=CARD)
    assert "录入人脸" in html
    html = till.face("enrol_face", photos["astronaut"])
    assert 'data-code="FACE_NO_CONSENT"' in html and not FaceEnrolment.objects.exists()
    consent(world, world.elder, VERIFY, IDENTIFY)
    html = till.face("enrol_face", photos["astronaut"])
    assert "人脸已录入" in html, message(html)
    enrolment = FaceEnrolment.objects.get()
    assert enrolment.source == "terminal" and enrolment.enrolled_by == world.users["cashier"]
    assert "收银台现场采集" in AuditLog.objects.get(action="face.enrol").note
    assert 'data-code="FACE_ALREADY_ENROLLED"' in till.face("enrol_face", photos["grace_hopper"])
    enable(world)
    till.add(menu["套餐"])
    html = till.face("face", photos["astronaut_frame"])  # the enrolled face now identifies the elder
    assert "人脸" in html and "录入人脸" not in html
    till.post("commit")
    assert Meal.objects.get().identified_by == "face"


def test_enrol_at_the_till_needs_an_elder_identified_by_card_or_code(till, world, menu, photos):
    html = till.face("enrol_face", photos["astronaut"])
    assert 'data-code="CUSTOMER_REQUIRED"' in html
