"""Face consent, enrolment, 1:1 verification and 1:N identification.

Writes (consent, withdrawal, enrolment, deletion, canteen switch) are each one transaction with
their audit row, on elders the actor may change (("elder", "change"), scoped). Reads used at the
till (`face_verify`, `face_identify`) record nothing: the meal records which method identified the
elder. Every refusal is a DomainError with a stable FACE_* code (errors.py) and a message that
sends the cashier to the citizen card or the elder code: face is never the only way.

Thresholds (Euclidean distance between dlib embeddings; lower = more alike), from settings:
  ZHUCAN_FACE_VERIFY_THRESHOLD    1:1, after a card or code        (default 0.50)
  ZHUCAN_FACE_IDENTIFY_THRESHOLD  1:N, face only — stricter        (default 0.45)
  ZHUCAN_FACE_IDENTIFY_MARGIN     1:N, the runner-up must be at least this much farther (0.08)
The measured trade-offs are in docs/face-pia.md and docs/performance.md.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db import transaction

from zhucan.accounts.permissions import has_perm
from zhucan.accounts.scoping import get_scoped
from zhucan.core import clock, crypto
from zhucan.core.audit import audit_record
from zhucan.core.errors import PermissionDenied
from zhucan.elders.models import Elder, ElderStatus
from zhucan.face import embedding, errors, index
from zhucan.face.models import (
    ConsentScope,
    EnrolmentSource,
    FaceCanteenSetting,
    FaceConsent,
    FaceEnrolment,
    IdentifyScope,
)
from zhucan.face.signals import district_id_of_path

PHOTO_CONTEXT = "face.photo"
THRESHOLD_DEFAULTS = {
    "ZHUCAN_FACE_VERIFY_THRESHOLD": 0.50,
    "ZHUCAN_FACE_IDENTIFY_THRESHOLD": 0.45,
    "ZHUCAN_FACE_IDENTIFY_MARGIN": 0.08,
}


def threshold(name: str) -> float:
    return float(getattr(settings, name, THRESHOLD_DEFAULTS[name]))


@dataclass(frozen=True)
class FaceMatch:
    elder: Elder
    method: str  # "face_1_1" or "face_1_n" — what the meal records as the identification method
    distance: float
    threshold: float
    runner_up_distance: float | None = None  # 1:N only: the next elder's distance, if any
    timings_ms: dict[str, float] = field(default_factory=dict)


# --- helpers ---------------------------------------------------------------------------------

def _elder_for_change(actor, elder_id: int) -> Elder:
    if not has_perm(actor, "elder", "change"):
        raise PermissionDenied("管理老人人脸信息", "manage elders' face data")
    return get_scoped(Elder.objects.select_for_update(of=("self",)).select_related("community"), actor,
                      "change", pk=elder_id, what_zh="老人档案", what_en="elder")


def _active_consents(elder_id: int) -> dict[str, FaceConsent]:
    return {c.scope: c for c in FaceConsent.objects.filter(elder_id=elder_id, withdrawn_at__isnull=True)}


def _district_of(elder: Elder) -> int | None:
    return district_id_of_path(elder.community.path)


def _into_index(elder: Elder, vector: np.ndarray) -> None:
    district_id = _district_of(elder)
    if district_id is None:
        return
    generation = index.bump(district_id)
    elder_id = elder.pk
    transaction.on_commit(lambda: index.apply_change(district_id, generation, elder_id=elder_id, vector=vector))


def _out_of_index(elder: Elder) -> None:
    district_id = _district_of(elder)
    if district_id is None:
        return
    generation = index.bump(district_id)
    elder_id = elder.pk
    transaction.on_commit(lambda: index.apply_change(district_id, generation, elder_id=elder_id, vector=None))


def _consent_snapshot(c: FaceConsent) -> dict:
    return {"scope": c.scope, "text_version": c.text_version, "keep_photo": c.keep_photo,
            "granted_at": c.granted_at.isoformat(),
            "withdrawn_at": c.withdrawn_at.isoformat() if c.withdrawn_at else None}


# --- consent ---------------------------------------------------------------------------------

def face_consent_record(*, actor, elder_id: int, scope: str, text_version: str, keep_photo: bool = False,
                        ip: str | None = None) -> FaceConsent:
    """Record the elder's separate consent to one use of face recognition (who, when, which text)."""
    if scope not in ConsentScope.values:
        raise errors.bad_scope()
    text_version = (text_version or "").strip()
    if not text_version:
        raise errors.text_version_required()
    with transaction.atomic():
        elder = _elder_for_change(actor, elder_id)
        if scope in _active_consents(elder.pk):
            raise errors.consent_exists()
        consent = FaceConsent.objects.create(elder=elder, scope=scope, text_version=text_version[:40],
                                             keep_photo=bool(keep_photo), granted_by=actor,
                                             granted_at=clock.now())
        audit_record(actor=actor, action="face.consent.grant", obj=elder, object_repr=str(elder)[:200],
                     region_path=elder.community.path, after=_consent_snapshot(consent), ip=ip)
        if scope == ConsentScope.IDENTIFY:
            enrolment = FaceEnrolment.objects.filter(elder=elder).first()
            if enrolment is not None and elder.status == ElderStatus.ACTIVE:
                _into_index(elder, index.open_embedding(enrolment.embedding_encrypted))
    return consent


