"""Users, their role and where in the tree (or which canteen) the role applies. A user's phone is
personal data: the row holds it only encrypted (`phone_encrypted`); `user.phone` reads and writes the
plain number. Nothing looks users up by phone, so there is no blind index."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhucan.core.sealed import mask_phone, sealed_text

PHONE_CONTEXT = "accounts.user.phone"


class Role(models.TextChoices):
    CITY_ADMIN = "city_admin", _("市民政局管理员")
    DISTRICT_ADMIN = "district_admin", _("区县民政管理员")
    SUBDISTRICT_STAFF = "subdistrict_staff", _("街道/社区工作人员")
    CANTEEN_MANAGER = "canteen_manager", _("助餐点负责人")
    CASHIER = "cashier", _("收银员")
    AUDITOR = "auditor", _("审计（只读）")


CANTEEN_ROLES = frozenset({Role.CANTEEN_MANAGER, Role.CASHIER})
REGION_ROLES = frozenset({Role.CITY_ADMIN, Role.DISTRICT_ADMIN, Role.SUBDISTRICT_STAFF, Role.AUDITOR})
# Which tree level each region-bound role is bound to (the auditor may sit at any level).
ROLE_LEVEL = {
    Role.CITY_ADMIN: "city",
    Role.DISTRICT_ADMIN: "district",
    Role.SUBDISTRICT_STAFF: "subdistrict",
}


class User(AbstractUser):
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices, blank=True)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("所属辖区"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="users",
    )
    canteen = models.ForeignKey(
        "canteens.Canteen", verbose_name=_("所属助餐点"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="staff",
    )
    display_name = models.CharField(_("姓名"), max_length=64, blank=True)
    phone_encrypted = models.CharField(max_length=200, blank=True, editable=False)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role__in=["canteen_manager", "cashier"]) | models.Q(canteen__isnull=False),
                name="user_canteen_role_has_canteen",
            ),
            models.CheckConstraint(
                condition=~models.Q(role__in=["city_admin", "district_admin", "subdistrict_staff", "auditor"])
                | models.Q(region__isnull=False),
                name="user_region_role_has_region",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    phone = sealed_text("phone", context=PHONE_CONTEXT)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    @property
    def scope_path(self) -> str | None:
        """The region path this user's view is confined to ('' for superusers: everything)."""
        if self.is_superuser:
            return ""
        if self.role in CANTEEN_ROLES and self.canteen_id:
            return self.canteen.region.path
        if self.region_id:
            return self.region.path
        return None

    @property
    def is_canteen_staff(self) -> bool:
        return self.role in CANTEEN_ROLES


class LoginThrottle(models.Model):
    """Failed logins per key ("user:<name>" or "ip:<addr>"); a key is locked after too many."""

    key = models.CharField(max_length=200, unique=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(null=True)
    locked_until = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"{self.key} ({self.failures})"


class Terminal(models.Model):
    """A cashier terminal or a vendor POS, registered to one canteen, with its own signing key.

    The secret is stored encrypted (it must be recoverable to verify HMAC signatures); `key_id` is
    the public handle a request names. A revoked terminal is refused from that moment."""

    canteen = models.ForeignKey("canteens.Canteen", on_delete=models.PROTECT, related_name="terminals")
    name = models.CharField(_("名称"), max_length=60)
    vendor = models.CharField(_("厂商"), max_length=60, blank=True)
    key_id = models.CharField(max_length=40, unique=True)
    secret_encrypted = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "收银终端"
        verbose_name_plural = "收银终端"

    def __str__(self) -> str:
        return f"{self.name} ({self.key_id})"


class TerminalNonce(models.Model):
    """Nonces seen within the signature window: a replayed request is refused (unique constraint)."""

    terminal = models.ForeignKey(Terminal, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=64)
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["terminal", "nonce"], name="nonce_once_per_terminal")]

    def __str__(self) -> str:
        return self.nonce
