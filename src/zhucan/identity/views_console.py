"""Console actions on an elder's identification media (HZ-9: card, code or face at every canteen):
the citizen card (bind, report lost, replace), the printed card code (长者卡码) and its PIN, and a
canteen's choice of second factor for card codes.

Thin: every POST checks the target is the actor's (not found and not yours answer alike, 404),
calls one identity service (which scopes again, writes and audits in one transaction) and sends
the user back to the page with the service's Chinese message. The sections that show these media
on the elder and canteen pages come from `templatetags/identity_console.py`.
"""

from __future__ import annotations

import base64

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from zhucan.accounts.gate import requires
from zhucan.accounts.scoping import get_scoped
from zhucan.canteens.selectors import canteen_get
from zhucan.core.errors import DomainError, NotFound
from zhucan.core.http import client_ip, run_service
from zhucan.core.sealed import mask_name
from zhucan.elders.selectors import elder_get
from zhucan.identity import qr, services
from zhucan.identity.models import CitizenCard

# Where each section sits on the elder / canteen page (its HTML id).
CARD_ANCHOR = "identity-card"
CODE_ANCHOR = "identity-card-code"
CANTEEN_ANCHOR = "identity-canteen"


def _back(url: str, anchor: str, ok: bool):
    """Back to the page: after a change, at the section that shows it; after a refusal, at the top,
    where the message is."""
    return redirect(f"{url}#{anchor}" if ok else url)


def _back_to_elder(elder_id: int, anchor: str, ok: bool = True):
    return _back(reverse("elders:detail", args=[elder_id]), anchor, ok)


def _elder_for_change(request, elder_id: int):
    return elder_get(user=request.user, elder_id=elder_id, action="change")


def _card_of(request, elder, card_id: int) -> CitizenCard:
    return get_scoped(CitizenCard.objects.filter(elder=elder), request.user, "change", pk=card_id,
                      what_zh="卡", what_en="card")


# --- citizen card (市民卡) ------------------------------------------------------------------------


@require_POST
@requires("elder", "change")
def card_bind(request, elder_id: int):
    elder = _elder_for_change(request, elder_id)
    number = request.POST.get("number", "")
    ok = run_service(request, lambda: services.card_bind(actor=request.user, elder_id=elder.pk, number=number,
                                                         ip=client_ip(request)),
                     _("市民卡已绑定"))
    return _back_to_elder(elder.pk, CARD_ANCHOR, ok)


@require_POST
@requires("elder", "change")
def card_report_lost(request, elder_id: int, card_id: int):
    elder = _elder_for_change(request, elder_id)
    card = _card_of(request, elder, card_id)
    ok = run_service(request, lambda: services.card_report_lost(actor=request.user, card_id=card.pk,
                                                                ip=client_ip(request)),
                     _("已挂失：该卡不能再用于就餐"))
    return _back_to_elder(elder.pk, CARD_ANCHOR, ok)


@require_POST
@requires("elder", "change")
def card_replace(request, elder_id: int, card_id: int):
    elder = _elder_for_change(request, elder_id)
    card = _card_of(request, elder, card_id)
    number = request.POST.get("new_number", "")
    ok = run_service(request, lambda: services.card_replace(actor=request.user, card_id=card.pk, new_number=number,
                                                            ip=client_ip(request)),
                     _("已补卡：旧卡作废，新卡已启用"))
    return _back_to_elder(elder.pk, CARD_ANCHOR, ok)


# --- printed card code (长者卡码) and PIN -------------------------------------------------------------


@never_cache
@require_POST
@requires("elder", "change")
def card_code_issue(request, elder_id: int):
    """Issue a printed card code and answer with the page to print. The token is a credential: it
    is in this response only (never stored, never shown again; not cacheable)."""
    elder = _elder_for_change(request, elder_id)
    try:
        token, code = services.card_code_issue(actor=request.user, elder_id=elder.pk, ip=client_ip(request))
    except NotFound:
        raise
    except DomainError as exc:
        messages.error(request, exc.message_zh)
        return _back_to_elder(elder.pk, CODE_ANCHOR, ok=False)
    png = qr.render_png(token, scale=8, border=4)
    response = render(request, "identity/card_code_print.html", {
        "elder": elder, "masked_name": mask_name(elder.name), "code": code,
        "qr_data_uri": "data:image/png;base64," + base64.b64encode(png).decode("ascii"),
        "back_url": f"{reverse('elders:detail', args=[elder.pk])}#{CODE_ANCHOR}",
    })
    response["Cache-Control"] = "no-store, private, max-age=0"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_POST
@requires("elder", "change")
def card_code_revoke(request, elder_id: int):
    elder = _elder_for_change(request, elder_id)
    try:
        count = services.card_code_revoke(actor=request.user, elder_id=elder.pk, reason="staff_revoked",
                                          ip=client_ip(request))
    except NotFound:
        raise
    except DomainError as exc:
        messages.error(request, exc.message_zh)
        return _back_to_elder(elder.pk, CODE_ANCHOR, ok=False)
    if count:
        messages.success(request, _("长者卡码已作废，终端更新作废名单后即拒收"))
    else:
        messages.info(request, _("该老人没有在用的长者卡码"))
    return _back_to_elder(elder.pk, CODE_ANCHOR)


@require_POST
@requires("elder", "change")
def pin_set(request, elder_id: int):
    elder = _elder_for_change(request, elder_id)
    pin, again = request.POST.get("pin", ""), request.POST.get("pin_again", "")
    if pin != again:
        messages.error(request, _("两次输入的密码不一致，请重新输入"))
        return _back_to_elder(elder.pk, CODE_ANCHOR, ok=False)
    ok = run_service(request, lambda: services.elder_pin_set(actor=request.user, elder_id=elder.pk, pin=pin,
                                                             ip=client_ip(request)),
                     _("密码已设置"))
    return _back_to_elder(elder.pk, CODE_ANCHOR, ok)


# --- the canteen's second factor for card codes ---------------------------------------------------


@require_POST
@requires("canteen", "change")
def canteen_card_code_factor(request, canteen_id: int):
    canteen = canteen_get(user=request.user, canteen_id=canteen_id, action="change")
    factor = request.POST.get("factor", "")
    ok = run_service(request, lambda: services.canteen_card_code_factor_set(actor=request.user, canteen_id=canteen.pk,
                                                                            factor=factor, ip=client_ip(request)),
                     _("长者卡码二次核验方式已保存"))
    return _back(reverse("canteens:detail", args=[canteen.pk]), CANTEEN_ANCHOR, ok)
