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


# ---------------------------------------------------------------------------------------------
# 最满意老年食堂: the city's campaign (issue #18 item 5)


class CampaignStatus(models.TextChoices):
    OPEN = "open", _("进行中")
    PUBLISHED = "published", _("已公布")


class Campaign(models.Model):
    """The city's "most satisfying elderly canteen" selection: districts nominate, the score combines
    elders' ratings over [period_start, period_end], the yearly assessment of `assessment_year` and
    the public vote in [vote_start, vote_end), with the weights (percent, summing to 100)."""

    city = models.ForeignKey("regions.Region", verbose_name=_("城市"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("名称"), max_length=100)
    period_start = models.DateField(_("评价统计起始日"))
    period_end = models.DateField(_("评价统计截止日"))
    assessment_year = models.PositiveSmallIntegerField(_("年度评估年份"))
    vote_start = models.DateTimeField(_("投票开始"))
    vote_end = models.DateTimeField(_("投票截止"))
    weight_ratings = models.PositiveSmallIntegerField(_("老年人评价权重"))
    weight_assessment = models.PositiveSmallIntegerField(_("年度评估权重"))
    weight_votes = models.PositiveSmallIntegerField(_("公众投票权重"))
    status = models.CharField(_("状态"), max_length=12, choices=CampaignStatus.choices, default=CampaignStatus.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)
    method = models.TextField(_("评选办法"), blank=True)  # as published, in words

    class Meta:
        ordering = ["-vote_start", "-id"]
        verbose_name = "最满意老年食堂评选"
        verbose_name_plural = "最满意老年食堂评选"
        constraints = [
            models.CheckConstraint(condition=Q(weight_ratings__lte=100, weight_assessment__lte=100,
                                               weight_votes__lte=100)
                                   & Q(weight_ratings=100 - models.F("weight_assessment") - models.F("weight_votes")),
                                   name="campaign_weights_sum_to_100"),
            models.CheckConstraint(condition=Q(vote_end__gt=models.F("vote_start")), name="campaign_vote_window"),
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="campaign_period"),
        ]

    def __str__(self) -> str:
        return self.title


class Nominee(models.Model):
    """A canteen nominated by its district; the score parts are written when the result is published."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="nominees")
    canteen = models.ForeignKey("canteens.Canteen", verbose_name=_("助餐点"), on_delete=models.PROTECT,
                                related_name="+")
    reason = models.CharField(_("推荐理由"), max_length=300, blank=True)
    nominated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    nominated_at = models.DateTimeField()
    ratings_score = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    ratings_count = models.PositiveIntegerField(null=True, blank=True)
    assessment_score = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    votes = models.PositiveIntegerField(null=True, blank=True)  # counted (flagged ones left out)
    votes_score = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    total = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    rank = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["campaign_id", "rank", "canteen__name"]
        constraints = [models.UniqueConstraint(fields=["campaign", "canteen"], name="nominee_once_per_campaign")]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.canteen}"


class Vote(models.Model):
    """One vote per elder per campaign, cast by the elder's own account or a bound family account.
    Flagged votes (`flags`: "new_account", "burst") are excluded from the score and listed for review."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="votes")
    nominee = models.ForeignKey(Nominee, on_delete=models.PROTECT, related_name="vote_set")
    elder = models.ForeignKey("elders.Elder", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey("elderphone.PhoneAccount", on_delete=models.PROTECT, related_name="+")
    cast_at = models.DateTimeField()
    flags = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-cast_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "elder"], name="vote_once_per_elder")]
        indexes = [models.Index(fields=["account", "cast_at"])]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.elder_id}→{self.nominee_id}"
