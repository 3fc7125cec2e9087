"""Who watched what (issue #19 item 6): dining-area video shows elders, so every viewing from the
console is a session recording the viewer, the channel, live or which recorded range, the purpose
chosen on opening, and when it started and ended (the player's heartbeat moves `last_seen_at`; a
session whose heartbeat stopped ended then). The public kiosk records none: it shows only public
kitchen channels to nobody in particular."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhucan.accounts.scoping import Scope, register


class ViewPurpose(models.TextChoices):
    PATROL = "patrol", _("日常巡查")
    COMPLAINT = "complaint", _("投诉核查")
    INCIDENT = "incident", _("事件调查")
    FOOD_SAFETY = "food_safety", _("食品安全检查")
    FILING = "filing", _("定点备案核验")


class ViewSession(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("查看人"), on_delete=models.PROTECT,
                             related_name="video_sessions")
    channel = models.ForeignKey("video.Channel", verbose_name=_("通道"), on_delete=models.PROTECT,
                                related_name="view_sessions")
    canteen = models.ForeignKey("canteens.Canteen", verbose_name=_("助餐点"), on_delete=models.PROTECT,
                                related_name="+")
    region_path = models.CharField(max_length=255, editable=False)  # the canteen's, for scoping the log
    dining = models.BooleanField(_("就餐区"))  # the channel showed the dining area (personal data)
    live = models.BooleanField(_("实时"))
    range_start = models.DateTimeField(_("回放起"), null=True, blank=True)
    range_end = models.DateTimeField(_("回放止"), null=True, blank=True)
    purpose = models.CharField(_("查看事由"), max_length=16, choices=ViewPurpose.choices)
    started_at = models.DateTimeField(_("开始时间"))
    last_seen_at = models.DateTimeField(_("最近在看"))
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = "视频查看记录"
        verbose_name_plural = "视频查看记录"
        constraints = [
            models.CheckConstraint(
                condition=(Q(live=True) & Q(range_start__isnull=True) & Q(range_end__isnull=True))
                | (Q(live=False) & Q(range_start__isnull=False) & Q(range_end__gt=models.F("range_start"))),
                name="video_view_live_or_range"),
        ]
        indexes = [models.Index(fields=["region_path", "-started_at"], name="video_view_region_started")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.channel_id} {self.started_at:%Y-%m-%d %H:%M}"


register("video.viewsession", Scope("video_log", ("region_path",), canteen_field=None))
