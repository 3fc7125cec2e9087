"""Face consent, enrolment, 1:1 verification, 1:N identification, refusals, withdrawal, scope."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from tests.conftest import make_elder
from zhucan.core.errors import DomainError
from zhucan.core.models import AuditLog
from zhucan.face import embedding, index, services
from zhucan.face.models import FaceConsent, FaceEnrolment

VERIFY, IDENTIFY = "verify_1_1", "identify_1_n"


@pytest.fixture
def world(world_in_savepoint):
    """The world, built once for this module; each test's writes roll back."""
    return world_in_savepoint


def consent(world, elder, *scopes, keep_photo=False, staff=None):
    staff = staff or world.users["subdistrict_staff"]
    for scope in scopes:
        services.face_consent_record(actor=staff, elder_id=elder.pk, scope=scope, text_version="2025-06-v1",
                                     keep_photo=keep_photo)


def enrol(world, elder, image):
    return services.face_enrol(actor=world.users["subdistrict_staff"], elder_id=elder.pk, image_bytes=image,
                               source="staff_upload")


def enable(world, canteen=None, scope="district"):
    services.face_canteen_setting_set(actor=world.users["district_admin"], canteen_id=(canteen or world.canteen).pk,
                                      identify_enabled=True, identify_scope=scope)


def code_of(call) -> str:
    with pytest.raises(DomainError) as exc:
        call()
    return exc.value.code


def synthetic_others(world, vectors, n, *, community=None, seed=1):
    """n elders with an identify consent and an embedding near the real ones' distribution."""
    rng = np.random.default_rng(seed)
    base = np.stack([vectors["astronaut"], vectors["grace_hopper"]])
    staff = world.users["subdistrict_staff"]
    elders = []
    for i in range(n):
        elder = make_elder(community or world.xihu_c1, name=f"合成{i}")
        v = base[i % 2] + rng.normal(0, 0.09, 128).astype(np.float32)  # distance ≈ 1.0 from the seed
        v *= np.linalg.norm(base[i % 2]) / np.linalg.norm(v)
        FaceConsent.objects.create(elder=elder, scope=IDENTIFY, text_version="t", granted_by=staff,
                                   granted_at=elder.created_at)
        FaceEnrolment.objects.create(elder=elder, embedding_encrypted=index.seal_embedding(v), model_name="m",
                                     model_version="v", source="staff_upload", enrolled_at=elder.created_at)
        elders.append(elder)
    index.bump(index_district(world))
    return elders


def index_district(world):
    return world.xihu.pk


# --- consent and enrolment ---------------------------------------------------------------------

def test_enrol_is_refused_without_separate_consent(world, photos):
    audits = AuditLog.objects.count()
    assert code_of(lambda: enrol(world, world.elder, photos["astronaut"])) == "FACE_NO_CONSENT"
    assert not FaceEnrolment.objects.exists()
    assert AuditLog.objects.count() == audits


def test_enrol_stores_only_an_encrypted_embedding(world, photos, vectors):
    consent(world, world.elder, VERIFY)
    enrolment = enrol(world, world.elder, photos["astronaut"])
    enrolment.refresh_from_db()
    raw = embedding.to_bytes(vectors["astronaut"])
    stored = enrolment.embedding_encrypted
    assert stored.startswith("v1:")
    assert base64.b64encode(raw).decode()[:40] not in stored
    assert raw[:16].hex() not in stored
    assert enrolment.photo_encrypted == ""  # photo not kept without keep_photo
    np.testing.assert_allclose(index.open_embedding(stored), vectors["astronaut"], atol=1e-6)
    assert enrolment.model_name == embedding.MODEL_NAME and "dlib" in enrolment.model_version
    actions = list(AuditLog.objects.filter(object_id=str(world.elder.pk)).values_list("action", flat=True))
    assert "face.consent.grant" in actions and "face.enrol" in actions
    audit = AuditLog.objects.get(action="face.enrol")
    assert "embedding" not in str(audit.after)


