"""Kitchen and dispatch (issue 17): couriers (canteen staff or registered volunteers), routes of one
canteen, day and period with their stops in the order the canteen arranged, and the remembered
order (per canteen, period and route name) that becomes the next day's default."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhucan.canteens.models import PeriodName
from zhucan.core import sealed

PHONE_CONTEXT = "courier.phone"


class CourierKind(models.TextChoices):
    STAFF = "staff", _("食堂员工")
    VOLUNTEER = "volunteer", _("志愿者")


class Courier(models.Model):
    """Logs in on the courier phone page with their phone number and an SMS code (no password)."""

    canteen = models.ForeignKey("canteens.Canteen", on_delete=models.PROTECT, related_name="couriers")
    name = models.CharField(_("姓名"), max_length=40)
    kind = models.CharField(_("身份"), max_length=16, choices=CourierKind.choices, default=CourierKind.VOLUNTEER)
    phone_encrypted = models.CharField(max_length=200, editable=False)
    phone_index = models.CharField(max_length=64, db_index=True, editable=False)
    active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    phone = sealed.sealed_text("phone", context=PHONE_CONTEXT, index_purpose=PHONE_CONTEXT)

    class Meta:
        ordering = ["canteen_id", "name"]
        verbose_name = "送餐员"
        verbose_name_plural = "送餐员"
        constraints = [models.UniqueConstraint(fields=["canteen", "phone_index"], name="courier_phone_once")]

    def __str__(self) -> str:
        return self.name


class CourierCode(models.Model):
    courier = models.ForeignKey(Courier, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.courier_id} {self.expires_at:%H:%M}"


class Route(models.Model):
    canteen = models.ForeignKey("canteens.Canteen", on_delete=models.PROTECT, related_name="routes")
    local_date = models.DateField(_("日期"))
    period = models.CharField(_("时段"), max_length=16, choices=PeriodName.choices)
    name = models.CharField(_("线路"), max_length=40)
    courier = models.ForeignKey(Courier, null=True, blank=True, on_delete=models.PROTECT, related_name="routes",
                                verbose_name=_("送餐员"))
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["local_date", "period", "name"]
        verbose_name = "送餐线路"
        verbose_name_plural = "送餐线路"
        constraints = [models.UniqueConstraint(fields=["canteen", "local_date", "period", "name"],
                                               name="route_name_once_a_period")]

    def __str__(self) -> str:
        return self.name


class StopStatus(models.TextChoices):
    ASSIGNED = "assigned", _("待取餐")
    PICKED_UP = "picked_up", _("已取餐")
    DELIVERED = "delivered", _("已送达")
    FAILED = "failed", _("未送达")


class Stop(models.Model):
    route = models.ForeignKey(Route, on_delete=models.CASCADE, related_name="stops")
    order = models.OneToOneField("orders.Order", on_delete=models.PROTECT, related_name="stop")
    seq = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=StopStatus.choices, default=StopStatus.ASSIGNED)
    reason = models.CharField(max_length=200, blank=True)
    photo = models.FileField(upload_to="delivery/photos/%Y/%m/", blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["route_id", "seq", "id"]

    def __str__(self) -> str:
        return f"{self.route_id}-{self.seq}"


class StopMemory(models.Model):
    """Where an elder stood in a route the last time the canteen arranged it: the next day's default."""

    canteen = models.ForeignKey("canteens.Canteen", on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=16, choices=PeriodName.choices)
    route_name = models.CharField(max_length=40)
    elder = models.ForeignKey("elders.Elder", on_delete=models.CASCADE, related_name="+")
    seq = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["canteen", "period", "route_name", "elder"],
                                               name="stop_memory_once")]

    def __str__(self) -> str:
        return f"{self.route_name} {self.elder_id}: {self.seq}"
