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
        ]

    def __str__(self) -> str:
        return f"{self.canteen} {self.month:%Y-%m}"

    @property
    def locked(self) -> bool:
        return self.status in LOCKED_STATUSES


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
