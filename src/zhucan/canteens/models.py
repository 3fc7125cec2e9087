"""Designated canteens (定点助餐机构 / 幸福食堂), their announced meal periods and their menus."""

from __future__ import annotations

from datetime import time

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CanteenType(models.TextChoices):
    """LC-2: the three ways a Happy Canteen comes into being."""

    COMMUNITY_NEW_BUILD = "community_new_build", _("社区新建型")
    UPGRADE = "upgrade", _("升级改造型")
    ENTERPRISE_BRANDED = "enterprise_branded", _("企业挂牌型")


class CanteenStatus(models.TextChoices):
    PLANNED = "planned", _("规划中")
    UNDER_CONSTRUCTION = "under_construction", _("建设中")
    OPEN = "open", _("运营中")
    SUSPENDED = "suspended", _("暂停营业")
    CLOSED = "closed", _("已关闭")


class Canteen(models.Model):
    name = models.CharField(_("名称"), max_length=100)
    operator = models.CharField(_("运营主体"), max_length=100)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    food_licence = models.CharField(_("食品经营许可证号"), max_length=40, blank=True)
    canteen_type = models.CharField(_("建设类型"), max_length=32, choices=CanteenType.choices)
    area = models.CharField(_("城乡类别"), max_length=8, choices=[("urban", _("城区")), ("rural", _("农村"))])
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("所在辖区"), on_delete=models.PROTECT, related_name="canteens"
    )
    address = models.CharField(_("地址"), max_length=200)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    seats = models.PositiveIntegerField(_("座位数"), default=0)
    floor_area_m2 = models.DecimalField(_("建筑面积（㎡）"), max_digits=8, decimal_places=1, default=0)
    opening_date = models.DateField(_("开业日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=24, choices=CanteenStatus.choices, default=CanteenStatus.OPEN)
    open_to_public = models.BooleanField(_("对社会开放"), default=False)  # HZ-F6: priority window if so
    public_info = models.TextField(_("公开信息"), blank=True)  # LC-9
    service_promises = models.TextField(_("服务承诺"), blank=True)  # LC-9
    # WGS-84 degrees, as a phone's geolocation reports them: the public directory sorts by distance.
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True,
                                   validators=[MinValueValidator(-90), MaxValueValidator(90)])
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True,
                                    validators=[MinValueValidator(-180), MaxValueValidator(180)])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Moved forward by every change to the canteen, its periods or its menu; checkout caches the
    # canteen's context per process under this number (checkout/context.py).
    config_version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["region__path", "name"]
        verbose_name = "助餐点"
        verbose_name_plural = "助餐点"
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="canteen_unique_name_in_region"),
            models.CheckConstraint(condition=models.Q(floor_area_m2__gte=0), name="canteen_area_non_negative"),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="canteen_coordinates_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def district(self):
        return self.region.district


class PeriodName(models.TextChoices):
    BREAKFAST = "breakfast", _("早餐")
    LUNCH = "lunch", _("午餐")
    DINNER = "dinner", _("晚餐")


# HZ-7: the city's standard discount periods; each canteen announces its actual hours.
STANDARD_PERIODS: list[tuple[str, time, time]] = [
    (PeriodName.BREAKFAST, time(6, 30), time(8, 30)),
    (PeriodName.LUNCH, time(10, 30), time(12, 30)),
    (PeriodName.DINNER, time(16, 30), time(18, 30)),
]


class MealPeriod(models.Model):
    """A period the canteen announces (HZ-7: 具体开放时间以食堂公告为准). Both ends inclusive."""

    canteen = models.ForeignKey(Canteen, on_delete=models.CASCADE, related_name="periods")
    name = models.CharField(_("时段"), max_length=16, choices=PeriodName.choices)
    start = models.TimeField(_("开始"))
    end = models.TimeField(_("结束"))

    class Meta:
        ordering = ["start"]
        verbose_name = "供餐时段"
        verbose_name_plural = "供餐时段"
        constraints = [
            models.UniqueConstraint(fields=["canteen", "name"], name="period_unique_per_canteen"),
            models.CheckConstraint(condition=models.Q(start__lt=models.F("end")), name="period_start_before_end"),
        ]

    def __str__(self) -> str:
        return f"{self.get_name_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class Dish(models.Model):
    canteen = models.ForeignKey(Canteen, on_delete=models.CASCADE, related_name="dishes")
    name = models.CharField(_("菜品"), max_length=60)
    category = models.CharField(_("类别"), max_length=30, blank=True)
    price_fen = models.BigIntegerField(_("价格（分）"))
    active = models.BooleanField(_("在售"), default=True)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = "菜品"
        verbose_name_plural = "菜品"
        constraints = [
            models.UniqueConstraint(fields=["canteen", "name"], name="dish_unique_name_per_canteen"),
            models.CheckConstraint(condition=models.Q(price_fen__gte=0), name="dish_price_non_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class DesignatedSpan(models.Model):
    """Dates on which the canteen was designated (定点, HZ-8): opened at designation or reinstatement,
    closed (`end` exclusive) at suspension or revocation. Benefits are given only inside a span. The
    filing app writes these; the policy adapter reads them."""

    canteen = models.ForeignKey(Canteen, on_delete=models.PROTECT, related_name="designated_spans")
    start = models.DateField()
    end = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["canteen_id", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                                   name="span_end_after_start"),
            models.UniqueConstraint(fields=["canteen"], condition=Q(end__isnull=True), name="span_one_open"),
        ]

    def __str__(self) -> str:
        return f"{self.start}–{self.end or ''}"
