"""Ordering ahead (issue 17): menus published per day and period with portions and an order cut-off,
the communities each canteen delivers to, orders placed through every channel (the elder's phone,
a bound family member's phone, staff on a phone call, the canteen, standing orders) and standing
orders with per-weekday choices, pauses and skipped occurrences.

An order's benefit is held by a `checkout.Reservation` (source "order:<id>") on the elder's city-wide
day-usage row; the meal enters the ledger at handover, carrying the reservation."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhucan.canteens.models import PeriodName
from zhucan.core import sealed

ADDRESS_CONTEXT = "order.address"


class Fulfilment(models.TextChoices):
    PICKUP = "pickup", _("到店自取")
    DELIVERY = "delivery", _("送餐上门")


class OrderChannel(models.TextChoices):
    ELDER_PHONE = "elder_phone", _("老人手机")
    FAMILY_PHONE = "family_phone", _("家属代订")
    STAFF = "staff", _("社区代订")
    CANTEEN = "canteen", _("食堂代订")
    STANDING = "standing", _("长期订餐")


class OrderStatus(models.TextChoices):
    PLACED = "placed", _("已下单")
    CANCELLED = "cancelled", _("已取消")
    HANDED_OVER = "handed_over", _("已交付")
    FAILED = "failed", _("未送达")
    EXPIRED = "expired", _("已过期")


class HandoverMethod(models.TextChoices):
    COUNTER = "counter", _("到店取餐")
    ELDER_CODE = "elder_code", _("扫长者码")
    HANDOVER_CODE = "handover_code", _("交付码")
    PHOTO = "photo", _("拍照确认")


class PeriodCutoff(models.Model):
    """Per canteen and period: when orders close that day, and whether the canteen delivers then."""

    canteen = models.ForeignKey("canteens.Canteen", on_delete=models.CASCADE, related_name="order_cutoffs")
    period = models.CharField(_("时段"), max_length=16, choices=PeriodName.choices)
    cutoff = models.TimeField(_("截止时间"))
    delivers = models.BooleanField(_("送餐"), default=False)
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        ordering = ["canteen_id", "cutoff"]
        verbose_name = "订餐截止时间"
        verbose_name_plural = "订餐截止时间"
        constraints = [models.UniqueConstraint(fields=["canteen", "period"], name="cutoff_unique_per_period")]


    def __str__(self) -> str:
        return f"{self.get_period_display()} {self.cutoff:%H:%M}"

class MenuOffer(models.Model):
    """A dish (or set meal: a dish of the canteen's menu in the 套餐 category) offered for ordering on
    one day and period, with the portions available (None = no limit) and those already taken."""

    canteen = models.ForeignKey("canteens.Canteen", on_delete=models.CASCADE, related_name="offers")
    local_date = models.DateField(_("日期"))
    period = models.CharField(_("时段"), max_length=16, choices=PeriodName.choices)
    dish = models.ForeignKey("canteens.Dish", on_delete=models.PROTECT, related_name="offers")
    name = models.CharField(_("名称"), max_length=60)
    price_fen = models.BigIntegerField(_("价格（分）"))
    portions = models.PositiveIntegerField(_("份数"), null=True, blank=True)
    portions_taken = models.PositiveIntegerField(_("已订份数"), default=0)
    delivers = models.BooleanField(_("可送餐"), default=False)
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")

    class Meta:
        ordering = ["local_date", "period", "id"]
        verbose_name = "预订菜单"
        verbose_name_plural = "预订菜单"
        indexes = [models.Index(fields=["canteen", "local_date", "period"])]
        constraints = [
            models.UniqueConstraint(fields=["canteen", "local_date", "period", "dish"], name="offer_unique_dish"),
            models.CheckConstraint(condition=Q(price_fen__gte=0), name="offer_price_non_negative"),
            models.CheckConstraint(condition=Q(portions__isnull=True) | Q(portions_taken__lte=models.F("portions")),
                                   name="offer_not_oversold"),
        ]

    def __str__(self) -> str:
        return f"{self.local_date} {self.get_period_display()} {self.name}"

    @property
    def portions_left(self) -> int | None:
        return None if self.portions is None else max(self.portions - self.portions_taken, 0)


class CoverageArea(models.Model):
    """Where the canteen delivers: communities (its own is required) and an optional radius from its
    coordinates."""

    canteen = models.OneToOneField("canteens.Canteen", on_delete=models.CASCADE, related_name="coverage")
    communities = models.ManyToManyField("regions.Region", verbose_name=_("配送社区"), related_name="+")
    radius_m = models.PositiveIntegerField(_("配送半径（米）"), null=True, blank=True)
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        verbose_name = "配送范围"
        verbose_name_plural = "配送范围"


    def __str__(self) -> str:
        return f"{self.canteen} 配送范围"

class StandingOrder(models.Model):
    """"Every weekday lunch, delivered": per-weekday choices {"1": [[dish id, qty], ...], ...} (ISO
    weekdays, 1 = Monday), paused until a date, generating orders before each cut-off."""

    elder = models.ForeignKey("elders.Elder", on_delete=models.CASCADE, related_name="standing_orders")
    canteen = models.ForeignKey("canteens.Canteen", on_delete=models.PROTECT, related_name="standing_orders")
    period = models.CharField(_("时段"), max_length=16, choices=PeriodName.choices)
    fulfilment = models.CharField(_("取餐方式"), max_length=16, choices=Fulfilment.choices)
    address_encrypted = models.TextField(blank=True, editable=False)
    weekdays = models.JSONField(_("每周选择"), default=dict)
    paused_until = models.DateField(_("暂停至"), null=True, blank=True)
    active = models.BooleanField(_("有效"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_by_account = models.ForeignKey("elderphone.PhoneAccount", null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    address = sealed.sealed_text("address", context=ADDRESS_CONTEXT)

    class Meta:
        ordering = ["id"]
        verbose_name = "长期订餐"
        verbose_name_plural = "长期订餐"


    def __str__(self) -> str:
        return f"长期订餐{self.pk}"

class StandingSkip(models.Model):
    """One occurrence cancelled: it stays cancelled (generation never brings it back)."""

    standing = models.ForeignKey(StandingOrder, on_delete=models.CASCADE, related_name="skips")
    date = models.DateField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["standing", "date"], name="standing_skip_once")]


    def __str__(self) -> str:
        return f"{self.standing_id} {self.date}"

class StandingRun(models.Model):
    """What generation did for one standing order and day: placed, or why not (sold out, closed...)."""

    standing = models.ForeignKey(StandingOrder, on_delete=models.CASCADE, related_name="runs")
    date = models.DateField()
    outcome = models.CharField(max_length=24)  # placed | skipped | paused | sold_out | closed | refused
    note = models.CharField(max_length=200, blank=True)
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-date", "id"]
        constraints = [models.UniqueConstraint(fields=["standing", "date"], name="standing_run_once")]


    def __str__(self) -> str:
        return f"{self.standing_id} {self.date} {self.outcome}"

class Order(models.Model):
    elder = models.ForeignKey("elders.Elder", on_delete=models.PROTECT, related_name="orders")
    canteen = models.ForeignKey("canteens.Canteen", on_delete=models.PROTECT, related_name="orders")
    local_date = models.DateField(_("日期"))
    period = models.CharField(_("时段"), max_length=16, choices=PeriodName.choices)
    fulfilment = models.CharField(_("取餐方式"), max_length=16, choices=Fulfilment.choices)
    address_encrypted = models.TextField(blank=True, editable=False)
    community = models.ForeignKey("regions.Region", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")  # the delivery address's community
    channel = models.CharField(_("下单渠道"), max_length=16, choices=OrderChannel.choices)
    placed_by_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+")
    placed_by_account = models.ForeignKey("elderphone.PhoneAccount", null=True, blank=True,
                                          on_delete=models.PROTECT, related_name="orders")
    standing = models.ForeignKey(StandingOrder, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="orders")
    status = models.CharField(_("状态"), max_length=16, choices=OrderStatus.choices, default=OrderStatus.PLACED)
    gross_fen = models.BigIntegerField(default=0)
    benefit_fen = models.BigIntegerField(default=0)
    delivery_fee_fen = models.BigIntegerField(default=0)
    delivery_subsidy_fen = models.BigIntegerField(default=0)
    payable_fen = models.BigIntegerField(default=0)
    cutoff_at = models.DateTimeField()
    period_end_at = models.DateTimeField()
    handover_code_hash = models.CharField(max_length=128, blank=True)
    paid_online = models.BooleanField(default=False)
    placer = models.CharField(max_length=40)  # "user:<id>" | "account:<id>" | "standing"
    idempotency_key = models.CharField(max_length=64)
    request_digest = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)
    handed_over_at = models.DateTimeField(null=True, blank=True)
    handover_method = models.CharField(max_length=16, choices=HandoverMethod.choices, blank=True)
    handover_evidence = models.CharField(max_length=200, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    fail_reason = models.CharField(max_length=200, blank=True)
    meal = models.OneToOneField("checkout.Meal", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="order")

    address = sealed.sealed_text("address", context=ADDRESS_CONTEXT)

    class Meta:
        ordering = ["-local_date", "-id"]
        verbose_name = "订单"
        verbose_name_plural = "订单"
        indexes = [models.Index(fields=["canteen", "local_date", "period"]),
                   models.Index(fields=["elder", "local_date"])]
        constraints = [
            models.UniqueConstraint(fields=["placer", "idempotency_key"], name="order_idempotent_per_placer"),
            models.UniqueConstraint(fields=["standing", "local_date"], condition=Q(standing__isnull=False),
                                    name="order_standing_once_a_day"),
            models.CheckConstraint(condition=Q(payable_fen__gte=0), name="order_payable_non_negative"),
        ]

    def __str__(self) -> str:
        return f"订单{self.pk}"

    @property
    def reservation_source(self) -> str:
        return f"order:{self.pk}"

    @property
    def address_masked(self) -> str:
        return sealed.mask_address(self.address)


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    offer = models.ForeignKey(MenuOffer, on_delete=models.PROTECT, related_name="lines")
    name = models.CharField(max_length=60)
    quantity = models.PositiveIntegerField()
    unit_price_fen = models.BigIntegerField()
    line_fen = models.BigIntegerField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name}×{self.quantity}"
