"""Sunshine kitchen and dining-area video (HZ-F2, HZ-F8): the platform records no video; it links
the canteens' recorders and cameras (devices) and their channels, knows which channel is dark
(status and its transitions), and proves the 7 days of playback (PlaybackCheck).

A device's credentials (password, or an OpenAPI's app secret) are kept only as ciphertext
(`core.sealed`): they are read by the adapters on the server, never rendered, never audited."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhucan.core.sealed import sealed_text

CREDENTIAL_CONTEXT = "video.device.credential"


class AccessMode(models.TextChoices):
    """How the platform reaches the device's video."""

    HLS = "hls", _("HLS 直连")
    RTSP = "rtsp", _("RTSP 拉流")
    ISC = "isc", _("视频平台开放接口（海康 iSecure Center）")
    GB28181 = "gb28181", _("GB/T 28181 平台")


class Zone(models.TextChoices):
    """Where the channel looks: the five kitchen zones of HZ-F2 and the dining area of HZ-F8."""

    WASHING = "washing", _("清洗")
    CUTTING = "cutting", _("切配")
    COOKING = "cooking", _("烹饪")
    DISINFECTION = "disinfection", _("消毒")
    SPECIAL_ROOM = "special_room", _("专间")
    DINING = "dining", _("就餐区")


KITCHEN_ZONES = (Zone.WASHING, Zone.CUTTING, Zone.COOKING, Zone.DISINFECTION, Zone.SPECIAL_ROOM)