def face_consent_withdraw(*, actor, elder_id: int, scope: str, ip: str | None = None) -> FaceConsent:
    """Withdraw one consent. Without any consent left the enrolment (and any photo) is deleted; without
    the 1:N consent the elder leaves the 1:N index — in the same transaction, audited."""
    if scope not in ConsentScope.values:
        raise errors.bad_scope()
    with transaction.atomic():
        elder = _elder_for_change(actor, elder_id)
        active = _active_consents(elder.pk)
        consent = active.pop(scope, None)
        if consent is None:
            raise errors.consent_not_found()
        before = _consent_snapshot(consent)
        consent.withdrawn_at = clock.now()
        consent.withdrawn_by = actor
        consent.save(update_fields=["withdrawn_at", "withdrawn_by"])
        enrolment = FaceEnrolment.objects.filter(elder=elder).first()
        outcome = "no enrolment"
        if enrolment is not None:
            if not active:
                enrolment.delete()  # signals: index number forward, out of the index after commit
                outcome = "enrolment deleted"
            else:
                if scope == ConsentScope.IDENTIFY:
                    _out_of_index(elder)
                    outcome = "removed from 1:N index"
                if enrolment.photo_encrypted and not any(c.keep_photo for c in active.values()):
                    enrolment.photo_encrypted = ""
                    enrolment.save(update_fields=["photo_encrypted"])
                    outcome += "; photo deleted"
        audit_record(actor=actor, action="face.consent.withdraw", obj=elder, region_path=elder.community.path,
                     before=before, after=_consent_snapshot(consent), note=outcome, ip=ip)
    return consent


# --- enrolment -------------------------------------------------------------------------------

def face_enrol(*, actor, elder_id: int, image_bytes: bytes, source: str, terminal=None,
               ip: str | None = None) -> FaceEnrolment:
    """Reduce the photo to an embedding and store it encrypted; the photo itself is dropped unless the
    elder agreed to keep it. Refused without a consent in force. Re-enrolment replaces the old one."""
    if source not in EnrolmentSource.values:
        raise errors.bad_source()
    # Cheap refusals before the slow part (no transaction is held while the photo is processed).
    with transaction.atomic():
        elder = _elder_for_change(actor, elder_id)
        if not _active_consents(elder.pk):
            raise errors.no_consent("any")
        if elder.status != ElderStatus.ACTIVE:
            raise errors.elder_inactive()
    face = embedding.embed(image_bytes)  # FACE_* refusals: nothing recorded
    with transaction.atomic():
        elder = _elder_for_change(actor, elder_id)
        return _store(elder, face, image_bytes, source=source, actor=actor, terminal=terminal, ip=ip)


def _store(elder: Elder, face, image_bytes: bytes, *, source: str, actor, terminal, ip,
           note: str = "") -> FaceEnrolment:
    """Inside the caller's transaction, with the elder row locked: re-check consent and status,
    replace any earlier enrolment, update the 1:N index after commit, audit."""
    active = _active_consents(elder.pk)
    if not active:
        raise errors.no_consent("any")
    if elder.status != ElderStatus.ACTIVE:
        raise errors.elder_inactive()
    keep_photo = any(c.keep_photo for c in active.values())
    old = FaceEnrolment.objects.filter(elder=elder).first()
    if old is not None:
        old.delete()
    enrolment = FaceEnrolment.objects.create(
        elder=elder,
        embedding_encrypted=index.seal_embedding(face.vector),
        model_name=embedding.MODEL_NAME,
        model_version=embedding.model_version(),
        source=source,
        enrolled_by=actor if getattr(actor, "pk", None) else None,
        terminal=terminal,
        enrolled_at=clock.now(),
        photo_encrypted=(crypto.encrypt(base64.b64encode(bytes(image_bytes)).decode(), context=PHOTO_CONTEXT)
                         if keep_photo else ""),
    )
    if ConsentScope.IDENTIFY in active:
        _into_index(elder, face.vector)
    audit_record(actor=actor, action="face.enrol", obj=elder, region_path=elder.community.path,
                 after={"source": source, "model": embedding.MODEL_NAME, "photo_kept": keep_photo,
                        "terminal": getattr(terminal, "pk", None), "replaced": old is not None,
                        "in_1_n_index": ConsentScope.IDENTIFY in active},
                 note=note,
                 ip=ip)
    return enrolment


