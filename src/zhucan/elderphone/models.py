"""Phone accounts of elders and their families, and which elders each account may see.

A `PhoneAccount` is not a Django user: it never logs into the console and a console login never
opens the phone page (separate session key, see `zhucan.elderphone.session`). Staff create an
account by binding a phone number to an elder (`Binding`); the person sets their own password with
an SMS code (`SmsCode`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhucan.elderphone.phones import PHONE_CONTEXT, phone_mask
from zhucan.elders.sealed import sealed_text


class PhoneAccount(models.Model):
    # The number is personal information: stored encrypted, found (login, SMS) by its blind index.
    phone_encrypted = models.CharField(max_length=200, editable=False)
    phone_index = models.CharField(max_length=64, unique=True, editable=False)
    # Django's hasher format; "" until the person sets a password with an SMS code.
    password = models.CharField(max_length=128, blank=True)
    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    failed_logins = models.PositiveIntegerField(default=0)
    last_failed_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    password_set_at = models.DateTimeField(null=True, blank=True)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "手机账号"
        verbose_name_plural = "手机账号"

    def __str__(self) -> str:
        return f"{self.display_name or '—'}（{self.phone_masked}）"

    phone = sealed_text("phone", context=PHONE_CONTEXT, index_purpose=PHONE_CONTEXT)

    @property
    def phone_masked(self) -> str:
        return phone_mask(self.phone)

    @property
    def activated(self) -> bool:
        return bool(self.password)


class Relation(models.TextChoices):
    SELF = "self", _("本人")
    SPOUSE = "spouse", _("配偶")
    CHILD = "child", _("子女")
    OTHER = "other", _("其他亲属")


class Binding(models.Model):
    """The account may see this elder's phone page (code, allowance, meals, family) until revoked.
    History is kept: a revoked binding stays with who revoked it and when."""

    account = models.ForeignKey(PhoneAccount, on_delete=models.PROTECT, related_name="bindings")
    elder = models.ForeignKey("elders.Elder", on_delete=models.CASCADE, related_name="phone_bindings")
    relation = models.CharField(_("关系"), max_length=8, choices=Relation.choices)
    bound_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    bound_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        verbose_name = "手机账号绑定"
        verbose_name_plural = "手机账号绑定"
        ordering = ["bound_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "elder"], condition=models.Q(revoked_at__isnull=True),
                                    name="binding_one_active_per_account_elder"),
            # One own phone per elder, and a phone is the own phone of at most one elder.
            models.UniqueConstraint(fields=["elder"], condition=models.Q(revoked_at__isnull=True, relation="self"),
                                    name="binding_one_active_self_per_elder"),
            models.UniqueConstraint(fields=["account"], condition=models.Q(revoked_at__isnull=True, relation="self"),
                                    name="binding_account_self_once"),
        ]

    def __str__(self) -> str:
        return f"{self.account} → {self.elder_id} ({self.relation})"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class SmsPurpose(models.TextChoices):
    ACTIVATE = "activate", _("开通账号")
    RESET = "reset", _("重设密码")


class SmsCode(models.Model):
    """A 6-digit code sent by SMS: stored only as a keyed hash, valid 5 minutes, 5 tries, once.
    Rows also carry the send rate limit (one per phone per minute, a daily cap)."""

    # Only the number's blind index: the code is sent when issued, the row never needs the number.
    phone_index = models.CharField(max_length=64)
    account = models.ForeignKey(PhoneAccount, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    purpose = models.CharField(max_length=8, choices=SmsPurpose.choices)
    code_hash = models.CharField(max_length=64)
    salt = models.CharField(max_length=32)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    delivered = models.BooleanField(default=False)  # False: no account, nothing was sent (same answer)
    message_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["phone_index", "created_at"])]

    def __str__(self) -> str:
        return f"{self.phone_index[:8]}… {self.purpose} {self.created_at:%Y-%m-%d %H:%M}"
