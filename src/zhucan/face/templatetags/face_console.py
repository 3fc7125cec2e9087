"""The face section of the elder page (elders/detail.html includes `face/elder_face.html`).

Shows the separate consents per use (with the notice version, who and when), whether a face is
enrolled (when, by whom, which model, whether a photo is kept) — never an embedding or a photo.
The page's view has checked that the user may view the elder; this decides who may change.
"""

from __future__ import annotations

from django import template
from django.db.models import Q

from zhucan.elders.models import ElderStatus
from zhucan.face.models import ConsentScope, FaceConsent, FaceEnrolment
from zhucan.face.views import CONSENT_TEXT_VERSION, consent_template
from zhucan.identity.templatetags.identity_console import may_change_elder

register = template.Library()


@register.inclusion_tag("face/_elder_face_section.html", takes_context=True)
def elder_face_section(context):
    elder = context["elder"]
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    consents = list(FaceConsent.objects.filter(elder_id=elder.pk).select_related("granted_by", "withdrawn_by")
                    .order_by("-granted_at", "-id"))
    active = {c.scope: c for c in consents if c.withdrawn_at is None}
    scopes = [{"value": value, "label": label, "consent": active.get(value)} for value, label in ConsentScope.choices]
    # Only what may be shown: the embedding and photo columns are never loaded here.
    enrolment = (FaceEnrolment.objects.filter(elder_id=elder.pk).select_related("enrolled_by", "terminal")
                 .only("enrolled_at", "model_name", "model_version", "source", "enrolled_by", "terminal__name",
                       "elder_id").first())
    photo_kept = enrolment is not None and FaceEnrolment.objects.filter(
        elder_id=elder.pk).exclude(Q(photo_encrypted="")).exists()
    return {
        "elder": elder, "scopes": scopes,
        "withdrawn": [c for c in consents if c.withdrawn_at is not None],
        "open_scopes": [s for s in scopes if s["consent"] is None],
        "has_consent": bool(active), "enrolment": enrolment, "photo_kept": photo_kept,
        "elder_active": elder.status == ElderStatus.ACTIVE,
        "text_version": CONSENT_TEXT_VERSION, "notice_template": consent_template(),
        "can_change": may_change_elder(user, elder),
        "csrf_token": context.get("csrf_token"),
    }