def face_enrol_at_terminal(*, elder_id: int, image_bytes: bytes, terminal=None, cashier=None,
                           ip: str | None = None) -> FaceEnrolment:
    """Enrolment with a canteen terminal's camera — a vendor's terminal through API
    v1 (`terminal`) or the platform's cashier page (`cashier`, the canteen's staff user) — for an
    elder just identified there by card, ID card or code. The separate consent must already have been recorded
    by subdistrict staff (a terminal never records consent), and only a first enrolment is taken
    here: replacing an enrolled face needs staff (otherwise whoever holds an elder's card could put
    their own face on the elder's record)."""
    with transaction.atomic():
        elder = Elder.objects.select_for_update(of=("self",)).select_related("community").filter(pk=elder_id).first()
        if elder is None:
            raise errors.elder_inactive()
        if not _active_consents(elder.pk):
            raise errors.no_consent("any")
        if FaceEnrolment.objects.filter(elder_id=elder.pk).exists():
            raise errors.already_enrolled()
    face = embedding.embed(image_bytes)  # FACE_* refusals: nothing recorded
    with transaction.atomic():
        elder = Elder.objects.select_for_update(of=("self",)).select_related("community").get(pk=elder_id)
        if FaceEnrolment.objects.filter(elder_id=elder.pk).exists():
            raise errors.already_enrolled()
        note = (f"终端现场采集：{terminal.name}（{terminal.canteen.name}）" if terminal is not None
                else f"收银台现场采集（{cashier.canteen.name}）")
        return _store(elder, face, image_bytes, source=EnrolmentSource.TERMINAL, actor=cashier, terminal=terminal,
                      ip=ip, note=note)


def face_enrolment_delete(*, actor, elder_id: int, reason: str = "", ip: str | None = None) -> bool:
    """Delete an elder's face data (on request, or when the record is closed). True if there was any."""
    with transaction.atomic():
        elder = _elder_for_change(actor, elder_id)
        enrolment = FaceEnrolment.objects.filter(elder=elder).first()
        if enrolment is None:
            return False
        enrolment.delete()
        audit_record(actor=actor, action="face.enrolment.delete", obj=elder, region_path=elder.community.path,
                     note=reason or "删除人脸特征", ip=ip)
    return True


def face_data_close(*, actor, elder: Elder, reason: str, ip: str | None = None) -> bool:
    """Close an elder's face data for good (record closed, or the elder left the programme): every
    consent in force is withdrawn, the embedding and any kept photo are deleted and the elder leaves
    the 1:N index. Runs inside the caller's transaction, which has already checked the caller's right
    to change the elder; audited when there was anything to close. True if there was."""
    now = clock.now()
    by = actor if getattr(actor, "pk", None) else None
    open_consents = list(FaceConsent.objects.filter(elder_id=elder.pk, withdrawn_at__isnull=True))
    for consent in open_consents:
        consent.withdrawn_at, consent.withdrawn_by = now, by
        consent.save(update_fields=["withdrawn_at", "withdrawn_by"])
    enrolment = FaceEnrolment.objects.filter(elder_id=elder.pk).first()
    if enrolment is not None:
        enrolment.delete()  # signals: index number forward, out of the index and its file after commit
    if not open_consents and enrolment is None:
        return False
    audit_record(actor=actor, action="face.close", obj=elder, region_path=elder.community.path,
                 after={"consents_closed": sorted(c.scope for c in open_consents),
                        "enrolment_deleted": enrolment is not None},
                 note=reason, ip=ip)
    return True


