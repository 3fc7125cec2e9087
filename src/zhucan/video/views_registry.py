"""The video registry console at /video/devices/: the district and the canteen's manager register
devices (their credentials are written, never shown again) and channels; everyone in scope sees
status, today's uptime and the latest 7-day playback check; the district runs a check now."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from zhucan.accounts.gate import requires
from zhucan.accounts.permissions import has_perm
from zhucan.core import clock
from zhucan.core.errors import DomainError, NotFound
from zhucan.core.http import add_domain_error, client_ip
from zhucan.video import selectors, services
from zhucan.video.models import AccessMode, Zone
from zhucan.video.playback import playback_check


class DeviceForm(forms.Form):
    name = forms.CharField(label=_("设备名称"), max_length=60)
    vendor = forms.CharField(label=_("厂商"), max_length=40, required=False)
    access_mode = forms.ChoiceField(label=_("接入方式"), choices=AccessMode.choices)
    address = forms.CharField(label=_("接入地址"), max_length=200,
                              help_text=_("如 https://平台地址:443 或 rtsp://设备地址:554"))
    remote_id = forms.CharField(label=_("设备国标编码"), max_length=64, required=False,
                                help_text=_("国标接入时填写设备的20位编码"))
    username = forms.CharField(label=_("账号或 AppKey"), max_length=100, required=False,
                               widget=forms.TextInput(attrs={"autocomplete": "off"}))
    secret = forms.CharField(label=_("密码或 AppSecret"), max_length=200, required=False,
                             widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}))
    active = forms.BooleanField(label=_("启用"), required=False, initial=True)


class ChannelForm(forms.Form):
    name = forms.CharField(label=_("通道名称"), max_length=60)
    zone = forms.ChoiceField(label=_("区域"), choices=Zone.choices)
    public = forms.BooleanField(label=_("可在阳光厨房公示屏公开展示"), required=False,
                                help_text=_("就餐区画面拍到老人，不能公开"))
    remote_id = forms.CharField(label=_("通道编码或路径"), max_length=200,
                                help_text=_("平台的监控点编码、国标通道编码，或直播地址的路径"))
    record_path = forms.CharField(label=_("回放地址"), max_length=200, required=False,
                                  help_text=_("HLS 录像机的回放地址，{start}、{end} 处填入起止时间"))
    active = forms.BooleanField(label=_("启用"), required=False, initial=True)


def _device_values(form) -> dict:
    return {k: v for k, v in form.cleaned_data.items()}


@requires("video_device", "view")
def device_list(request):
    try:
        canteen_id = int(request.GET.get("canteen") or 0) or None
    except ValueError:
        canteen_id = None
    rows = selectors.registry(request.user, canteen_id=canteen_id)
    choices = selectors.canteens(request.user) if has_perm(request.user, "video_device", "manage") else []
    return render(request, "video/registry/list.html", {
        "rows": rows, "can_manage": has_perm(request.user, "video_device", "manage"),
        "can_check": has_perm(request.user, "video_device", "check"), "canteen_choices": choices,
        "today": clock.local_today()})


@requires("video_device", "manage")
def device_create(request, canteen_id: int):
    canteen = selectors.canteen_get(request.user, canteen_id)
    form = DeviceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.device_create(actor=request.user, canteen_id=canteen.pk, values=_device_values(form),
                                            ip=client_ip(request))
        except NotFound:
            raise
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已登记视频设备“{device.name}”，请继续登记它的通道")
            return redirect("video_registry:device", device.pk)
    return render(request, "video/registry/device_form.html", {"form": form, "canteen": canteen, "device": None})


@requires("video_device", "view")
def device_detail(request, device_id: int):
    device = selectors.device_get(request.user, device_id)
    can_manage = has_perm(request.user, "video_device", "manage")
    form = None
    if can_manage:
        initial = {k: getattr(device, k) for k in ("name", "vendor", "access_mode", "address", "remote_id", "active")}
        form = DeviceForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                services.device_update(actor=request.user, device_id=device.pk, values=_device_values(form),
                                       ip=client_ip(request))
            except NotFound:
                raise
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, "已保存")
                return redirect("video_registry:device", device.pk)
    channels = device.channels.order_by("zone", "name")
    return render(request, "video/registry/device.html", {"device": device, "form": form, "channels": channels,
                                                           "can_manage": can_manage})


@requires("video_device", "manage")
def channel_create(request, device_id: int):
    device = selectors.device_get(request.user, device_id, "manage")
    form = ChannelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.channel_create(actor=request.user, device_id=device.pk, values=form.cleaned_data,
                                    ip=client_ip(request))
        except NotFound:
            raise
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已登记通道“{form.cleaned_data['name']}”")
            return redirect("video_registry:device", device.pk)
    return render(request, "video/registry/channel_form.html", {"form": form, "device": device, "channel": None})


@requires("video_device", "manage")
def channel_edit(request, channel_id: int):
    channel = selectors.channel_get(request.user, channel_id, "manage")
    initial = {k: getattr(channel, k) for k in ("name", "zone", "public", "remote_id", "record_path", "active")}
    form = ChannelForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.channel_update(actor=request.user, channel_id=channel.pk, values=form.cleaned_data,
                                    ip=client_ip(request))
        except NotFound:
            raise
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "已保存")
            return redirect("video_registry:device", channel.device_id)
    history = channel.status_changes.order_by("-at", "-id")[:20]
    return render(request, "video/registry/channel_form.html", {"form": form, "device": channel.device,
                                                                 "channel": channel, "history": history})


@requires("video_device", "view")
def health(request):
    table = selectors.uptime_table(request.user)
    charts = selectors.uptime_charts(table)
    return render(request, "video/registry/health.html", {
        **table, "charts": {"district": charts["district"], "canteen": charts["canteen"]},
        "canteens_limited": charts["canteens_limited"]})


@requires("video_device", "view")
def checks(request, canteen_id: int):
    canteen = selectors.canteen_get(request.user, canteen_id)
    return render(request, "video/registry/checks.html", {
        "canteen": canteen, "checks": selectors.playback_checks(request.user, canteen.pk),
        "can_check": has_perm(request.user, "video_device", "check")})


@require_POST
@requires("video_device", "check")
def check_now(request, canteen_id: int):
    canteen = selectors.canteen_get(request.user, canteen_id)
    check = playback_check(canteen, actor=request.user)
    if check.passed:
        messages.success(request, f"回放核验通过：{check.detail}")
    else:
        messages.error(request, f"回放核验未通过（{check.get_outcome_display()}）：{check.detail}")
    return redirect("video_registry:checks", canteen.pk)