def test_photo_is_kept_encrypted_only_with_consent_to_keep_it(world, photos):
    consent(world, world.elder, VERIFY, keep_photo=True)
    enrolment = enrol(world, world.elder, photos["astronaut"])
    assert enrolment.photo_encrypted.startswith("v1:")
    services.face_consent_withdraw(actor=world.users["subdistrict_staff"], elder_id=world.elder.pk, scope=VERIFY)
    assert not FaceEnrolment.objects.exists()


def test_consent_is_separate_per_use_and_not_duplicated(world):
    consent(world, world.elder, VERIFY)
    assert code_of(lambda: consent(world, world.elder, VERIFY)) == "FACE_CONSENT_EXISTS"
    assert code_of(lambda: consent(world, world.elder, "everything")) == "FACE_BAD_SCOPE"
    assert code_of(lambda: services.face_consent_record(
        actor=world.users["subdistrict_staff"], elder_id=world.elder.pk, scope=IDENTIFY, text_version=" ")
    ) == "FACE_CONSENT_TEXT_REQUIRED"


# --- 1:1 verification ------------------------------------------------------------------------

def test_verify_accepts_same_person_and_refuses_another(world, photos):
    consent(world, world.elder, VERIFY)
    enrol(world, world.elder, photos["astronaut"])
    for name in ("astronaut_flip", "astronaut_bright", "astronaut_frame"):
        match = services.face_verify(elder=world.elder, image_bytes=photos[name])
        assert match.elder == world.elder and match.method == "face_1_1"
        assert match.distance < 0.3, name
    refused = code_of(lambda: services.face_verify(elder=world.elder, image_bytes=photos["grace_hopper"]))
    assert refused == "FACE_NO_MATCH"


def test_verify_needs_its_own_consent_and_an_enrolment(world, photos):
    def verify():
        return services.face_verify(elder=world.elder, image_bytes=photos["astronaut"])

    assert code_of(verify) == "FACE_NO_CONSENT"
    consent(world, world.elder, VERIFY)
    assert code_of(verify) == "FACE_NOT_ENROLLED"
    # 1:N consent alone does not allow 1:1 use, and vice versa (separate consents).
    consent(world, world.other_elder, IDENTIFY, staff=world.other["subdistrict_staff"])
    services.face_enrol(actor=world.other["subdistrict_staff"], elder_id=world.other_elder.pk,
                        image_bytes=photos["grace_hopper"], source="terminal")
    assert code_of(lambda: services.face_verify(elder=world.other_elder, image_bytes=photos["grace_hopper"])
                   ) == "FACE_NO_CONSENT"


def test_no_match_message_sends_the_cashier_to_card_or_code(world, photos):
    consent(world, world.elder, VERIFY)
    enrol(world, world.elder, photos["astronaut"])
    with pytest.raises(DomainError) as exc:
        services.face_verify(elder=world.elder, image_bytes=photos["grace_hopper"])
    assert "请改用市民卡或长者码" in exc.value.message_zh


# --- 1:N identification ----------------------------------------------------------------------

def test_identify_finds_the_right_elder_among_others(world, photos, vectors):
    synthetic_others(world, vectors, 150)
    consent(world, world.elder, IDENTIFY)
    enrol(world, world.elder, photos["astronaut"])
    enable(world)
    match = services.face_identify(canteen=world.canteen, image_bytes=photos["astronaut_flip"])
    assert match.elder == world.elder and match.method == "face_1_n"
    assert match.distance < 0.3 and match.runner_up_distance > 0.6
    # A face nobody enrolled: refused, not the nearest stranger.
    assert code_of(lambda: services.face_identify(canteen=world.canteen, image_bytes=photos["grace_hopper"])
                   ) == "FACE_NO_MATCH"


def test_identify_needs_the_canteen_switch_and_stays_in_its_district(world, photos):
    consent(world, world.other_elder, IDENTIFY, staff=world.other["subdistrict_staff"])
    services.face_enrol(actor=world.other["subdistrict_staff"], elder_id=world.other_elder.pk,
                        image_bytes=photos["astronaut"], source="staff_upload")
    assert code_of(lambda: services.face_identify(canteen=world.canteen, image_bytes=photos["astronaut_flip"])
                   ) == "FACE_IDENTIFY_DISABLED"
    enable(world)  # 西湖区 canteen; the elder lives in 上城区
    assert code_of(lambda: services.face_identify(canteen=world.canteen, image_bytes=photos["astronaut_flip"])
                   ) == "FACE_NO_MATCH"
    enable(world, scope="city")
    match = services.face_identify(canteen=world.canteen, image_bytes=photos["astronaut_flip"])
    assert match.elder == world.other_elder


