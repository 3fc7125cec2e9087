"""Console pages for face data: separate consent per use with the notice text,
enrolment by a staff upload, deletion, and the canteen's 1:N switch.

Every write is a POST with CSRF through a face service; a refusal shows the service's Chinese
message and records nothing; embeddings and photos are never shown."""

from __future__ import annotations

import base64
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import login
from zhucan.core.models import AuditLog
from zhucan.face import services
from zhucan.face.models import FaceCanteenSetting, FaceConsent, FaceEnrolment, FaceIndexGeneration
from zhucan.face.views import CONSENT_TEXT_VERSION

VERIFY, IDENTIFY = "verify_1_1", "identify_1_n"


@pytest.fixture
def world(world_in_savepoint):
    """The world, built once for this module; each test's writes roll back."""
    return world_in_savepoint


def state() -> dict:
    def rows(model):
        return sorted(model.objects.values(), key=lambda r: r["id"])

    return {m.__name__: rows(m) for m in (FaceConsent, FaceEnrolment, FaceCanteenSetting, FaceIndexGeneration,
                                          AuditLog)}


def shown_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def photo(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def consent_form(scope=VERIFY, *, agreed=True, keep_photo=False, version=CONSENT_TEXT_VERSION) -> dict:
    data = {"scope": scope, "text_version": version}
    if agreed:
        data["agreed"] = "on"
    if keep_photo:
        data["keep_photo"] = "on"
    return data


@pytest.fixture
def staff(world):
    return world.users["subdistrict_staff"]


@pytest.fixture
def staff_client(client, staff):
    return login(client, staff)


def with_consent(world, staff, *scopes, keep_photo=False):
    for scope in scopes:
        services.face_consent_record(actor=staff, elder_id=world.elder.pk, scope=scope,
                                     text_version=CONSENT_TEXT_VERSION, keep_photo=keep_photo)


# --- the section ---------------------------------------------------------------------------------------


def test_section_shows_the_notice_and_the_consent_form(world, staff_client):
    body = staff_client.get(f"/elders/{world.elder.pk}/").content.decode()
    assert 'id="face"' in body
    assert "人脸识别告知同意书" in body and CONSENT_TEXT_VERSION in body
    assert "不是唯一方式" in body and "市民卡、身份证或长者码" in body
    assert f'name="text_version" value="{CONSENT_TEXT_VERSION}"' in body
    assert re.search(r'<input type="checkbox" name="agreed" value="on" required>', body)
    assert 'name="keep_photo"' in body
    assert "1:1 人脸核验" in body and "1:N 刷脸识别" in body
    assert "登记至少一项单独同意后才能录入人脸" in body
    assert f'action="/face/elders/{world.elder.pk}/enrol/"' not in body  # no upload before consent


def test_auditor_sees_consents_and_enrolment_but_no_action(world, client, staff, photos):
    with_consent(world, staff, VERIFY)
    services.face_enrol(actor=staff, elder_id=world.elder.pk, image_bytes=photos["astronaut"],
                        source="staff_upload")
    body = login(client, world.users["auditor"]).get(f"/elders/{world.elder.pk}/").content.decode()
    assert "已同意" in body and CONSENT_TEXT_VERSION in body and "已录入" in body
    assert 'action="/face/' not in body and "登记同意" not in body


def test_record_consent(world, staff_client, staff):
    response = staff_client.post(f"/face/elders/{world.elder.pk}/consent/", consent_form(IDENTIFY, keep_photo=True),
                                 follow=True)
    assert response.redirect_chain[-1][0] == f"/elders/{world.elder.pk}/#face"
    assert "已登记人脸识别单独同意：1:N 刷脸识别（仅凭人脸）" in shown_messages(response)
    consent = FaceConsent.objects.get(elder=world.elder)
    assert (consent.scope, consent.text_version, consent.keep_photo, consent.granted_by) == (
        IDENTIFY, CONSENT_TEXT_VERSION, True, staff)
    log = AuditLog.objects.get(action="face.consent.grant")
    assert log.actor == staff and log.after["text_version"] == CONSENT_TEXT_VERSION
    body = response.content.decode()
    assert "已同意" in body and "同意保留照片" in body and str(staff) in body
    assert 'name="scope" value="identify_1_n"' in body  # the withdraw button's hidden field
    assert f'action="/face/elders/{world.elder.pk}/enrol/"' in body  # now a photo may be uploaded


@pytest.mark.parametrize(("form", "message"), [
    (consent_form(agreed=False), "请先确认老人本人（或其监护人）已知悉告知同意书内容并同意，再登记"),
    (consent_form(version="face-2024-01-v0"), "告知同意书已更新，请刷新页面，向老人重新告知后再登记"),
    (consent_form(scope="everything"), "未知的人脸识别用途"),
])
def test_consent_refusals_record_nothing(world, staff_client, form, message):
    before = state()
    response = staff_client.post(f"/face/elders/{world.elder.pk}/consent/", form, follow=True)
    assert message in shown_messages(response)
    assert state() == before


def test_consent_twice_is_refused(world, staff_client, staff):
    with_consent(world, staff, VERIFY)
    before = state()
    response = staff_client.post(f"/face/elders/{world.elder.pk}/consent/", consent_form(VERIFY), follow=True)
    assert "该用途的人脸识别同意已在有效期内，无需重复登记" in shown_messages(response)
    assert state() == before


def test_withdraw_consent_deletes_the_enrolment(world, staff_client, staff, photos):
    with_consent(world, staff, VERIFY)
    services.face_enrol(actor=staff, elder_id=world.elder.pk, image_bytes=photos["astronaut"],
                        source="staff_upload")
    response = staff_client.post(f"/face/elders/{world.elder.pk}/consent/withdraw/", {"scope": VERIFY},
                                 follow=True)
    assert any(m.startswith("已撤回同意：1:1 人脸核验") for m in shown_messages(response))
    consent = FaceConsent.objects.get(elder=world.elder)
    assert consent.withdrawn_at is not None and consent.withdrawn_by == staff
    assert not FaceEnrolment.objects.exists()
    assert AuditLog.objects.filter(action="face.consent.withdraw", actor=staff).count() == 1
    body = response.content.decode()
    assert "已撤回" in body and "未录入" in body
    before = state()
    again = staff_client.post(f"/face/elders/{world.elder.pk}/consent/withdraw/", {"scope": VERIFY}, follow=True)
    assert "没有可撤回的有效同意" in shown_messages(again)
    assert state() == before


# --- enrolment ----------------------------------------------------------------------------------------------


def test_enrol_from_an_uploaded_photo(world, staff_client, staff, photos):
    with_consent(world, staff, VERIFY)
    response = staff_client.post(f"/face/elders/{world.elder.pk}/enrol/", {"photo": photo(photos["astronaut"])},
                                 follow=True)
    assert "人脸已录入（只保存加密的人脸特征）" in shown_messages(response)
    enrolment = FaceEnrolment.objects.get(elder=world.elder)
    assert enrolment.source == "staff_upload" and enrolment.enrolled_by == staff
    assert enrolment.photo_encrypted == ""  # not kept: the consent did not say so
    assert AuditLog.objects.filter(action="face.enrol", actor=staff).count() == 1
    body = response.content.decode()
    assert "已录入" in body and "工作人员上传照片" in body and enrolment.model_name in body
    assert "未保留（仅保存加密的人脸特征）" in body
    # Never an embedding, a photo or an image of any kind in the page.
    assert enrolment.embedding_encrypted not in body and "data:image" not in body and "<img" not in body
    # The enrolment verifies the same person (the upload went through the real pipeline).
    assert services.face_verify(elder=world.elder, image_bytes=photos["astronaut_flip"]).elder == world.elder


def test_photo_is_kept_encrypted_when_agreed_but_never_shown(world, staff_client, staff, photos):
    with_consent(world, staff, VERIFY, keep_photo=True)
    response = staff_client.post(f"/face/elders/{world.elder.pk}/enrol/",
                                 {"photo": photo(photos["astronaut_bright"], "a.png", "image/png")}, follow=True)
    enrolment = FaceEnrolment.objects.get(elder=world.elder)
    assert enrolment.photo_encrypted
    body = response.content.decode()
    assert "按老人同意加密保留（不在此显示）" in body
    assert base64.b64encode(photos["astronaut_bright"][:30]).decode()[:20] not in body
    assert "<img" not in body


def _too_large(settings):
    settings.ZHUCAN_FACE_MAX_IMAGE_BYTES = 1024 * 1024
    return b"\xff\xd8\xff" + b"\0" * (1024 * 1024 + 1)


@pytest.mark.parametrize(("make", "message"), [
    (lambda photos, settings: photos["blank"], "照片中未检测到清晰的正脸"),
    (lambda photos, settings: photos["two_faces"], "照片中有 2 张人脸"),
    (lambda photos, settings: photos["astronaut"][:4000], "无法读取该图片（文件损坏或不是 JPEG/PNG 照片）"),
    (lambda photos, settings: b"GIF89a" + b"\0" * 100, "无法读取该图片（文件损坏或不是 JPEG/PNG 照片）"),
    (lambda photos, settings: b"", "无法读取该图片（文件损坏或不是 JPEG/PNG 照片）"),
    (lambda photos, settings: _too_large(settings), "图片过大（上限 1 MB），请压缩后重试"),
], ids=["no-face", "two-faces", "corrupt", "gif", "empty", "too-large"])
def test_bad_photos_show_the_chinese_error_and_record_nothing(world, staff_client, staff, photos, settings, make,
                                                              message):
    with_consent(world, staff, VERIFY, IDENTIFY)
    data = make(photos, settings)
    before = state()
    response = staff_client.post(f"/face/elders/{world.elder.pk}/enrol/", {"photo": photo(data)}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain == [(f"/elders/{world.elder.pk}/", 302)]  # the top, where the message is
    assert any(m.startswith(message) for m in shown_messages(response)), shown_messages(response)
    assert f'<li class="error">{message}' in response.content.decode()
    assert state() == before
    assert not FaceEnrolment.objects.exists()


def test_no_face_error_says_to_use_card_or_code(world, staff_client, staff, photos):
    with_consent(world, staff, VERIFY)
    response = staff_client.post(f"/face/elders/{world.elder.pk}/enrol/", {"photo": photo(photos["blank"])},
                                 follow=True)
    assert shown_messages(response) == ["照片中未检测到清晰的正脸，请正对镜头重拍，或请改用市民卡或长者码"]


def test_no_photo_and_no_consent_are_refused(world, staff_client, staff, photos):
    before = state()
    response = staff_client.post(f"/face/elders/{world.elder.pk}/enrol/", {"photo": photo(photos["astronaut"])},
                                 follow=True)
    assert any("未单独同意" in m for m in shown_messages(response))
    with_consent(world, staff, VERIFY)
    before = state()
    response = staff_client.post(f"/face/elders/{world.elder.pk}/enrol/", {}, follow=True)
    assert "无法读取该图片（文件损坏或不是 JPEG/PNG 照片）" in shown_messages(response)
    assert state() == before


def test_delete_enrolment(world, staff_client, staff, photos):
    with_consent(world, staff, VERIFY)
    services.face_enrol(actor=staff, elder_id=world.elder.pk, image_bytes=photos["astronaut"],
                        source="staff_upload")
    response = staff_client.post(f"/face/elders/{world.elder.pk}/enrolment/delete/", follow=True)
    assert "人脸特征已删除" in shown_messages(response)
    assert not FaceEnrolment.objects.exists()
    assert AuditLog.objects.filter(action="face.enrolment.delete", actor=staff).count() == 1
    assert FaceConsent.objects.filter(withdrawn_at__isnull=True).count() == 1  # the consent stays
    before = state()
    again = staff_client.post(f"/face/elders/{world.elder.pk}/enrolment/delete/", follow=True)
    assert "该老人没有已录入的人脸特征" in shown_messages(again)
    assert state() == before


# --- who may ---------------------------------------------------------------------------------------------------


def test_other_jurisdiction_gets_404_and_nothing_changes(world, client, photos):
    login(client, world.other["district_admin"])
    before = state()
    urls = [(f"/face/elders/{world.elder.pk}/consent/", consent_form()),
            (f"/face/elders/{world.elder.pk}/consent/withdraw/", {"scope": VERIFY}),
            (f"/face/elders/{world.elder.pk}/enrol/", {"photo": photo(photos["astronaut"])}),
            (f"/face/elders/{world.elder.pk}/enrolment/delete/", {})]
    for url, data in urls:
        mine = client.post(url, data)
        missing = client.post(url.replace(f"/{world.elder.pk}/", "/987654/"), data)
        assert mine.status_code == missing.status_code == 404, url
        assert "不存在或无权查看" in mine.content.decode()
    assert state() == before


@pytest.mark.parametrize("role", ["auditor", "canteen_manager", "cashier"])
def test_roles_without_change_are_refused(world, client, role, photos):
    login(client, world.users[role])
    before = state()
    for url, data in [(f"/face/elders/{world.elder.pk}/consent/", consent_form()),
                      (f"/face/elders/{world.elder.pk}/enrol/", {"photo": photo(photos["astronaut"])}),
                      (f"/face/canteens/{world.canteen.pk}/identify/", {"identify_enabled": "on"})]:
        response = client.post(url, data)
        assert response.status_code == 403 and "无权访问" in response.content.decode()
    assert state() == before


def test_get_is_not_allowed(world, staff_client):
    assert staff_client.get(f"/face/elders/{world.elder.pk}/consent/").status_code == 405
    assert staff_client.get(f"/face/elders/{world.elder.pk}/enrol/").status_code == 405


# --- the canteen's 1:N switch ----------------------------------------------------------------------------------


def test_district_admin_turns_identification_on_and_off(world, client):
    admin = world.users["district_admin"]
    login(client, admin)
    page = client.get(f"/canteens/{world.canteen.pk}/").content.decode()
    assert "1:N 刷脸识别" in page and "未开启" in page
    assert f'action="/face/canteens/{world.canteen.pk}/identify/"' in page
    response = client.post(f"/face/canteens/{world.canteen.pk}/identify/",
                           {"identify_enabled": "on", "identify_scope": "city"}, follow=True)
    assert response.redirect_chain[-1][0] == f"/canteens/{world.canteen.pk}/#identity-canteen"
    assert "已开启 1:N 刷脸识别" in shown_messages(response)
    setting = FaceCanteenSetting.objects.get(canteen=world.canteen)
    assert (setting.identify_enabled, setting.identify_scope, setting.updated_by) == (True, "city", admin)
    assert AuditLog.objects.filter(action="face.canteen_setting", actor=admin).count() == 1
    body = response.content.decode()
    assert "已开启" in body and "全市已同意的老人" in body
    response = client.post(f"/face/canteens/{world.canteen.pk}/identify/", {"identify_scope": "district"},
                           follow=True)
    assert "已关闭 1:N 刷脸识别" in shown_messages(response)
    assert FaceCanteenSetting.objects.get(canteen=world.canteen).identify_enabled is False


def test_identification_switch_refusals(world, client):
    before = state()
    login(client, world.users["district_admin"])
    response = client.post(f"/face/canteens/{world.canteen.pk}/identify/",
                           {"identify_enabled": "on", "identify_scope": "country"}, follow=True)
    assert "未知的人脸识别用途" in shown_messages(response)
    other = client.post(f"/face/canteens/{world.other_canteen.pk}/identify/", {"identify_enabled": "on"})
    missing = client.post("/face/canteens/987654/identify/", {"identify_enabled": "on"})
    assert other.status_code == missing.status_code == 404
    for role in ("canteen_manager", "subdistrict_staff"):
        login(client, world.users[role])
        assert client.post(f"/face/canteens/{world.canteen.pk}/identify/",
                           {"identify_enabled": "on"}).status_code == 403
        # They see the switch's state but no form for it.
        page = client.get(f"/canteens/{world.canteen.pk}/").content.decode()
        assert "1:N 刷脸识别" in page and "/face/canteens/" not in page
    assert state() == before
