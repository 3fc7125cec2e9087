"""Identification media: citizen cards bound to elders, and the elder QR code (长者码) with its
signing keys, single-use records, printed card codes, revocations and PINs (HZ-9).

Card numbers are personal information: stored encrypted, found through a blind index, shown
masked. The QR code never carries the elder's database id or ID number, only an opaque handle.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CardStatus(models.TextChoices):
    ACTIVE = "active", _("在用")
    LOST = "lost", _("已挂失")
    REPLACED = "replaced", _("已补卡作废")


class CitizenCard(models.Model):
    """A citizen / social-security card bound to an elder. History is kept: a lost or replaced card
    stays as a row (never deleted), so a found card is recognised and refused."""

    elder = models.ForeignKey("elders.Elder", on_delete=models.CASCADE, related_name="citizen_cards")
    number_encrypted = models.CharField(max_length=200, editable=False)
    number_index = models.CharField(max_length=64, db_index=True, editable=False)
    number_masked = models.CharField(_("卡号"), max_length=32, editable=False)
    status = models.CharField(_("状态"), max_length=16, choices=CardStatus.choices, default=CardStatus.ACTIVE)
    issued_at = models.DateTimeField(_("绑定时间"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    reported_lost_at = models.DateTimeField(_("挂失时间"), null=True, blank=True)
    reported_lost_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="+")
    replaced_at = models.DateTimeField(_("补卡时间"), null=True, blank=True)
    replaced_by = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="replaces")

    class Meta:
        ordering = ["elder_id", "-issued_at", "-id"]
        verbose_name = "市民卡"
        verbose_name_plural = "市民卡"
        constraints = [
            models.UniqueConstraint(fields=["elder"], condition=Q(status="active"),
                                    name="identity_card_one_active_per_elder"),
            models.UniqueConstraint(fields=["number_index"], condition=Q(status="active"),
                                    name="identity_card_number_active_unique"),
            models.CheckConstraint(condition=~Q(status="lost") | Q(reported_lost_at__isnull=False),
                                   name="identity_card_lost_has_date"),
            models.CheckConstraint(condition=~Q(status="replaced") | Q(replaced_at__isnull=False),
                                   name="identity_card_replaced_has_date"),
        ]

    def __str__(self) -> str:
        return f"{self.number_masked}（{self.get_status_display()}）"


class ElderCodeHandle(models.Model):
    """The opaque reference a QR code carries for an elder (12 random bytes, hex)."""

    elder = models.OneToOneField("elders.Elder", on_delete=models.CASCADE, related_name="code_handle")
    handle = models.CharField(max_length=32, unique=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = "长者码标识"
        verbose_name_plural = "长者码标识"

    def __str__(self) -> str:
        return f"{self.handle[:6]}…"


class SigningKey(models.Model):
    """An Ed25519 key that signs elder codes. The newest active key signs; a retired key still
    verifies until the last token it signed expires (`verify_until`)."""

    kid = models.CharField(max_length=8, unique=True)
    private_key_encrypted = models.CharField(max_length=200, editable=False)
    public_key = models.CharField(max_length=64)  # base64url of the 32 raw bytes
    created_at = models.DateTimeField()
    activated_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    # Set at retirement: the latest expiry among the tokens the key signed (card codes included).
    verify_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "长者码签名密钥"
        verbose_name_plural = "长者码签名密钥"
        constraints = [
            models.CheckConstraint(condition=Q(retired_at__isnull=True) | Q(activated_at__isnull=False),
                                   name="identity_key_retired_was_active"),
        ]

    def __str__(self) -> str:
        return self.kid


class QrUse(models.Model):
    """A dynamic code presented for identification: its nonce may be used once, anywhere."""

    nonce_hash = models.CharField(max_length=64, unique=True)
    elder = models.ForeignKey("elders.Elder", on_delete=models.CASCADE, related_name="+")
    canteen = models.ForeignKey("canteens.Canteen", on_delete=models.PROTECT, related_name="+")
    kid = models.CharField(max_length=8)
    used_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)  # rows past this may be pruned

    class Meta:
        ordering = ["-used_at"]
        verbose_name = "长者码使用记录"
        verbose_name_plural = "长者码使用记录"

    def __str__(self) -> str:
        return f"{self.nonce_hash[:8]} @ {self.used_at:%Y-%m-%d %H:%M:%S}"


class CardCode(models.Model):
    """A printed, long-lived card code (长者卡码) for an elder without a phone."""

    code_id = models.CharField(max_length=32, unique=True)  # the token's nonce, hex
    elder = models.ForeignKey("elders.Elder", on_delete=models.CASCADE, related_name="card_codes")
    kid = models.CharField(max_length=8)
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = "长者卡码"
        verbose_name_plural = "长者卡码"

    def __str__(self) -> str:
        return f"{self.code_id[:8]}…"


class CardCodeRevocation(models.Model):
    """A revoked card code; terminals fetch the list (`/identity/revoked.json`)."""

    card_code = models.OneToOneField(CardCode, on_delete=models.CASCADE, related_name="revocation")
    revoked_at = models.DateTimeField()
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    reason = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-revoked_at", "-id"]
        verbose_name = "长者卡码作废记录"
        verbose_name_plural = "长者卡码作废记录"

    def __str__(self) -> str:
        return f"{self.card_code} revoked"


class SecondFactor(models.TextChoices):
    FACE = "face", _("人脸核验")
    PIN = "pin", _("密码")
    PHOTO = "photo", _("收银员核对登记照片")


class CanteenIdentitySettings(models.Model):
    """How a canteen confirms a printed card code (the canteen's choice)."""

    canteen = models.OneToOneField("canteens.Canteen", on_delete=models.CASCADE, related_name="identity_settings")
    card_code_factor = models.CharField(_("卡码二次核验方式"), max_length=8, choices=SecondFactor.choices,
                                        default=SecondFactor.PHOTO)

    class Meta:
        verbose_name = "助餐点核验设置"
        verbose_name_plural = "助餐点核验设置"

    def __str__(self) -> str:
        return f"{self.canteen_id}: {self.card_code_factor}"


class ElderPin(models.Model):
    """The elder's PIN for a printed card code, hashed with Django's password hashers."""

    elder = models.OneToOneField("elders.Elder", on_delete=models.CASCADE, related_name="pin")
    pin_hash = models.CharField(max_length=200)
    set_at = models.DateTimeField()
    failed_count = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "长者密码"
        verbose_name_plural = "长者密码"

    def __str__(self) -> str:
        return f"PIN of elder {self.elder_id}"
