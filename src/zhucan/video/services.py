"""Writes of the video registry: devices and channels, by the canteen's district or its manager.
Each is one transaction with its audit row. Credentials go to the sealed columns only: the audit
row says whether they were set or changed, never what they are."""

from __future__ import annotations

import re

from django.db import transaction

from zhucan.accounts.permissions import has_perm
from zhucan.accounts.scoping import get_scoped
from zhucan.canteens.models import Canteen
from zhucan.core import clock
from zhucan.core.audit import audit_record, snapshot
from zhucan.core.errors import PermissionDenied, ValidationFailed
from zhucan.video.errors import video_error
from zhucan.video.models import AccessMode, Channel, Device, Zone

DEVICE_AUDITED = ["canteen", "name", "vendor", "access_mode", "address", "remote_id", "active"]
CHANNEL_AUDITED = ["device", "canteen", "name", "zone", "public", "remote_id", "record_path", "active"]
DEVICE_FIELDS = ("name", "vendor", "access_mode", "address", "remote_id", "active")
CHANNEL_FIELDS = ("name", "zone", "public", "remote_id", "record_path", "active")
_SCHEMES = {AccessMode.HLS: ("http://", "https://"), AccessMode.RTSP: ("rtsp://",),
            AccessMode.ISC: ("http://", "https://"), AccessMode.GB28181: ("http://", "https://")}
_GB_CODE = re.compile(r"^\d{20}$")


def _clean(value) -> str:
    return (value or "").strip() if isinstance(value, str) or value is None else value


def _device_checks(device: Device) -> None:
    if not device.name:
        raise ValidationFailed({"name": "请填写设备名称"}, {"name": "name is required"})
    if device.access_mode not in AccessMode.values:
        raise ValidationFailed({"access_mode": "请选择接入方式"}, {"access_mode": "choose an access mode"})
    schemes = _SCHEMES[AccessMode(device.access_mode)]
    if not device.address.lower().startswith(schemes) or len(device.address) <= len(schemes[0]):
        raise video_error("DEVICE_ADDRESS", field="address", schemes=" 或 ".join(schemes))
    if device.access_mode in (AccessMode.ISC, AccessMode.GB28181) and not (device.username and device.secret):
        what = "AppKey 和 AppSecret" if device.access_mode == AccessMode.ISC else "平台账号和密码"
        raise video_error("DEVICE_CREDENTIALS", field="username", what=what)
    if device.access_mode == AccessMode.GB28181 and not _GB_CODE.match(device.remote_id):
        raise video_error("DEVICE_REMOTE_ID", field="remote_id")
    clash = Device.objects.filter(canteen_id=device.canteen_id, name=device.name).exclude(pk=device.pk)
    if clash.exists():
        raise video_error("DEVICE_NAME_TAKEN", field="name", name=device.name)


def _credentials_note(before_user: str, before_secret: str, device: Device) -> dict:
    """What the audit may say about credentials: set or changed, never their value."""
    return {"credentials_set": bool(device.username_encrypted or device.secret_encrypted),
            "credentials_changed": (before_user, before_secret) != (device.username_encrypted,
                                                                   device.secret_encrypted)}


def device_create(*, actor, canteen_id: int, values: dict, ip: str | None = None) -> Device:
    """Register a device at a canteen the actor manages (its district, or its manager)."""
    _can_manage(actor)
    with transaction.atomic():
        canteen = get_scoped(Canteen.objects.select_related("region"), actor, "view", pk=canteen_id,
                             what_zh="助餐点", what_en="canteen")
        now = clock.now()
        device = Device(canteen=canteen, created_by=actor, created_at=now, updated_at=now)
        for key in DEVICE_FIELDS:
            if key in values:
                setattr(device, key, _clean(values[key]))
        device.username = values.get("username") or ""
        device.secret = values.get("secret") or ""
        _device_checks(device)
        device.save()
        audit_record(actor=actor, action="video.device.create", obj=device, region_path=canteen.region.path,
                     after=snapshot(device, DEVICE_AUDITED) | _credentials_note("", "", device), ip=ip)
    return device


def device_update(*, actor, device_id: int, values: dict, ip: str | None = None) -> Device:
    """Change a device. A blank username or secret keeps the stored one (they are never shown)."""
    with transaction.atomic():
        device = get_scoped(Device.objects.select_for_update(of=("self",)).select_related("canteen__region"),
                            actor, "manage", pk=device_id, what_zh="视频设备", what_en="device")
        before = snapshot(device, DEVICE_AUDITED)
        before_creds = (device.username_encrypted, device.secret_encrypted)
        for key in DEVICE_FIELDS:
            if key in values:
                setattr(device, key, _clean(values[key]))
        if values.get("username"):
            device.username = values["username"]
        if values.get("secret"):
            device.secret = values["secret"]
        _device_checks(device)
        device.updated_at = clock.now()
        device.save()
        after = snapshot(device, DEVICE_AUDITED)
        note = _credentials_note(*before_creds, device)
        if after != before or note["credentials_changed"]:
            audit_record(actor=actor, action="video.device.update", obj=device,
                         region_path=device.canteen.region.path, before=before, after=after | note, ip=ip)
    return device


def _channel_checks(channel: Channel) -> None:
    if not channel.name:
        raise ValidationFailed({"name": "请填写通道名称"}, {"name": "name is required"})
    if channel.zone not in Zone.values:
        raise ValidationFailed({"zone": "请选择区域"}, {"zone": "choose a zone"})
    if channel.zone == Zone.DINING and channel.public:
        raise video_error("CHANNEL_DINING_PUBLIC", field="public")
    if not channel.remote_id:
        raise video_error("CHANNEL_REMOTE_ID", field="remote_id")
    clash = Channel.objects.filter(device_id=channel.device_id, name=channel.name).exclude(pk=channel.pk)
    if clash.exists():
        raise video_error("CHANNEL_NAME_TAKEN", field="name", name=channel.name)


def channel_create(*, actor, device_id: int, values: dict, ip: str | None = None) -> Channel:
    with transaction.atomic():
        device = get_scoped(Device.objects.select_related("canteen__region"), actor, "manage", pk=device_id,
                            what_zh="视频设备", what_en="device")
        channel = Channel(device=device, canteen_id=device.canteen_id, created_at=clock.now())
        for key in CHANNEL_FIELDS:
            if key in values:
                setattr(channel, key, _clean(values[key]))
        _channel_checks(channel)
        channel.save()
        audit_record(actor=actor, action="video.channel.create", obj=channel,
                     region_path=device.canteen.region.path, after=snapshot(channel, CHANNEL_AUDITED), ip=ip)
    return channel


def channel_update(*, actor, channel_id: int, values: dict, ip: str | None = None) -> Channel:
    with transaction.atomic():
        channel = get_scoped(Channel.objects.select_for_update(of=("self",)).select_related("canteen__region"),
                             actor, "manage", pk=channel_id, what_zh="视频通道", what_en="channel")
        before = snapshot(channel, CHANNEL_AUDITED)
        for key in CHANNEL_FIELDS:
            if key in values:
                setattr(channel, key, _clean(values[key]))
        _channel_checks(channel)
        channel.save()
        after = snapshot(channel, CHANNEL_AUDITED)
        if after != before:
            audit_record(actor=actor, action="video.channel.update", obj=channel,
                         region_path=channel.canteen.region.path, before=before, after=after, ip=ip)
    return channel


def _can_manage(actor) -> None:
    if not has_perm(actor, "video_device", "manage"):
        raise PermissionDenied("管理视频设备", "manage video devices")
