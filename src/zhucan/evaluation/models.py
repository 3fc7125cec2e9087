"""Elders' voice (issue #18): ratings of a meal they had, and complaints and suggestions (投诉建议)
with their lifecycle — received → assigned to the canteen and its district → answered by the canteen
→ closed by the district with the complainant's satisfaction — under deadlines, escalated to the
city when overdue (HZ-12, LC-6: elders' satisfaction is part of the canteens' evaluation)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhucan.core.sealed import mask_phone, sealed_text

CONTACT_CONTEXT = "evaluation.contact"
DIMENSIONS = ("taste", "portion", "hygiene", "service")


class RatingSource(models.TextChoices):
    PHONE = "phone", _("手机页面")
    STAFF = "staff", _("社区代录")


class Rating(models.Model):
    """One rating of one meal in the ledger (a sale, not reversed), by the elder or a bound family
    member on the phone page, or recorded by community staff from a visit or a call."""

    meal = models.OneToOneField("checkout.Meal", verbose_name=_("就餐记录"), on_delete=models.PROTECT,
                                related_name="rating")
    elder = models.ForeignKey("elders.Elder", verbose_name=_("老人"), on_delete=models.PROTECT, related_name="+")
    canteen = models.ForeignKey("canteens.Canteen", verbose_name=_("助餐点"), on_delete=models.PROTECT,
                                related_name="ratings")
    meal_date = models.DateField(_("就餐日期"), db_index=True)
    taste = models.PositiveSmallIntegerField(_("口味"))
    portion = models.PositiveSmallIntegerField(_("分量"))
    hygiene = models.PositiveSmallIntegerField(_("卫生"))
    service = models.PositiveSmallIntegerField(_("服务"))
    phrases = models.JSONField(_("常用评语"), default=list, blank=True)
    comment = models.CharField(_("留言"), max_length=200, blank=True)
    source = models.CharField(_("来源"), max_length=8, choices=RatingSource.choices)
    account = models.ForeignKey("elderphone.PhoneAccount", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    rated_at = models.DateTimeField(_("评价时间"))

    class Meta:
        ordering = ["-rated_at", "-id"]
        verbose_name = "就餐评价"
        verbose_name_plural = "就餐评价"
        indexes = [models.Index(fields=["canteen", "meal_date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(taste__gte=1, taste__lte=5, portion__gte=1, portion__lte=5, hygiene__gte=1,
                            hygiene__lte=5, service__gte=1, service__lte=5),
                name="rating_scores_one_to_five"),
        ]

    def __str__(self) -> str:
        return f"{self.canteen} {self.meal_date} {self.mean:.1f}"

    @property
    def mean(self) -> float:
        return (self.taste + self.portion + self.hygiene + self.service) / 4


class ComplaintKind(models.TextChoices):
    COMPLAINT = "complaint", _("投诉")
    SUGGESTION = "suggestion", _("建议")


class Channel(models.TextChoices):
    PHONE = "phone", _("手机页面")
    PUBLIC = "public", _("公开页面")
    STAFF = "staff", _("电话或来访登记")


class Status(models.TextChoices):
    RECEIVED = "received", _("已受理")
    ASSIGNED = "assigned", _("已转办")
    ANSWERED = "answered", _("已答复")
    CLOSED = "closed", _("已办结")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")
    UNREACHABLE = "unreachable", _("未能联系")


class Complaint(models.Model):
    """A complaint or suggestion about a canteen. Deadlines are fixed when it is received
    (`answer_due`, `close_due`, counted in working days: settings.ZHUCAN_COMPLAINT_DEADLINES)."""

    code = models.CharField(_("受理编号"), max_length=12, unique=True)
    kind = models.CharField(_("类别"), max_length=12, choices=ComplaintKind.choices)
    channel = models.CharField(_("渠道"), max_length=8, choices=Channel.choices)
    canteen = models.ForeignKey("canteens.Canteen", verbose_name=_("助餐点"), on_delete=models.PROTECT,
                                related_name="complaints")
    district = models.ForeignKey("regions.Region", verbose_name=_("承办区县"), on_delete=models.PROTECT,
                                 related_name="+")
    elder = models.ForeignKey("elders.Elder", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey("elderphone.PhoneAccount", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    contact_name = models.CharField(_("联系人"), max_length=40, blank=True)
    contact_phone_encrypted = models.CharField(max_length=200, blank=True, editable=False)
    contact_phone_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    text = models.TextField(_("内容"))
    status = models.CharField(_("办理状态"), max_length=12, choices=Status.choices, default=Status.RECEIVED)
    received_at = models.DateTimeField(_("受理时间"))
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    answer_due = models.DateTimeField(_("答复期限"))
    close_due = models.DateTimeField(_("办结期限"))
    assigned_at = models.DateTimeField(_("转办时间"), null=True, blank=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    assign_note = models.CharField(_("转办意见"), max_length=500, blank=True)
    answer = models.TextField(_("助餐点答复"), blank=True)
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    satisfaction = models.CharField(_("对答复的满意度"), max_length=12, choices=Satisfaction.choices, blank=True)
    close_note = models.CharField(_("办结意见"), max_length=500, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    escalated_at = models.DateTimeField(_("提级督办时间"), null=True, blank=True)
    escalated_reason = models.CharField(_("提级原因"), max_length=100, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = "投诉建议"
        verbose_name_plural = "投诉建议"
        indexes = [models.Index(fields=["canteen", "received_at"]), models.Index(fields=["status", "answer_due"])]
        constraints = [
            models.CheckConstraint(condition=~Q(status="closed") | Q(closed_at__isnull=False, satisfaction__gt=""),
                                   name="complaint_closed_has_satisfaction"),
            models.CheckConstraint(condition=~Q(status__in=["answered", "closed"]) | Q(answered_at__isnull=False),
                                   name="complaint_answered_has_time"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.get_kind_display()}"

    contact_phone = sealed_text("contact_phone", context=CONTACT_CONTEXT, index_purpose=CONTACT_CONTEXT)

    @property
    def contact_masked(self) -> str:
        return mask_phone(self.contact_phone)

    @property
    def closed_on_time(self) -> bool:
        return self.closed_at is not None and self.closed_at <= self.close_due
