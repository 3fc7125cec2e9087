"""The yearly service-quality assessment (LC-6, HZ-12): the district's indicator table for a year
(dimensions → items, each with a weight in the total, a maximum score and scoring guidance; the
weights add up to 100; the grade thresholds are data too), one assessment per canteen scored item by
item — by the assessor with evidence or a note, or filled from the platform's own data — a contest
the canteen may file once before its deadline, and the published result, which the funds app keeps
as the canteen's evaluation for the operating reward (LC-5)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    """Where an item's score comes from."""

    MANUAL = "manual", _("评估人员打分")
    MEALS = "meals", _("平台数据：年度就餐人次")
    SATISFACTION = "satisfaction", _("平台数据：老年人满意度")
    COMPLAINTS = "complaints", _("平台数据：投诉按期办结率")
    INSPECTIONS = "inspections", _("平台数据：双随机检查")
    VIDEO = "video", _("平台数据：视频在线率")


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("优秀")
    GOOD = "good", _("良好")
    PASS = "pass", _("合格")
    FAIL = "fail", _("不合格")


class IndicatorTable(models.Model):
    """A district's indicator table for one year."""

    region = models.ForeignKey("regions.Region", verbose_name=_("区县"), on_delete=models.PROTECT,
                               related_name="indicator_tables")
    year = models.PositiveSmallIntegerField(_("年度"))
    title = models.CharField(_("名称"), max_length=100)
    excellent_min = models.DecimalField(_("优秀分数线"), max_digits=4, decimal_places=1, default=Decimal(90))
    good_min = models.DecimalField(_("良好分数线"), max_digits=4, decimal_places=1, default=Decimal(80))
    pass_min = models.DecimalField(_("合格分数线"), max_digits=4, decimal_places=1, default=Decimal(60))
    contest_days = models.PositiveSmallIntegerField(_("异议期（天）"), default=7)
    legal_ref = models.CharField(_("依据"), max_length=300, blank=True)
    reference_note = models.TextField(_("参考"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-year", "region__path"]
        verbose_name = "评估指标体系"
        verbose_name_plural = "评估指标体系"
        constraints = [
            models.UniqueConstraint(fields=["region", "year"], name="indicator_table_once_per_year"),
            models.CheckConstraint(condition=Q(pass_min__lte=models.F("good_min"),
                                               good_min__lte=models.F("excellent_min"), excellent_min__lte=100,
                                               pass_min__gte=0), name="indicator_table_thresholds_ordered"),
        ]

    def __str__(self) -> str:
        return self.title

    def grade_for(self, total: Decimal) -> str:
        if total >= self.excellent_min:
            return Grade.EXCELLENT
        if total >= self.good_min:
            return Grade.GOOD
        if total >= self.pass_min:
            return Grade.PASS
        return Grade.FAIL


class Indicator(models.Model):
    """One item of the table: counts `weight` points of 100, scored from 0 to `max_score`."""

    table = models.ForeignKey(IndicatorTable, on_delete=models.CASCADE, related_name="indicators")
    dimension = models.CharField(_("评估维度"), max_length=40)
    title = models.CharField(_("评估项目"), max_length=100)
    weight = models.DecimalField(_("权重（分）"), max_digits=4, decimal_places=1)
    max_score = models.DecimalField(_("满分"), max_digits=5, decimal_places=1)
    guidance = models.TextField(_("评分标准"))
    source = models.CharField(_("得分来源"), max_length=16, choices=Source.choices, default=Source.MANUAL)
    params = models.JSONField(default=dict, blank=True)  # e.g. {"target": 7000} for meals
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["table_id", "order", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(weight__gt=0, max_score__gt=0), name="indicator_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.dimension} · {self.title}"


class Status(models.TextChoices):
    SCORING = "scoring", _("评分中")
    CONFIRMED = "confirmed", _("已确认，待公布")
    PUBLISHED = "published", _("已公布")


class Assessment(models.Model):
    """One canteen's assessment against one table."""

    table = models.ForeignKey(IndicatorTable, on_delete=models.PROTECT, related_name="assessments")
    canteen = models.ForeignKey("canteens.Canteen", verbose_name=_("助餐点"), on_delete=models.PROTECT,
                                related_name="assessments")
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.SCORING)
    total = models.DecimalField(_("总分"), max_digits=4, decimal_places=1, null=True, blank=True)
    grade = models.CharField(_("等次"), max_length=10, choices=Grade.choices, blank=True)
    contest_until = models.DateField(_("异议截止日期"), null=True, blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")

    class Meta:
        ordering = ["-table__year", "canteen__region__path", "canteen__name"]
        verbose_name = "服务质量评估"
        verbose_name_plural = "服务质量评估"
        constraints = [
            models.UniqueConstraint(fields=["table", "canteen"], name="assessment_once_per_table"),
            models.CheckConstraint(condition=Q(total__isnull=True) | Q(total__gte=0, total__lte=100),
                                   name="assessment_total_range"),
            models.CheckConstraint(condition=Q(status="scoring") | (Q(total__isnull=False) & ~Q(grade="")),
                                   name="assessment_confirmed_has_grade"),
        ]

    def __str__(self) -> str:
        return f"{self.canteen} {self.table.year}"


class Score(models.Model):
    """One item's score in one assessment: automatic (with what was computed) or the assessor's."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="scores")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(_("得分"), max_digits=5, decimal_places=1, null=True, blank=True)
    automatic = models.BooleanField(_("平台自动计算"), default=False)
    basis = models.CharField(_("计算依据"), max_length=300, blank=True)  # what the platform found
    note = models.TextField(_("评分说明"), blank=True)
    evidence = models.ForeignKey("filing.Evidence", verbose_name=_("佐证材料"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    scored_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    scored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["indicator__order", "indicator_id"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "indicator"], name="score_once_per_item"),
            models.CheckConstraint(condition=Q(score__isnull=True) | Q(score__gte=0), name="score_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.assessment} {self.indicator.title}"

    @property
    def weighted(self) -> Decimal | None:
        if self.score is None:
            return None
        return self.score * self.indicator.weight / self.indicator.max_score


class ContestStatus(models.TextChoices):
    PENDING = "pending", _("待处理")
    UPHELD = "upheld", _("异议成立，已改分")
    REJECTED = "rejected", _("异议不成立，维持原分")


class Contest(models.Model):
    """The canteen's one objection to its assessment (one item, with a reason), and its resolution."""

    assessment = models.OneToOneField(Assessment, on_delete=models.CASCADE, related_name="contest")
    indicator = models.ForeignKey(Indicator, verbose_name=_("评估项目"), on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("异议理由"))
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField()
    status = models.CharField(_("处理结果"), max_length=10, choices=ContestStatus.choices,
                              default=ContestStatus.PENDING)
    old_score = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    new_score = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    answer = models.TextField(_("处理意见"), blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "评估异议"
        verbose_name_plural = "评估异议"
        constraints = [
            models.CheckConstraint(condition=Q(status="pending") | ~Q(answer=""), name="contest_resolved_has_answer"),
        ]

    def __str__(self) -> str:
        return f"{self.assessment} 异议"
