"""Online payment of an order in advance (WeChat Pay v3), its refunds, the callbacks seen, and the
daily reconciliation of the provider's bill against our records. Amounts are integer fen.

One payment per order (`out_trade_no` derived from the order); the canteen is kept here for scoping
(district / canteen) and reconciliation."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PaymentStatus(models.TextChoices):
    CREATED = "created", _("待支付")
    PAID = "paid", _("已支付")
    FAILED = "failed", _("支付失败")
    REFUNDED = "refunded", _("已退款")


class Payment(models.Model):
    provider = models.CharField(max_length=16, default="wechatpay")
    order = models.OneToOneField("orders.Order", on_delete=models.PROTECT, related_name="payment")
    out_trade_no = models.CharField(max_length=32, unique=True)
    canteen = models.ForeignKey("canteens.Canteen", on_delete=models.PROTECT, related_name="payments")
    amount_fen = models.PositiveIntegerField()
    description = models.CharField(max_length=127)
    status = models.CharField(max_length=8, choices=PaymentStatus.choices, default=PaymentStatus.CREATED)
    prepay_id = models.CharField(max_length=64, blank=True)
    h5_url = models.CharField(max_length=512, blank=True)
    transaction_id = models.CharField(max_length=64, blank=True, db_index=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(amount_fen__gt=0), name="payment_amount_positive")]

    def __str__(self) -> str:
        return f"{self.out_trade_no} {self.amount_fen} {self.status}"


class RefundStatus(models.TextChoices):
    PROCESSING = "processing", _("退款中")
    SUCCESS = "success", _("已退款")
    FAILED = "failed", _("退款失败")


class Refund(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    out_refund_no = models.CharField(max_length=64, unique=True)
    amount_fen = models.PositiveIntegerField()
    refund_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=12, choices=RefundStatus.choices, default=RefundStatus.PROCESSING)
    reason = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.out_refund_no} {self.amount_fen} {self.status}"


class CallbackSeen(models.Model):
    """One row per provider notification id: a second delivery of the same id is a replay."""

    notification_id = models.CharField(max_length=64, unique=True)
    event_type = models.CharField(max_length=40)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, null=True, related_name="callbacks")
    received_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.event_type} {self.notification_id}"


class Reconciliation(models.Model):
    day = models.DateField(unique=True)
    provider_count = models.PositiveIntegerField(default=0)
    provider_total_fen = models.BigIntegerField(default=0)
    local_count = models.PositiveIntegerField(default=0)
    local_total_fen = models.BigIntegerField(default=0)
    ran_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"对账 {self.day}"

    @property
    def balanced(self) -> bool:
        return not self.items.exists()


class MismatchKind(models.TextChoices):
    MISSING_LOCAL = "missing_local", _("微信已收款，本系统无记录")
    MISSING_PROVIDER = "missing_provider", _("本系统记为已付，微信账单无此笔")
    AMOUNT = "amount", _("金额不一致")


class ReconciliationItem(models.Model):
    reconciliation = models.ForeignKey(Reconciliation, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=16, choices=MismatchKind.choices)
    out_trade_no = models.CharField(max_length=32)
    transaction_id = models.CharField(max_length=64, blank=True)
    canteen = models.ForeignKey("canteens.Canteen", on_delete=models.PROTECT, null=True, related_name="+")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, null=True, related_name="+")
    provider_fen = models.BigIntegerField(null=True)
    local_fen = models.BigIntegerField(null=True)

    class Meta:
        ordering = ["reconciliation", "kind", "out_trade_no"]

    def __str__(self) -> str:
        return f"{self.kind} {self.out_trade_no}"
