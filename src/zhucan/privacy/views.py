"""Console: an elder withdraws from the programme — a confirmation page, then the erasure service."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhucan.accounts.gate import requires
from zhucan.core.errors import DomainError
from zhucan.core.http import add_domain_error, client_ip
from zhucan.elders import selectors
from zhucan.privacy.erasure import elder_erase


class ErasureForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("退出原因"), max_length=200)
    confirm_name = forms.CharField(label=gettext_lazy("请输入老人姓名以确认"), max_length=50)


@requires("elder", "change")
def elder_erase_view(request, elder_id: int):
    elder = selectors.elder_get(user=request.user, elder_id=elder_id, action="change")
    form = ErasureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            elder_erase(actor=request.user, elder_id=elder.pk, reason=form.cleaned_data["reason"],
                        confirm_name=form.cleaned_data["confirm_name"], ip=client_ip(request))
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("已办理退出，个人信息已删除；就餐和结算记录保留"))
            return redirect("elders:detail", elder_id=elder.pk)
    return render(request, "privacy/erase.html", {"elder": elder, "form": form},
                  status=400 if request.method == "POST" else 200)
