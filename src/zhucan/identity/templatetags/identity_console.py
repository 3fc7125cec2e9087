"""The identification-media sections of the elder and canteen pages, with their own context.

The elder page (elders/detail.html) includes `identity/elder_card.html`, `identity/elder_card_code.html`
and `identity/card_fact.html`; the canteen page includes `identity/canteen_identity.html`. Each
loads this library and calls one tag, so the elder and canteen views need not know about cards
and codes. The page's view has already checked that the user may *view* the elder / canteen;
the tags decide what the user may *change* (role and jurisdiction, as the services will).
"""

from __future__ import annotations

from django import template

from zhucan.accounts.permissions import has_perm
from zhucan.accounts.scoping import restrict
from zhucan.core import clock
from zhucan.identity import services
from zhucan.identity.models import (
    CanteenIdentitySettings,
    CardCode,
    CardStatus,
    ElderPin,
    SecondFactor,
)

register = template.Library()

CARD_CODE_ROWS = 10  # live card codes listed (there is normally one: a new one revokes the others)


def _user(context):
    request = context.get("request")
    return getattr(request, "user", None) or context.get("user")


def may_change_elder(user, elder) -> bool:
    from zhucan.elders.models import Elder

    return has_perm(user, "elder", "change") and restrict(Elder.objects.filter(pk=elder.pk), user,
                                                          "change").exists()


def may_on_canteen(user, canteen, action: str) -> bool:
    from zhucan.canteens.models import Canteen

    return has_perm(user, "canteen", action) and restrict(Canteen.objects.filter(pk=canteen.pk), user,
                                                          action).exists()


@register.simple_tag
def elder_card_masked(elder) -> str:
    """The elder's card number for the facts list: the active card, masked (never the full number)."""
    from zhucan.identity.models import CitizenCard

    masked = (CitizenCard.objects.filter(elder_id=elder.pk, status=CardStatus.ACTIVE)
              .values_list("number_masked", flat=True).first())
    return masked or "—"


@register.inclusion_tag("identity/_elder_card_section.html", takes_context=True)
def elder_card_section(context):
    elder, user = context["elder"], _user(context)
    cards = services.card_history(actor=user, elder_id=elder.pk)
    active = next((c for c in cards if c.status == CardStatus.ACTIVE), None)
    # 补卡 applies to the active card (damaged) or, when none is active, to the latest lost one.
    replaceable = active or next((c for c in cards if c.status == CardStatus.LOST), None)
    return {
        "elder": elder, "cards": cards, "active": active, "replaceable": replaceable,
        "can_change": may_change_elder(user, elder),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("identity/_elder_card_code_section.html", takes_context=True)
def elder_card_code_section(context):
    elder, user = context["elder"], _user(context)
    now = clock.real_now()
    codes = list(CardCode.objects.filter(elder_id=elder.pk, expires_at__gt=now)
                 .select_related("revocation__revoked_by", "issued_by")[:CARD_CODE_ROWS])
    for code in codes:
        code.revoked = getattr(code, "revocation", None)
        code.id_prefix = code.code_id[:8]
    pin = ElderPin.objects.filter(elder_id=elder.pk).only("set_at", "locked_until").first()
    return {
        "elder": elder, "codes": codes, "has_live": any(c.revoked is None for c in codes),
        "pin_set_at": pin.set_at if pin else None,
        "pin_locked_until": pin.locked_until if pin and pin.locked_until and pin.locked_until > now else None,
        "can_change": may_change_elder(user, elder),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("identity/_canteen_identity_section.html", takes_context=True)
def canteen_identity_section(context):
    from zhucan.face.models import FaceCanteenSetting, IdentifyScope

    canteen, user = context["canteen"], _user(context)
    factor = services.canteen_card_code_factor(canteen)
    face = FaceCanteenSetting.objects.filter(canteen_id=canteen.pk).select_related("updated_by").first()
    return {
        "canteen": canteen,
        "factor": factor, "factor_label": SecondFactor(factor).label, "factors": SecondFactor.choices,
        "factor_chosen": CanteenIdentitySettings.objects.filter(canteen_id=canteen.pk).exists(),
        "can_change_factor": may_on_canteen(user, canteen, "change"),
        "face": face, "identify_scopes": IdentifyScope.choices,
        "identify_scope": face.identify_scope if face else IdentifyScope.DISTRICT,
        "can_change_face": may_on_canteen(user, canteen, "change_registration"),
        "csrf_token": context.get("csrf_token"),
    }