def face_canteen_setting_set(*, actor, canteen_id: int, identify_enabled: bool,
                             identify_scope: str = IdentifyScope.DISTRICT, ip: str | None = None) -> FaceCanteenSetting:
    """Turn 1:N identification on or off at a canteen (district or city administrators)."""
    from zhucan.canteens.models import Canteen

    if identify_scope not in IdentifyScope.values:
        raise errors.bad_scope()
    if not has_perm(actor, "canteen", "change_registration"):
        raise PermissionDenied("设置刷脸识别", "configure face identification")
    with transaction.atomic():
        canteen = get_scoped(Canteen.objects.select_related("region"), actor, "change_registration",
                             pk=canteen_id, what_zh="助餐点", what_en="canteen")
        setting = FaceCanteenSetting.objects.filter(canteen=canteen).first()
        before = ({"identify_enabled": setting.identify_enabled, "identify_scope": setting.identify_scope}
                  if setting else None)
        setting = setting or FaceCanteenSetting(canteen=canteen)
        setting.identify_enabled = bool(identify_enabled)
        setting.identify_scope = identify_scope
        setting.updated_by = actor
        setting.updated_at = clock.now()
        setting.save()
        audit_record(actor=actor, action="face.canteen_setting", obj=canteen, region_path=canteen.region.path,
                     before=before,
                     after={"identify_enabled": setting.identify_enabled, "identify_scope": setting.identify_scope},
                     ip=ip)
    return setting


# --- at the till -----------------------------------------------------------------------------

def face_verify(*, elder: Elder, image_bytes: bytes) -> FaceMatch:
    """1:1: is the person at the till the elder whose card or code was just presented?"""
    if ConsentScope.VERIFY not in _active_consents(elder.pk):
        raise errors.no_consent(ConsentScope.VERIFY)
    enrolment = FaceEnrolment.objects.filter(elder_id=elder.pk).first()
    if enrolment is None:
        raise errors.not_enrolled()
    face = embedding.embed(image_bytes)
    dist = embedding.distance(index.open_embedding(enrolment.embedding_encrypted), face.vector)
    limit = threshold("ZHUCAN_FACE_VERIFY_THRESHOLD")
    if not dist <= limit:
        raise errors.no_match()
    return FaceMatch(elder=elder, method="face_1_1", distance=dist, threshold=limit, timings_ms=face.timings_ms)


def identify_district_ids(canteen) -> list[int]:
    from zhucan.regions.models import Level, Region

    setting = FaceCanteenSetting.objects.filter(canteen_id=canteen.pk, identify_enabled=True).first()
    if setting is None:
        raise errors.identify_disabled()
    region_path = Region.objects.values_list("path", flat=True).get(pk=canteen.region_id)
    district_id = district_id_of_path(region_path)
    if district_id is None:
        raise errors.identify_disabled()
    if setting.identify_scope == IdentifyScope.CITY:
        city_path = region_path.split("/")[0] + "/"
        return list(Region.objects.filter(level=Level.DISTRICT, path__startswith=city_path)
                    .values_list("pk", flat=True))
    return [district_id]


def face_identify(*, canteen, image_bytes: bytes) -> FaceMatch:
    """1:N: who is this, among the consenting elders of the canteen's district (or city)?

    Refuses (never guesses) when the nearest elder is beyond the identify threshold (FACE_NO_MATCH)
    or when the next elder is within the margin of the nearest (FACE_AMBIGUOUS). The winner is then
    re-checked against the database (consent still in force, record active, still in the searched
    area, stored embedding gives the same distance) so that a stale index cannot pick anyone."""
    from zhucan.regions.models import Region

    district_ids = identify_district_ids(canteen)
    face = embedding.embed(image_bytes)
    found = index.search(district_ids, face.vector, k=2)
    limit = threshold("ZHUCAN_FACE_IDENTIFY_THRESHOLD")
    margin = threshold("ZHUCAN_FACE_IDENTIFY_MARGIN")
    if not found or not found[0][1] <= limit:
        raise errors.no_match()
    runner_up = found[1][1] if len(found) > 1 else None
    if runner_up is not None and runner_up - found[0][1] < margin:
        raise errors.ambiguous()
    elder_id, dist = found[0]
    elder = Elder.objects.select_related("community").filter(pk=elder_id, status=ElderStatus.ACTIVE).first()
    enrolment = FaceEnrolment.objects.filter(elder_id=elder_id).first()
    paths = list(Region.objects.filter(pk__in=district_ids).values_list("path", flat=True))
    if (elder is None or enrolment is None
            or ConsentScope.IDENTIFY not in _active_consents(elder_id)
            or not any(elder.community.path.startswith(p) for p in paths)
            or abs(embedding.distance(index.open_embedding(enrolment.embedding_encrypted), face.vector) - dist) > 1e-3):
        raise errors.no_match()
    return FaceMatch(elder=elder, method="face_1_n", distance=dist, threshold=limit,
                     runner_up_distance=runner_up, timings_ms=face.timings_ms)