def test_identify_refuses_when_two_elders_are_too_close(world, photos):
    twin = make_elder(world.xihu_c1, name="双胞胎")
    for elder, photo in ((world.elder, "astronaut"), (twin, "astronaut_flip")):
        consent(world, elder, IDENTIFY)
        enrol(world, elder, photos[photo])
    enable(world)
    assert code_of(lambda: services.face_identify(canteen=world.canteen, image_bytes=photos["astronaut_bright"])
                   ) == "FACE_AMBIGUOUS"


def test_identify_uses_only_elders_with_1_n_consent(world, photos):
    consent(world, world.elder, VERIFY)
    enrol(world, world.elder, photos["astronaut"])
    enable(world)
    assert code_of(lambda: services.face_identify(canteen=world.canteen, image_bytes=photos["astronaut_flip"])
                   ) == "FACE_NO_MATCH"


# --- bad input: a clear code and nothing recorded -------------------------------------------

def _bomb() -> bytes:
    buf = io.BytesIO()
    Image.new("L", (9000, 9000), 0).save(buf, "PNG")  # 81 MP of one colour: ~80 kB compressed
    return buf.getvalue()


@pytest.mark.parametrize("name,expected", [
    ("blank", "FACE_NO_FACE"),
    ("two_faces", "FACE_SEVERAL_FACES"),
    ("corrupt", "FACE_IMAGE_INVALID"),
    ("truncated", "FACE_IMAGE_INVALID"),
    ("empty", "FACE_IMAGE_INVALID"),
    ("text", "FACE_IMAGE_INVALID"),
    ("bomb", "FACE_IMAGE_TOO_LARGE"),
    ("oversize", "FACE_IMAGE_TOO_LARGE"),
])
def test_bad_photos_are_refused_and_nothing_is_recorded(world, photos, name, expected, settings):
    settings.ZHUCAN_FACE_MAX_IMAGE_BYTES = 2 * 1024 * 1024
    made = {  # built only for its own case: the bomb's 81 MP encode costs a second
        "corrupt": lambda: b"\xff\xd8\xff\xe0" + bytes(range(256)) * 20,
        "truncated": lambda: photos["grace_hopper"][: len(photos["grace_hopper"]) // 3],
        "empty": lambda: b"",
        "text": lambda: b"GIF89a not really" * 10,
        "bomb": _bomb,
        "oversize": lambda: b"\xff\xd8" + b"\0" * (3 * 1024 * 1024),
    }
    data = made[name]() if name in made else photos[name]
    consent(world, world.elder, VERIFY, IDENTIFY)
    audits = AuditLog.objects.count()
    assert code_of(lambda: enrol(world, world.elder, data)) == expected
    assert not FaceEnrolment.objects.exists()
    assert AuditLog.objects.count() == audits
    enrol(world, world.elder, photos["astronaut"])
    enable(world)
    assert code_of(lambda: services.face_verify(elder=world.elder, image_bytes=data)) == expected
    assert code_of(lambda: services.face_identify(canteen=world.canteen, image_bytes=data)) == expected


def test_a_false_face_on_the_badge_does_not_count_as_a_second_person(photos):
    # HOG "finds" the astronaut's mission patch (score < 0.5); the photo still has one face.
    result = embedding.embed(photos["astronaut"])
    assert result.faces_seen >= 2
    assert result.box[1] < 200  # the real face, top of the photo


# --- withdrawal and deletion -----------------------------------------------------------------

def test_withdrawal_deletes_the_embedding_and_the_index_entry(world, photos, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        consent(world, world.elder, VERIFY, IDENTIFY)
        enrol(world, world.elder, photos["astronaut"])
    enable(world)
    assert services.face_identify(canteen=world.canteen, image_bytes=photos["astronaut_flip"]).elder == world.elder
    part = index.partition(world.xihu.pk, index.generations([world.xihu.pk])[world.xihu.pk])
    assert world.elder.pk in part.elder_ids.tolist()

    staff = world.users["subdistrict_staff"]
    with django_capture_on_commit_callbacks(execute=True):
        services.face_consent_withdraw(actor=staff, elder_id=world.elder.pk, scope=IDENTIFY)
    assert FaceEnrolment.objects.filter(elder=world.elder).exists()  # 1:1 consent remains
    generation = index.generations([world.xihu.pk])[world.xihu.pk]
    assert index._cache[world.xihu.pk].generation == generation  # updated in place after commit
    assert world.elder.pk not in index._cache[world.xihu.pk].elder_ids.tolist()
    assert code_of(lambda: services.face_identify(canteen=world.canteen, image_bytes=photos["astronaut_flip"])
                   ) == "FACE_NO_MATCH"
    assert services.face_verify(elder=world.elder, image_bytes=photos["astronaut_flip"]).elder == world.elder

    with django_capture_on_commit_callbacks(execute=True):
        services.face_consent_withdraw(actor=staff, elder_id=world.elder.pk, scope=VERIFY)
    assert not FaceEnrolment.objects.exists()
    assert AuditLog.objects.filter(action="face.consent.withdraw", note__contains="enrolment deleted").exists()
    refused = code_of(lambda: services.face_verify(elder=world.elder, image_bytes=photos["astronaut"]))
    assert refused == "FACE_NO_CONSENT"
    history = FaceConsent.objects.filter(elder=world.elder)
    assert history.count() == 2 and all(c.withdrawn_at for c in history)


def test_face_data_goes_with_the_elder(world, photos):
    elder = make_elder(world.xihu_c1, name="待删除")
    consent(world, elder, IDENTIFY)
    enrol(world, elder, photos["astronaut"])
    before = index.generations([world.xihu.pk])[world.xihu.pk]
    elder.delete()
    assert not FaceEnrolment.objects.exists() and not FaceConsent.objects.exists()
    assert index.generations([world.xihu.pk])[world.xihu.pk] == before + 1


def test_staff_can_delete_face_data_on_request(world, photos):
    consent(world, world.elder, VERIFY)
    enrol(world, world.elder, photos["astronaut"])
    assert services.face_enrolment_delete(actor=world.users["district_admin"], elder_id=world.elder.pk)
    assert not FaceEnrolment.objects.exists()
    assert AuditLog.objects.filter(action="face.enrolment.delete").exists()


# --- the index file --------------------------------------------------------------------------

def test_index_file_is_encrypted_and_rebuilt_when_missing_or_stale(world, photos, vectors, settings):
    consent(world, world.elder, IDENTIFY)
    enrol(world, world.elder, photos["astronaut"])
    enable(world)
    services.face_identify(canteen=world.canteen, image_bytes=photos["astronaut_flip"])
    path = settings.ZHUCAN_FACE_INDEX_DIR / f"district-{world.xihu.pk}.bin"
    text = path.read_text()
    assert text.startswith("v1:")
    assert base64.b64encode(embedding.to_bytes(vectors["astronaut"])).decode()[:24] not in text
    index.clear_cache()
    path.write_text("v1:garbage")  # tampered: rebuilt from the database
    assert services.face_identify(canteen=world.canteen, image_bytes=photos["astronaut_flip"]).elder == world.elder
    index.clear_cache()
    path.unlink()
    assert services.face_identify(canteen=world.canteen, image_bytes=photos["astronaut_flip"]).elder == world.elder
    assert path.exists()


# --- scope and permissions -------------------------------------------------------------------

def test_face_data_is_managed_only_within_jurisdiction(world, photos):
    other_staff = world.other["subdistrict_staff"]
    assert code_of(lambda: services.face_consent_record(
        actor=other_staff, elder_id=world.elder.pk, scope=VERIFY, text_version="v")) == "NOT_FOUND"
    for role in ("cashier", "canteen_manager", "auditor"):
        assert code_of(lambda role=role: services.face_consent_record(
            actor=world.users[role], elder_id=world.elder.pk, scope=VERIFY, text_version="v")) == "PERMISSION_DENIED"
    consent(world, world.elder, VERIFY)
    assert code_of(lambda: services.face_enrol(actor=other_staff, elder_id=world.elder.pk,
                                               image_bytes=photos["astronaut"], source="staff_upload")) == "NOT_FOUND"
    assert code_of(lambda: services.face_consent_withdraw(actor=other_staff, elder_id=world.elder.pk, scope=VERIFY)
                   ) == "NOT_FOUND"
    assert code_of(lambda: services.face_canteen_setting_set(
        actor=world.users["canteen_manager"], canteen_id=world.canteen.pk, identify_enabled=True)
    ) == "PERMISSION_DENIED"
    assert code_of(lambda: services.face_canteen_setting_set(
        actor=world.other["district_admin"], canteen_id=world.canteen.pk, identify_enabled=True)) == "NOT_FOUND"


def test_embedding_equals_face_recognition_small_model(photos):
    import face_recognition as fr
    rgb = embedding.decode(photos["grace_hopper"])
    ours = embedding.embed_array(rgb)
    left, top, right, bottom = ours.box
    theirs = fr.face_encodings(rgb, [(top, right, bottom, left)], num_jitters=1, model="small")[0]
    assert np.abs(ours.vector - theirs).max() < 1e-5


def test_a_truncated_photo_is_refused_even_after_face_recognition_is_imported(photos, monkeypatch):
    """face_recognition sets PIL's process-wide LOAD_TRUNCATED_IMAGES on import; a cut-off upload
    must still be refused as unreadable, not half-decoded into a grey "no face" photo."""
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)  # what `import face_recognition` does
    with pytest.raises(DomainError) as caught:
        embedding.decode(photos["astronaut"][:4000])
    assert caught.value.code == "FACE_IMAGE_INVALID"


@pytest.mark.parametrize("status", ["deceased", "moved_away"])
def test_a_closed_record_loses_its_face_data(world, photos, status, django_capture_on_commit_callbacks):
    from datetime import date

    from zhucan.elders.services import ElderData, elder_update

    with django_capture_on_commit_callbacks(execute=True):
        consent(world, world.elder, VERIFY, IDENTIFY, keep_photo=True)
        enrol(world, world.elder, photos["astronaut"])
    enable(world)
    assert FaceEnrolment.objects.get(elder=world.elder).photo_encrypted
    assert services.face_identify(canteen=world.canteen, image_bytes=photos["astronaut_flip"]).elder == world.elder

    staff = world.users["subdistrict_staff"]
    with django_capture_on_commit_callbacks(execute=True):
        elder_update(actor=staff, elder_id=world.elder.pk, data=ElderData(
            name=world.elder.name, id_number="", community=world.elder.community, status=status,
            status_since=date(2025, 6, 1)))
    assert not FaceEnrolment.objects.filter(elder=world.elder).exists()  # embedding and kept photo
    consents = FaceConsent.objects.filter(elder=world.elder)
    assert consents.count() == 2 and all(c.withdrawn_at and c.withdrawn_by == staff for c in consents)
    assert world.elder.pk not in index._cache[world.xihu.pk].elder_ids.tolist()
    assert AuditLog.objects.filter(action="face.close", object_id=str(world.elder.pk)).count() == 1


def test_a_denied_status_change_keeps_the_face_data(world, photos):
    from datetime import date

    from zhucan.elders.services import ElderData, elder_update

    consent(world, world.elder, VERIFY)
    enrol(world, world.elder, photos["astronaut"])
    for actor in (world.other["subdistrict_staff"], world.users["auditor"]):
        with pytest.raises(DomainError):
            elder_update(actor=actor, elder_id=world.elder.pk, data=ElderData(
                name=world.elder.name, id_number="", community=world.elder.community, status="deceased",
                status_since=date(2025, 6, 1)))
    assert FaceEnrolment.objects.filter(elder=world.elder).exists()
    assert FaceConsent.objects.filter(elder=world.elder, withdrawn_at__isnull=True).count() == 1
