"""Construction subsidies (LC-3), the construction target (LC-1), evaluations (LC-6) and operating
rewards (LC-5). Amounts are integer fen copied from the city's policy file at the moment they are
fixed, with the policy version and its legal reference, so that a later policy change never edits a
granted amount."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhucan.canteens.models import CanteenType


class SubsidyStatus(models.TextChoices):
    APPLIED = "applied", _("已申请")
    RETURNED = "returned", _("区级退回")
    DISTRICT_REVIEWED = "district_reviewed", _("区级已审核")
    REJECTED = "rejected", _("市级否决")
    CITY_APPROVED = "city_approved", _("市级已批准")
    PAID = "paid", _("已拨付")


class ConstructionSubsidy(models.Model):
    """LC-3: one-off construction subsidy of one canteen (at most one that is not rejected)."""

    canteen = models.ForeignKey("canteens.Canteen", verbose_name=_("助餐点"), on_delete=models.PROTECT,
                                related_name="construction_subsidies")
    canteen_type = models.CharField(_("建设类型"), max_length=32, choices=CanteenType.choices)
    city_fen = models.BigIntegerField(_("市级补贴（分）"))
    district_fen = models.BigIntegerField(_("区级补贴（分）"))
    policy_id = models.CharField(max_length=64)
    policy_version = models.CharField(max_length=64)
    policy_ref = models.CharField(_("政策依据"), max_length=300)
    evidence_note = models.TextField(_("申请说明"), blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=SubsidyStatus.choices, default=SubsidyStatus.APPLIED)
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    applied_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_reason = models.CharField(_("区级审核意见"), max_length=300, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    approval_reason = models.CharField(_("市级审批意见"), max_length=300, blank=True)
    paid_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    paid_at = models.DateTimeField(null=True, blank=True)
    payment_reference = models.CharField(_("支付凭证号"), max_length=64, blank=True)

    class Meta:
        ordering = ["-applied_at", "-id"]
        verbose_name = "建设补贴"
        verbose_name_plural = "建设补贴"
        constraints = [
            models.UniqueConstraint(fields=["canteen"], condition=~Q(status="rejected"),
                                    name="subsidy_one_live_per_canteen"),
            models.CheckConstraint(condition=Q(city_fen__gte=0, district_fen__gte=0),
                                   name="subsidy_amounts_non_negative"),
            models.CheckConstraint(condition=~Q(status="paid") | ~Q(payment_reference=""),
                                   name="subsidy_paid_has_reference"),
        ]

    def __str__(self) -> str:
        return f"{self.canteen} 建设补贴"

    @property
    def total_fen(self) -> int:
        return self.city_fen + self.district_fen


class SubsidyEvidence(models.Model):
    """A document supporting an application: a reference (文号、验收编号) and optionally a small file.

    Files are kept in the database (few, small, and covered by the same backups and scoping as the
    application) rather than under MEDIA_ROOT. PIPL: the texts are checked for ID numbers; the form
    asks not to upload personal documents."""

    subsidy = models.ForeignKey(ConstructionSubsidy, on_delete=models.PROTECT, related_name="evidence")
    title = models.CharField(_("材料名称"), max_length=100)
    reference = models.CharField(_("文号/编号"), max_length=100, blank=True)
    file_name = models.CharField(max_length=120, blank=True)
    content_type = models.CharField(max_length=60, blank=True)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    content = models.BinaryField(null=True, blank=True, editable=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        verbose_name = "佐证材料"
        verbose_name_plural = "佐证材料"

    def __str__(self) -> str:
        return self.title


class ConstructionTarget(models.Model):
    """LC-1: how many canteens a district is to build by a deadline (二、工作任务)."""

    region = models.ForeignKey("regions.Region", verbose_name=_("辖区"), on_delete=models.PROTECT,
                               related_name="construction_targets")
    title = models.CharField(_("名称"), max_length=100)
    target_count = models.PositiveIntegerField(_("目标数量"))
    deadline = models.DateField(_("完成期限"))
    legal_ref = models.CharField(_("依据"), max_length=300)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = "建设目标"
        verbose_name_plural = "建设目标"
        constraints = [
            models.UniqueConstraint(fields=["region", "title"], name="target_unique_title_per_region"),
            models.CheckConstraint(condition=Q(target_count__gte=1), name="target_count_positive"),
        ]

    def __str__(self) -> str:
        return self.title


class CanteenEvaluation(models.Model):
    """LC-6: the yearly service-quality assessment's published result (written by the assessment
    app through `services.evaluation_publish`); the operating reward (LC-5) reads `passed`."""

    canteen = models.ForeignKey("canteens.Canteen", verbose_name=_("助餐点"), on_delete=models.PROTECT,
                                related_name="evaluations")
    year = models.PositiveSmallIntegerField(_("年度"))
    passed = models.BooleanField(_("评估合格"))
    score = models.DecimalField(_("得分"), max_digits=4, decimal_places=1, null=True, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    # The grade (excellent / good / pass / fail) and the published assessment it comes from
    # ("assessment:<id>"); empty for a result entered before the assessment existed.
    grade = models.CharField(_("等次"), max_length=10, blank=True)
    source = models.CharField(_("来源"), max_length=40, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField()

    class Meta:
        ordering = ["-year", "canteen__name"]
        verbose_name = "服务质量评估"
        verbose_name_plural = "服务质量评估"
        constraints = [
            models.UniqueConstraint(fields=["canteen", "year"], name="evaluation_one_per_canteen_year"),
            models.CheckConstraint(condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100),
                                   name="evaluation_score_range"),
        ]

    def __str__(self) -> str:
        return f"{self.canteen} {self.year}"

    @property
    def grade_zh(self) -> str:
        return str(GRADE_ZH.get(self.grade, ""))


GRADE_ZH = {"excellent": _("优秀"), "good": _("良好"), "pass": _("合格"), "fail": _("不合格")}


class RewardStatus(models.TextChoices):
    INELIGIBLE = "ineligible", _("不符合条件")
    PROPOSED = "proposed", _("拟奖补")
    CITY_APPROVED = "city_approved", _("市级已批准")
    PAID = "paid", _("已拨付")


class IneligibleReason(models.TextChoices):
    NOT_FULL_YEAR = "not_full_year", _("未满一年")
    EVALUATION = "evaluation", _("评估未通过或未评估")
    BELOW_THRESHOLD = "below_threshold", _("人次未达最低档")


class OperatingReward(models.Model):
    """LC-5: one canteen's operating reward for one year, computed from the ledger and the policy."""

    canteen = models.ForeignKey("canteens.Canteen", verbose_name=_("助餐点"), on_delete=models.PROTECT,
                                related_name="operating_rewards")
    year = models.PositiveSmallIntegerField(_("年度"))
    area = models.CharField(_("城乡类别"), max_length=8)
    meal_count = models.PositiveIntegerField(_("年度就餐人次"))
    full_year = models.BooleanField(_("运营满一年"))
    evaluation_passed = models.BooleanField(_("评估合格"))
    tier_min_meals = models.PositiveIntegerField(_("达到档次（人次）"), null=True, blank=True)
    city_fen = models.BigIntegerField(_("市级奖补（分）"), default=0)
    district_fen = models.BigIntegerField(_("区级奖补（分）"), default=0)
    reasons = models.JSONField(_("不符合原因"), default=list)
    policy_id = models.CharField(max_length=64)
    policy_version = models.CharField(max_length=64)
    policy_ref = models.CharField(_("政策依据"), max_length=300)
    status = models.CharField(_("状态"), max_length=16, choices=RewardStatus.choices)
    computed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    computed_at = models.DateTimeField()
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    paid_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    paid_at = models.DateTimeField(null=True, blank=True)
    payment_reference = models.CharField(_("支付凭证号"), max_length=64, blank=True)

    class Meta:
        ordering = ["-year", "canteen__region__path", "canteen__name"]
        verbose_name = "运营奖补"
        verbose_name_plural = "运营奖补"
        constraints = [
            models.UniqueConstraint(fields=["canteen", "year"], name="reward_one_per_canteen_year"),
            models.CheckConstraint(condition=Q(city_fen__gte=0, district_fen__gte=0),
                                   name="reward_amounts_non_negative"),
            # Nothing is owed to an ineligible canteen.
            models.CheckConstraint(condition=~Q(status="ineligible") | Q(city_fen=0, district_fen=0),
                                   name="reward_ineligible_owes_nothing"),
            models.CheckConstraint(condition=~Q(status="paid") | ~Q(payment_reference=""),
                                   name="reward_paid_has_reference"),
        ]

    def __str__(self) -> str:
        return f"{self.canteen} {self.year} 运营奖补"

    @property
    def total_fen(self) -> int:
        return self.city_fen + self.district_fen

    @property
    def reasons_zh(self) -> list[str]:
        labels = dict(IneligibleReason.choices)
        return [str(labels.get(r, r)) for r in self.reasons]
