"""Console actions on an elder's face data and a canteen's 1:N switch (《人脸识别技术应用安全管理办法》,
2025: separate consent per use, face never the only way, minimal retention).

Thin: each POST checks the target is the actor's (not found and not yours answer alike, 404), calls
one face service (which scopes again, writes and audits in one transaction) and sends the user back
to the page with the service's Chinese message. Nothing here ever shows an embedding or a photo.
The section on the elder page comes from `templatetags/face_console.py`.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhucan.accounts.gate import requires
from zhucan.canteens.selectors import canteen_get
from zhucan.core.errors import DomainError, NotFound
from zhucan.core.http import client_ip, run_service
from zhucan.elders.selectors import elder_get
from zhucan.face import embedding, errors, services
from zhucan.face.models import ConsentScope, EnrolmentSource, IdentifyScope

# The notice (告知同意书) the elder agrees to. Its text is the template
# face/consent/<version>.html; a new text gets a new version and a new template, and the old
# template stays, so that every recorded consent still points to the words the elder heard.
CONSENT_TEXT_VERSION = "face-2025-06-v1"
SECTION_ANCHOR = "face"
_JPEG, _PNG = b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n"


def consent_template(version: str = CONSENT_TEXT_VERSION) -> str:
    return f"face/consent/{version}.html"


def _back_to_elder(elder_id: int, ok: bool = True):
    """After a change, at the face section that shows it; after a refusal, at the top of the page,
    where the message is."""
    url = reverse("elders:detail", args=[elder_id])
    return redirect(f"{url}#{SECTION_ANCHOR}" if ok else url)


def _elder_for_change(request, elder_id: int):
    return elder_get(user=request.user, elder_id=elder_id, action="change")


@require_POST
@requires("elder", "change")
def consent_record(request, elder_id: int):
    """Record one separate consent, only when the form says the elder (or guardian) agreed to the
    notice shown, and only to the current version of that notice."""
    elder = _elder_for_change(request, elder_id)
    scope = request.POST.get("scope", "")
    if request.POST.get("agreed") != "on":
        messages.error(request, _("请先确认老人本人（或其监护人）已知悉告知同意书内容并同意，再登记"))
        return _back_to_elder(elder.pk, ok=False)
    if request.POST.get("text_version") != CONSENT_TEXT_VERSION:
        messages.error(request, _("告知同意书已更新，请刷新页面，向老人重新告知后再登记"))
        return _back_to_elder(elder.pk, ok=False)
    label = dict(ConsentScope.choices).get(scope, "")
    ok = run_service(request, lambda: services.face_consent_record(
        actor=request.user, elder_id=elder.pk, scope=scope, text_version=CONSENT_TEXT_VERSION,
        keep_photo=request.POST.get("keep_photo") == "on", ip=client_ip(request)),
        _("已登记人脸识别单独同意：%(scope)s") % {"scope": label})
    return _back_to_elder(elder.pk, ok)


@require_POST
@requires("elder", "change")
def consent_withdraw(request, elder_id: int):
    elder = _elder_for_change(request, elder_id)
    scope = request.POST.get("scope", "")
    label = dict(ConsentScope.choices).get(scope, "")
    ok = run_service(request, lambda: services.face_consent_withdraw(actor=request.user, elder_id=elder.pk, scope=scope,
                                                                     ip=client_ip(request)),
                     _("已撤回同意：%(scope)s（相应的人脸数据已按规定删除）") % {"scope": label})
    return _back_to_elder(elder.pk, ok)


def _photo_bytes(request) -> bytes:
    """The uploaded photo, or the face service's own refusal: missing, too large (checked on the
    upload's size, before reading it), or not a JPEG/PNG file."""
    upload = request.FILES.get("photo")
    if upload is None or not upload.size:
        raise errors.image_invalid()
    limit = embedding.conf("ZHUCAN_FACE_MAX_IMAGE_BYTES")
    if upload.size > limit:
        raise errors.image_too_large(f"{limit / 1024 / 1024:.0f} MB")
    data = upload.read()
    if not (data.startswith(_JPEG) or data.startswith(_PNG)):
        raise errors.image_invalid()
    return data


@require_POST
@requires("elder", "change")
def enrol(request, elder_id: int):
    """Staff upload of an enrolment photo: reduced to an embedding by the face service; the photo is
    kept (encrypted) only if the elder agreed to that. A refused photo records nothing."""
    elder = _elder_for_change(request, elder_id)

    def call():
        services.face_enrol(actor=request.user, elder_id=elder.pk, image_bytes=_photo_bytes(request),
                            source=EnrolmentSource.STAFF_UPLOAD, ip=client_ip(request))

    ok = run_service(request, call, _("人脸已录入（只保存加密的人脸特征）"))
    return _back_to_elder(elder.pk, ok)


@require_POST
@requires("elder", "change")
def enrolment_delete(request, elder_id: int):
    elder = _elder_for_change(request, elder_id)
    try:
        deleted = services.face_enrolment_delete(actor=request.user, elder_id=elder.pk,
                                                 reason="工作人员在档案页删除人脸特征", ip=client_ip(request))
    except NotFound:
        raise
    except DomainError as exc:
        messages.error(request, exc.message_zh)
        return _back_to_elder(elder.pk, ok=False)
    if deleted:
        messages.success(request, _("人脸特征已删除"))
    else:
        messages.info(request, _("该老人没有已录入的人脸特征"))
    return _back_to_elder(elder.pk)


@require_POST
@requires("canteen", "change_registration")
def canteen_setting(request, canteen_id: int):
    """Turn 1:N face identification on or off at a canteen (district or city administrators)."""
    canteen = canteen_get(user=request.user, canteen_id=canteen_id, action="change_registration")
    enabled = request.POST.get("identify_enabled") == "on"
    scope = request.POST.get("identify_scope") or IdentifyScope.DISTRICT
    ok = run_service(request, lambda: services.face_canteen_setting_set(actor=request.user, canteen_id=canteen.pk,
                                                                        identify_enabled=enabled, identify_scope=scope,
                                                                        ip=client_ip(request)),
                     _("已开启 1:N 刷脸识别") if enabled else _("已关闭 1:N 刷脸识别"))
    url = reverse("canteens:detail", args=[canteen.pk])
    return redirect(f"{url}#identity-canteen" if ok else url)
