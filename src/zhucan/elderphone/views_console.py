"""Console: subdistrict staff bind phone accounts to an elder and revoke them (from the elder's
page; the list itself is drawn there by the `elder_phone_bindings` template tag)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zhucan.accounts.gate import requires
from zhucan.core.errors import DomainError
from zhucan.core.http import client_ip
from zhucan.elderphone import services
from zhucan.elderphone.forms import BindForm
from zhucan.elderphone.phones import phone_mask
from zhucan.elderphone.selectors import elder_bindings

_SMS_NOTE = {
    "activation": gettext_lazy("已发送开通短信（含验证码）"),
    "notice": gettext_lazy("已发送绑定通知短信"),
    "skipped": gettext_lazy("刚刚已发过验证码，本次未重复发送"),
    "failed": gettext_lazy("短信发送失败，请让对方在手机页点“首次登录/忘记密码”"),
    "none": "",
}


@require_POST
@requires("elder", "change")
def bind(request, elder_id: int):
    elder_bindings(actor=request.user, elder_id=elder_id)  # not yours → 404 before anything else
    form = BindForm(request.POST)
    if not form.is_valid():
        first = next(iter(form.errors.values()))[0]
        messages.error(request, _("绑定失败：%(error)s") % {"error": first})
        return redirect("elders:detail", elder_id=elder_id)
    d = form.cleaned_data
    try:
        result = services.binding_create(actor=request.user, elder_id=elder_id, phone=d["phone"],
                                         relation=d["relation"], display_name=d["display_name"],
                                         ip=client_ip(request))
    except DomainError as exc:
        if exc.code == "NOT_FOUND":
            raise
        messages.error(request, _("绑定失败：%(error)s") % {"error": exc.message_zh})
    else:
        account = result.binding.account
        messages.success(request, _("已绑定手机号 %(phone)s。%(sms)s") % {
            "phone": phone_mask(account.phone), "sms": _SMS_NOTE[result.sms]})
    return redirect("elders:detail", elder_id=elder_id)


@require_POST
@requires("elder", "change")
def revoke(request, elder_id: int, binding_id: int):
    elder_bindings(actor=request.user, elder_id=elder_id)
    try:
        binding = services.binding_revoke(actor=request.user, binding_id=binding_id, elder_id=elder_id,
                                          ip=client_ip(request))
    except DomainError as exc:
        if exc.code == "NOT_FOUND":
            raise
        messages.error(request, exc.message_zh)
    else:
        messages.success(request, _("已解除 %(phone)s 的绑定") % {"phone": binding.account.phone_masked})
    return redirect("elders:detail", elder_id=elder_id)
