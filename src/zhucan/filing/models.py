"""Designation of canteens (HZ-8, LC-2, LC-9): the district selects a canteen (遴选), records the
service agreement, the canteen files online against the eight filing requirements (HZ-F1..F8), the
district reviews each requirement and designates the canteen (定点) with a filing number; later it
may suspend, reinstate or revoke it. Only a designated canteen's meals carry benefits, and only on
the dates inside one of its designated spans (`canteens.DesignatedSpan`, which the policy adapter
reads and only this app writes), so a late meal report is judged by its own date.

Evidence files are kept in the database (as the construction-subsidy evidence is): few, small,
covered by the same backups and scoping as the filing."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Stage(models.TextChoices):
    """Where a canteen stands in the designation lifecycle."""

    SELECTED = "selected", _("已遴选")  # chosen by the district; no agreement yet
    FILING = "filing", _("备案中")  # agreement recorded; the canteen prepares or corrects its filing
    SUBMITTED = "submitted", _("备案待审")
    DESIGNATED = "designated", _("定点")
    SUSPENDED = "suspended", _("暂停定点")
    REVOKED = "revoked", _("撤销定点")


class Designation(models.Model):
    """One row per canteen that entered the lifecycle: its current stage and filing number."""

    canteen = models.OneToOneField("canteens.Canteen", verbose_name=_("助餐点"), on_delete=models.PROTECT,
                                   related_name="designation")
    stage = models.CharField(_("定点状态"), max_length=16, choices=Stage.choices, default=Stage.SELECTED)
    filing_number = models.CharField(_("备案编号"), max_length=40, null=True, blank=True, unique=True)
    selected_at = models.DateTimeField(_("遴选时间"))
    selected_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    selection_note = models.TextField(_("遴选说明"), blank=True)
    designated_on = models.DateField(_("定点日期"), null=True, blank=True)
    # The annual re-check (年度复核): designation is confirmed once a year; reminders before it lapses.
    recheck_due = models.DateField(_("年度复核到期日"), null=True, blank=True)
    # F1 facts as approved at designation (the filing's declaration is the source; these are what
    # reminders and the public page read): the food business licence and who answers for the canteen.
    licence_number = models.CharField(_("食品经营许可证号"), max_length=40, blank=True)
    licence_expiry = models.DateField(_("许可证有效期至"), null=True, blank=True)
    legal_representative = models.CharField(_("法定代表人"), max_length=40, blank=True)
    stage_reason = models.TextField(_("原因"), blank=True)  # why suspended / revoked / reinstated
    stage_changed_at = models.DateTimeField(_("状态变更时间"))

    class Meta:
        ordering = ["canteen__region__path", "canteen__name"]
        verbose_name = "定点备案"
        verbose_name_plural = "定点备案"
        constraints = [
            models.CheckConstraint(
                condition=~Q(stage__in=["designated", "suspended"]) | Q(filing_number__isnull=False),
                name="designation_has_number_when_designated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.canteen} {self.get_stage_display()}"


class Evidence(models.Model):
    """An uploaded image or PDF (checked by content, size-limited, stored with its SHA-256)."""

    file_name = models.CharField(_("文件名"), max_length=120)
    content_type = models.CharField(max_length=40)  # from the content's magic bytes, not the upload's claim
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField(editable=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        verbose_name = "备案材料"
        verbose_name_plural = "备案材料"

    def __str__(self) -> str:
        return self.file_name


class Agreement(models.Model):
    """The service agreement (服务协议) between the district and the canteen's operator."""

    canteen = models.ForeignKey("canteens.Canteen", verbose_name=_("助餐点"), on_delete=models.PROTECT,
                                related_name="agreements")
    number = models.CharField(_("协议编号"), max_length=60)
    party_a = models.CharField(_("甲方"), max_length=100)  # the district civil-affairs bureau
    party_b = models.CharField(_("乙方"), max_length=100)  # the canteen's operator
    start_date = models.DateField(_("起始日期"))
    end_date = models.DateField(_("终止日期"))
    scan = models.ForeignKey(Evidence, verbose_name=_("协议扫描件"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    renews = models.ForeignKey("self", verbose_name=_("续签自"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="renewals")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["canteen_id", "-start_date"]
        verbose_name = "服务协议"
        verbose_name_plural = "服务协议"
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gt=models.F("start_date")), name="agreement_end_after_start"),
            models.UniqueConstraint(fields=["canteen", "number"], name="agreement_number_once_per_canteen"),
        ]

    def __str__(self) -> str:
        return self.number


class FilingStatus(models.TextChoices):
    DRAFT = "draft", _("填报中")
    SUBMITTED = "submitted", _("待审核")
    RETURNED = "returned", _("已退回")
    APPROVED = "approved", _("已通过")


class Filing(models.Model):
    """One round of the canteen's filing. A returned round stays as it was (history); resubmitting
    opens the next round, carrying the declarations, evidence and passed reviews forward."""

    canteen = models.ForeignKey("canteens.Canteen", verbose_name=_("助餐点"), on_delete=models.PROTECT,
                                related_name="filings")
    round = models.PositiveSmallIntegerField(_("轮次"))
    status = models.CharField(_("状态"), max_length=12, choices=FilingStatus.choices, default=FilingStatus.DRAFT)
    created_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        ordering = ["canteen_id", "-round"]
        verbose_name = "备案申报"
        verbose_name_plural = "备案申报"
        constraints = [
            models.UniqueConstraint(fields=["canteen", "round"], name="filing_round_once"),
            models.UniqueConstraint(fields=["canteen"], condition=Q(status__in=["draft", "submitted"]),
                                    name="filing_one_open_round"),
        ]

    def __str__(self) -> str:
        return f"{self.canteen} 第{self.round}轮"


