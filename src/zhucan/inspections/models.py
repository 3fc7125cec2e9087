"""Random inspections by 双随机、一公开 (HZ-12): the district keeps a roster of inspectors (staff of
its jurisdiction) and check items (food hygiene, fire safety, use of funds); a plan draws canteens
(a proportion of those operating) and inspectors at random from a recorded seed, so anyone can
re-run the draw; each drawn inspection is recorded by one of its drawn inspectors (item results,
photos, findings, a rectification deadline), followed up (回头看), and published."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    FOOD_HYGIENE = "food_hygiene", _("食品卫生")
    FIRE_SAFETY = "fire_safety", _("消防安全")
    FUNDS = "funds", _("资金使用")


class Inspector(models.Model):
    """A staff user on the district's roster of inspectors (执法检查人员名录库)."""

    region = models.ForeignKey("regions.Region", verbose_name=_("区县"), on_delete=models.PROTECT,
                               related_name="inspectors")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("检查人员"), on_delete=models.PROTECT,
                             related_name="inspector_rosters")
    active = models.BooleanField(_("在册"), default=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["region__path", "user__username"]
        constraints = [models.UniqueConstraint(fields=["region", "user"], name="inspector_once_per_region")]

    def __str__(self) -> str:
        return self.user.display_name or self.user.username


class CheckItem(models.Model):
    """One check of the district's list (检查事项清单); a serious item failed may suspend designation."""

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="check_items")
    category = models.CharField(_("类别"), max_length=16, choices=Category.choices)
    title = models.CharField(_("检查事项"), max_length=100)
    guidance = models.CharField(_("检查要点"), max_length=300, blank=True)
    serious = models.BooleanField(_("重要事项"), default=False)
    active = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["region_id", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["region", "category", "title"], name="check_item_once")]

    def __str__(self) -> str:
        return self.title


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("待抽取")
    DRAWN = "drawn", _("已抽取，检查中")
    PUBLISHED = "published", _("结果已公开")


class Plan(models.Model):
    """A random-inspection plan: what share of the district's canteens, how many inspectors each,
    which categories; the seed and the method once drawn."""

    region = models.ForeignKey("regions.Region", verbose_name=_("区县"), on_delete=models.PROTECT,
                               related_name="inspection_plans")
    title = models.CharField(_("计划名称"), max_length=100)
    categories = models.JSONField(_("检查类别"), default=list)
    proportion = models.PositiveSmallIntegerField(_("抽取比例（%）"))
    inspectors_per_inspection = models.PositiveSmallIntegerField(_("每组检查人员数"), default=2)
    status = models.CharField(_("状态"), max_length=12, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    seed = models.BigIntegerField(_("随机种子"), null=True, blank=True)
    method = models.TextField(_("抽取方法"), blank=True)
    pool = models.JSONField(default=dict, blank=True)  # the sorted ids the draw ran over
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    drawn_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "双随机检查计划"
        verbose_name_plural = "双随机检查计划"
        constraints = [
            models.CheckConstraint(condition=Q(proportion__gte=1, proportion__lte=100), name="plan_proportion_range"),
            models.CheckConstraint(condition=Q(inspectors_per_inspection__gte=1), name="plan_inspectors_positive"),
            models.CheckConstraint(condition=Q(status="draft") | Q(seed__isnull=False), name="plan_drawn_has_seed"),
        ]

    def __str__(self) -> str:
        return self.title

    def categories_zh(self) -> str:
        labels = dict(Category.choices)
        return "、".join(str(labels.get(c, c)) for c in self.categories)


class InspectionStatus(models.TextChoices):
    DRAWN = "drawn", _("待检查")
    PASSED = "passed", _("检查合格")
    RECTIFYING = "rectifying", _("限期整改")
    RECTIFIED = "rectified", _("回头看：已整改")
    NOT_RECTIFIED = "not_rectified", _("回头看：未整改")


class Inspection(models.Model):
    """One canteen drawn in a plan, with the inspectors drawn for it."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="inspections")
    canteen = models.ForeignKey("canteens.Canteen", verbose_name=_("助餐点"), on_delete=models.PROTECT,
                                related_name="inspections")
    inspectors = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="drawn_inspections")
    status = models.CharField(_("状态"), max_length=16, choices=InspectionStatus.choices,
                              default=InspectionStatus.DRAWN)
    visited_on = models.DateField(_("检查日期"), null=True, blank=True)
    findings = models.TextField(_("检查发现"), blank=True)
    failed_items = models.PositiveSmallIntegerField(default=0)
    serious_failure = models.BooleanField(default=False)
    rectify_by = models.DateField(_("整改期限"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(null=True, blank=True)
    followup_on = models.DateField(_("回头看日期"), null=True, blank=True)
    followup_note = models.TextField(_("回头看情况"), blank=True)
    followup_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    suspended = models.BooleanField(_("已暂停定点"), default=False)

    class Meta:
        ordering = ["plan_id", "canteen__region__path", "canteen__name"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "canteen"], name="inspection_once_per_plan"),
            models.CheckConstraint(condition=~Q(status="rectifying") | Q(rectify_by__isnull=False),
                                   name="inspection_rectifying_has_deadline"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} {self.canteen}"


class Result(models.TextChoices):
    PASS = "pass", _("合格")
    FAIL = "fail", _("不合格")
    NA = "na", _("不适用")


class ItemResult(models.Model):
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="results")
    item = models.ForeignKey(CheckItem, on_delete=models.PROTECT, related_name="+")
    result = models.CharField(max_length=4, choices=Result.choices)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["item__order", "item_id"]
        constraints = [models.UniqueConstraint(fields=["inspection", "item"], name="item_result_once")]

    def __str__(self) -> str:
        return f"{self.item} {self.get_result_display()}"


class Photo(models.Model):
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="photos")
    evidence = models.ForeignKey("filing.Evidence", on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return str(self.evidence)
