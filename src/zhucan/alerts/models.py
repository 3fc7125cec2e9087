"""Anomaly alerts (预警, HZ-10): a rule's finding about meals, an elder, a canteen or a camera,
handled by the district: open → assigned → investigating → closed as confirmed (the benefit
recovered through a settlement adjustment) or dismissed with a reason.

Rules are code (`rules.register_rule`); their thresholds are data: `RuleSetting` keeps the city's
values per rule code over the rule's defaults."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class AlertStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    ASSIGNED = "assigned", _("已指派")
    INVESTIGATING = "investigating", _("核查中")
    CONFIRMED = "confirmed", _("已确认")
    DISMISSED = "dismissed", _("已排除")


OPEN_STATUSES = (AlertStatus.OPEN, AlertStatus.ASSIGNED, AlertStatus.INVESTIGATING)
CLOSED_STATUSES = (AlertStatus.CONFIRMED, AlertStatus.DISMISSED)


class Alert(models.Model):
    rule = models.CharField(_("预警规则"), max_length=64, db_index=True)
    title = models.CharField(_("标题"), max_length=200)
    status = models.CharField(_("状态"), max_length=16, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    occurred_at = models.DateTimeField(_("发生时间"))
    local_date = models.DateField(_("发生日期"), db_index=True)  # occurred_at's date in Asia/Shanghai
    canteen = models.ForeignKey("canteens.Canteen", verbose_name=_("助餐点"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    elder = models.ForeignKey("elders.Elder", verbose_name=_("老人"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    # The district that handles it (list filter), and the most precise region path (scoping).
    district = models.ForeignKey("regions.Region", verbose_name=_("区县"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=255, db_index=True)
    details = models.JSONField(_("情况"), default=dict, blank=True)  # {Chinese label: shown value}
    meals = models.ManyToManyField("checkout.Meal", verbose_name=_("涉及餐次"), blank=True, related_name="+")
    dedupe_key = models.CharField(max_length=200, unique=True)
    snapshot = models.BinaryField(null=True, blank=True, editable=False)
    snapshot_content_type = models.CharField(max_length=40, blank=True)
    raised_at = models.DateTimeField(_("预警时间"))
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("处理人"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    assigned_at = models.DateTimeField(_("指派时间"), null=True, blank=True)
    investigating_at = models.DateTimeField(_("开始核查时间"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    close_reason = models.TextField(_("处理意见"), blank=True)
    recovery_fen = models.BigIntegerField(_("追回补贴（分）"), default=0)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = "预警"
        verbose_name_plural = "预警"
        indexes = [models.Index(fields=["status", "local_date"], name="alert_status_date")]
        constraints = [
            models.CheckConstraint(condition=Q(recovery_fen__gte=0), name="alert_recovery_non_negative"),
            models.CheckConstraint(condition=~Q(status__in=["confirmed", "dismissed"]) | Q(closed_at__isnull=False),
                                   name="alert_closed_has_time"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class RuleSetting(models.Model):
    """The city's thresholds for one rule code (over the rule's registered defaults)."""

    code = models.CharField(max_length=64, unique=True)
    enabled = models.BooleanField(_("启用"), default=True)
    params = models.JSONField(default=dict, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "预警规则阈值"
        verbose_name_plural = "预警规则阈值"

    def __str__(self) -> str:
        return self.code


class DetectionRun(models.Model):
    """One run of the detection over one local date (daily job, the console's button or the CLI)."""

    day = models.DateField(_("检测日期"))
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    raised = models.IntegerField(default=0)  # new alerts
    seen = models.IntegerField(default=0)  # findings already alerted (dedupe)
    errors = models.JSONField(default=dict, blank=True)  # rule code → message, when a detector failed

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.day}"