class Requirement(models.TextChoices):
    """The eight filing requirements of the seed's 附件1 (HZ-F1..F8), in its order."""

    F1 = "F1", _("依法登记并具备服务资质")
    F2 = "F2", _("阳光厨房实时画面")
    F3 = "F3", _("执行统一优惠标准")
    F4 = "F4", _("就餐数据完整并实时上传")
    F5 = "F5", _("收银终端支持卡、码、脸与小票打印")
    F6 = "F6", _("惠老优先窗口与爱心餐桌")
    F7 = "F7", _("线上点单与送餐上门")
    F8 = "F8", _("就餐区联网视频监控")


class CheckResult(models.TextChoices):
    """What the platform itself found for a requirement (beside the reviewer's decision)."""

    PASSED = "passed", _("自动核验通过")
    FAILED = "failed", _("自动核验未通过")
    PENDING = "pending", _("待核验")
    DECLARED = "declared", _("以申报材料为准")  # the platform cannot know yet (no such capability)
    NOT_APPLICABLE = "not_applicable", _("不适用")


class Review(models.TextChoices):
    PENDING = "pending", _("待审核")
    PASSED = "passed", _("通过")
    RETURNED = "returned", _("退回修改")


class FilingItem(models.Model):
    """One requirement of one filing round: what the canteen declared, its evidence, what the
    platform checked, and the district's decision."""

    filing = models.ForeignKey(Filing, on_delete=models.CASCADE, related_name="items")
    requirement = models.CharField(_("备案要求"), max_length=2, choices=Requirement.choices)
    declaration = models.JSONField(_("申报内容"), default=dict, blank=True)
    evidence = models.ManyToManyField(Evidence, blank=True, related_name="items")
    check_result = models.CharField(_("自动核验"), max_length=16, choices=CheckResult.choices,
                                    default=CheckResult.PENDING)
    check_detail = models.JSONField(default=list, blank=True)  # Chinese lines the reviewer reads
    checked_at = models.DateTimeField(null=True, blank=True)
    review = models.CharField(_("审核结果"), max_length=10, choices=Review.choices, default=Review.PENDING)
    return_reason = models.TextField(_("退回原因"), blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["filing_id", "requirement"]
        constraints = [
            models.UniqueConstraint(fields=["filing", "requirement"], name="filing_item_once"),
            models.CheckConstraint(condition=~Q(review="returned") | ~Q(return_reason=""),
                                   name="filing_item_return_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.filing} {self.requirement}"


class TerminalCapabilities(models.Model):
    """What a registered terminal says it can do (F5), reported through API v1."""

    terminal = models.OneToOneField("accounts.Terminal", on_delete=models.CASCADE, related_name="capabilities")
    citizen_card_reader = models.BooleanField(default=False)
    id_card_reader = models.BooleanField(default=False)
    face = models.BooleanField(default=False)
    card_payment = models.BooleanField(default=False)
    qr_payment = models.BooleanField(default=False)
    receipt_printer = models.BooleanField(default=False)
    software = models.CharField(max_length=80, blank=True)
    reported_at = models.DateTimeField()

    def __str__(self) -> str:
        return str(self.terminal)


class TerminalTestKind(models.TextChoices):
    RECEIPT = "receipt", _("测试小票打印")
    IDENTIFICATION = "identification", _("测试身份识别")
    MEAL = "meal", _("测试就餐数据上传")


class TerminalTest(models.Model):
    """A test a terminal ran for its canteen's filing (F4, F5): a test receipt printed, an elder
    identified, a training-mode meal uploaded. Never part of the ledger or of any settlement."""

    terminal = models.ForeignKey("accounts.Terminal", on_delete=models.CASCADE, related_name="filing_tests")
    kind = models.CharField(max_length=16, choices=TerminalTestKind.choices)
    at = models.DateTimeField()  # when the platform received it
    occurred_at = models.DateTimeField(null=True, blank=True)  # when the terminal says it happened
    detail = models.JSONField(default=dict, blank=True)
    passed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return self.get_kind_display()


class ReminderKind(models.TextChoices):
    AGREEMENT_END = "agreement_end", _("服务协议即将到期")
    RECHECK = "recheck", _("年度复核即将到期")
    LICENCE_EXPIRY = "licence_expiry", _("食品经营许可证即将到期")
    LICENCE_LAPSED = "licence_lapsed", _("食品经营许可证已过期")


class Reminder(models.Model):
    """A lapse the district is told about before it happens (and when it has happened)."""

    canteen = models.ForeignKey("canteens.Canteen", on_delete=models.CASCADE, related_name="filing_reminders")
    kind = models.CharField(max_length=20, choices=ReminderKind.choices)
    due = models.DateField()
    raised_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due", "id"]
        constraints = [models.UniqueConstraint(fields=["canteen", "kind", "due"], name="reminder_once")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.due}"