class Device(models.Model):
    """A recorder (NVR), a camera, or the canteen's account on a video platform."""

    canteen = models.ForeignKey("canteens.Canteen", verbose_name=_("助餐点"), on_delete=models.PROTECT,
                                related_name="video_devices")
    name = models.CharField(_("设备名称"), max_length=60)
    vendor = models.CharField(_("厂商"), max_length=40, blank=True)
    access_mode = models.CharField(_("接入方式"), max_length=10, choices=AccessMode.choices)
    # The base address: http(s)://host:port for HLS / an OpenAPI / a GB28181 platform, rtsp://host:port for RTSP.
    address = models.CharField(_("接入地址"), max_length=200)
    # GB28181: the device's 20-digit code on the platform; ISC: unused (channels carry camera codes).
    remote_id = models.CharField(_("设备编码"), max_length=64, blank=True)
    username_encrypted = models.CharField(max_length=300, blank=True, editable=False)  # or the OpenAPI's AK
    secret_encrypted = models.CharField(max_length=300, blank=True, editable=False)  # password or SK
    active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    username = sealed_text("username", context=CREDENTIAL_CONTEXT)
    secret = sealed_text("secret", context=CREDENTIAL_CONTEXT)

    class Meta:
        ordering = ["canteen_id", "name"]
        verbose_name = "视频设备"
        verbose_name_plural = "视频设备"
        constraints = [
            models.UniqueConstraint(fields=["canteen", "name"], name="video_device_name_once_per_canteen"),
            models.CheckConstraint(condition=Q(access_mode__in=["hls", "rtsp", "isc", "gb28181"]),
                                   name="video_device_access_mode_known"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_credentials(self) -> bool:
        return bool(self.username_encrypted or self.secret_encrypted)


class Channel(models.Model):
    """One picture: a camera, or a recorder's input. `public` may be true only for kitchen zones —
    the dining area shows elders and is watched only by officials of the jurisdiction."""

    device = models.ForeignKey(Device, verbose_name=_("设备"), on_delete=models.PROTECT, related_name="channels")
    canteen = models.ForeignKey("canteens.Canteen", verbose_name=_("助餐点"), on_delete=models.PROTECT,
                                related_name="video_channels")  # the device's, kept here for scoping
    name = models.CharField(_("通道名称"), max_length=60)
    zone = models.CharField(_("区域"), max_length=16, choices=Zone.choices)
    public = models.BooleanField(_("可公开展示"), default=False)
    # HLS: the live playlist's path (or full URL); RTSP: the stream path; ISC: cameraIndexCode;
    # GB28181: the channel's 20-digit code.
    remote_id = models.CharField(_("通道编码或路径"), max_length=200)
    # HLS only: the recorder's playback playlist (EXT-X-PROGRAM-DATE-TIME over the kept days).
    record_path = models.CharField(_("回放地址"), max_length=200, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    # Status as last probed; `status_since` is when it last changed (the history has every change).
    online = models.BooleanField(_("在线"), null=True, default=None)  # None: never probed
    status_since = models.DateTimeField(null=True, blank=True)
    last_probe_at = models.DateTimeField(null=True, blank=True)
    last_detail = models.CharField(max_length=200, blank=True)
    dark_alerted_at = models.DateTimeField(null=True, blank=True)  # the dark spell already alerted
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["canteen_id", "zone", "name"]
        verbose_name = "视频通道"
        verbose_name_plural = "视频通道"
        constraints = [
            models.UniqueConstraint(fields=["device", "name"], name="video_channel_name_once_per_device"),
            models.CheckConstraint(condition=~Q(zone="dining") | Q(public=False),
                                   name="video_channel_dining_never_public"),
        ]
        indexes = [models.Index(fields=["canteen", "zone"], name="video_channel_canteen_zone")]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_zone_display()}）"

    @property
    def is_kitchen(self) -> bool:
        return self.zone != Zone.DINING


class ChannelStatusChange(models.Model):
    """A transition of a channel between online and offline (the first probe counts as one)."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="status_changes")
    online = models.BooleanField()
    at = models.DateTimeField()
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["channel_id", "at", "id"]
        verbose_name = "通道状态变化"
        verbose_name_plural = "通道状态变化"
        indexes = [models.Index(fields=["channel", "at"], name="video_status_channel_at")]

    def __str__(self) -> str:
        return f"{self.channel_id} {'在线' if self.online else '离线'} {self.at:%Y-%m-%d %H:%M}"


class PlaybackOutcome(models.TextChoices):
    PASSED = "passed", _("通过")
    NO_CHANNEL = "no_channel", _("没有就餐区通道")
    UNREACHABLE = "unreachable", _("录像设备无法访问")
    TOO_SHORT = "too_short", _("录像不足7天")
    GAP = "gap", _("录像有中断")
    SAMPLE_FAILED = "sample_failed", _("抽查回放无法播放")


class PlaybackCheck(models.Model):
    """The daily 7-day playback check of one canteen (HZ-F8): the recordings the recorder reports
    over the last 7 days, merged, and one randomly chosen moment actually fetched and probed."""

    canteen = models.ForeignKey("canteens.Canteen", verbose_name=_("助餐点"), on_delete=models.PROTECT,
                                related_name="playback_checks")
    channel = models.ForeignKey(Channel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    checked_at = models.DateTimeField(_("核验时间"))
    local_date = models.DateField(_("核验日期"))
    passed = models.BooleanField(_("通过"))
    outcome = models.CharField(_("结果"), max_length=16, choices=PlaybackOutcome.choices)
    window_start = models.DateTimeField()  # now − 7 days
    oldest = models.DateTimeField(_("最早录像"), null=True, blank=True)
    largest_gap_seconds = models.PositiveIntegerField(default=0)
    gap_start = models.DateTimeField(null=True, blank=True)
    sample_at = models.DateTimeField(_("抽查时刻"), null=True, blank=True)
    sample_ok = models.BooleanField(null=True)
    detail = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        ordering = ["canteen_id", "-checked_at"]
        verbose_name = "回放核验"
        verbose_name_plural = "回放核验"
        indexes = [models.Index(fields=["canteen", "-checked_at"], name="video_playback_latest")]

    def __str__(self) -> str:
        return f"{self.canteen_id} {self.local_date} {self.get_outcome_display()}"


class AiEvent(models.Model):
    """An event reported by a vendor's AI box (no hat, smoking, rodent…): kept once per the box's
    own event id, so a resent event raises no second alert. The snapshot lives on the alert."""

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="ai_events")
    event_id = models.CharField(max_length=64)
    event_type = models.CharField(max_length=24)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField()
    alert_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at"]
        verbose_name = "智能分析事件"
        verbose_name_plural = "智能分析事件"
        constraints = [
            models.UniqueConstraint(fields=["channel", "event_id"], name="video_ai_event_once"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


# The viewing sessions (videoview) live in their own module; imported here so Django finds the model.
from zhucan.video.models_viewing import ViewPurpose, ViewSession  # noqa: E402,F401
