"""Monthly settlement per canteen and funder (HZ-10, HZ-11, LC-4, LC-7), built from the ledger.

A `Statement` is one canteen's month: totals from the meals whose `settle_month` is that month,
benefit by funder, and (`StatementLine`) by rule and funder. Its workflow: draft (generated) →
confirmed or disputed by the canteen → approved by the district → finalised by the city → paid.
A finalised month is locked: later corrections settle in the next open month (Meal.settle_month).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class StatementStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    CONFIRMED = "confirmed", _("助餐点已确认")
    DISPUTED = "disputed", _("助餐点有异议")
    APPROVED = "approved", _("区县已审核")
    FINALISED = "finalised", _("市级已终审")
    PAID = "paid", _("已拨付")


LOCKED_STATUSES = (StatementStatus.FINALISED, StatementStatus.PAID)


class Statement(models.Model):
    canteen = models.ForeignKey("canteens.Canteen", on_delete=models.PROTECT, related_name="statements")
    month = models.DateField(_("结算月份"))  # the first day of the month
    status = models.CharField(_("状态"), max_length=16, choices=StatementStatus.choices,
                              default=StatementStatus.DRAFT)
    generated_at = models.DateTimeField()
    # Counts: sales and reversals recorded; 人次 = elder sales net of reversals; distinct elders.
    sales = models.IntegerField(default=0)
    reversals = models.IntegerField(default=0)
    elder_meals = models.IntegerField(default=0)
    non_elder_meals = models.IntegerField(default=0)
    elders = models.IntegerField(default=0)
    gross_fen = models.BigIntegerField(default=0)
    benefit_fen = models.BigIntegerField(default=0)
    payable_fen = models.BigIntegerField(default=0)
    benefit_city_fen = models.BigIntegerField(default=0)
    benefit_district_fen = models.BigIntegerField(default=0)
    benefit_canteen_fen = models.BigIntegerField(default=0)
    benefit_other_fen = models.BigIntegerField(default=0)
    # Records settling here that belong to an earlier (finalised) month: late refunds, reports.
    adjustments = models.IntegerField(default=0)
    adjustments_benefit_fen = models.BigIntegerField(default=0)
    # Adjustments recorded for the month (`Adjustment`: e.g. a benefit recovered after a confirmed
    # alert), by funder, negative for a recovery. Not ledger records: the ledger figures above stay
    # the ledger's sums; what the funders owe is benefit + adjustment (`net_benefit_fen`).
    adj_count = models.IntegerField(_("调整笔数"), default=0)
    adj_city_fen = models.BigIntegerField(default=0)
    adj_district_fen = models.BigIntegerField(default=0)
    adj_canteen_fen = models.BigIntegerField(default=0)
    adj_other_fen = models.BigIntegerField(default=0)
    adj_fen = models.BigIntegerField(_("调整金额（分）"), default=0)
    mismatches_open = models.IntegerField(default=0)
    mismatches_resolved = models.IntegerField(default=0)
    dispute_note = models.CharField(_("异议说明"), max_length=500, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    finalised_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    finalised_at = models.DateTimeField(null=True, blank=True)
    paid_reference = models.CharField(_("拨付凭证号"), max_length=64, blank=True)
    paid_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-month", "canteen__region__path", "canteen__name"]
        verbose_name = "月度结算单"
        verbose_name_plural = "月度结算单"
        constraints = [
            models.UniqueConstraint(fields=["canteen", "month"], name="statement_one_per_canteen_month"),
            models.CheckConstraint(condition=models.Q(payable_fen=models.F("gross_fen") - models.F("benefit_fen")),
                                   name="statement_payable_is_gross_minus_benefit"),
            models.CheckConstraint(
                condition=models.Q(benefit_fen=models.F("benefit_city_fen") + models.F("benefit_district_fen")
                                   + models.F("benefit_canteen_fen") + models.F("benefit_other_fen")),
                name="statement_benefit_is_sum_of_funders"),
            models.CheckConstraint(condition=~models.Q(status="paid") | ~models.Q(paid_reference=""),
                                   name="statement_paid_has_reference"),
            models.CheckConstraint(
                condition=models.Q(adj_fen=models.F("adj_city_fen") + models.F("adj_district_fen")
                                   + models.F("adj_canteen_fen") + models.F("adj_other_fen")),
                name="statement_adjustment_is_sum_of_funders"),
        ]

    def __str__(self) -> str:
        return f"{self.canteen} {self.month:%Y-%m}"

    @property
    def locked(self) -> bool:
        return self.status in LOCKED_STATUSES

    @property
    def net_benefit_fen(self) -> int:
        """What the funders owe for the month: the ledger's benefit plus the adjustments."""
        return self.benefit_fen + self.adj_fen


class StatementLine(models.Model):
    """Benefit by rule and funder within a statement (sums to the statement's funder totals)."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="lines")
    funder = models.CharField(max_length=16)
    rule_id = models.CharField(max_length=80)
    meals = models.IntegerField()
    amount_fen = models.BigIntegerField()

    class Meta:
        ordering = ["funder", "rule_id"]
        constraints = [
            models.UniqueConstraint(fields=["statement", "funder", "rule_id"], name="statement_line_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.funder} {self.rule_id} {self.amount_fen}"


class Adjustment(models.Model):
    """An amount added to (or, negative, taken from) a canteen's benefit in one open settlement
    month, by funder: e.g. the benefit of meals an anomaly alert confirmed as improper, recovered
    (追回). The ledger is never changed; the month's statement carries the adjustment beside the
    ledger's figures. `source` names what caused it (e.g. "alerts.alert"), `source_id` its id."""

    canteen = models.ForeignKey("canteens.Canteen", verbose_name=_("助餐点"), on_delete=models.PROTECT,
                                related_name="+")
    month = models.DateField(_("结算月份"))  # the first day of the month
    city_fen = models.BigIntegerField(default=0)
    district_fen = models.BigIntegerField(default=0)
    canteen_fen = models.BigIntegerField(default=0)
    other_fen = models.BigIntegerField(default=0)
    amount_fen = models.BigIntegerField(_("金额（分）"))
    reason = models.CharField(_("原因"), max_length=500)
    source = models.CharField(max_length=40, blank=True)
    source_id = models.CharField(max_length=40, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["month", "id"]
        verbose_name = "结算调整"
        verbose_name_plural = "结算调整"
        indexes = [models.Index(fields=["canteen", "month"], name="adjustment_canteen_month")]
        constraints = [
            models.CheckConstraint(condition=models.Q(month__day=1), name="adjustment_month_first_day"),
            models.CheckConstraint(
                condition=models.Q(amount_fen=models.F("city_fen") + models.F("district_fen")
                                   + models.F("canteen_fen") + models.F("other_fen")),
                name="adjustment_amount_is_sum_of_funders"),
            models.UniqueConstraint(fields=["canteen", "source", "source_id"], condition=~models.Q(source=""),
                                    name="adjustment_once_per_source"),
        ]

    def __str__(self) -> str:
        return f"{self.canteen_id} {self.month:%Y-%m} {self.amount_fen}"
