"""Face recognition data (《人脸识别技术应用安全管理办法》, 2025; PIPL art. 28–29).

- FaceConsent: a separate consent per use (1:1 verification, 1:N identification), with who recorded
  it, when, and which version of the notice text the elder agreed to; withdrawal is a timestamp
  (the history stays, the enrolment goes).
- FaceEnrolment: one per elder — the 128-d embedding, AES-256-GCM encrypted (never the float bytes
  in the clear), the model that produced it and where it came from. The photo is not kept unless
  the consent says so (and then only encrypted).
- FaceCanteenSetting: 1:N identification is off unless the canteen's district turns it on.
- FaceIndexGeneration: a counter per district moved forward in the same transaction as every change
  to what the district's 1:N index must contain; a persisted or cached index is used only if it
  carries the current number (index.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ConsentScope(models.TextChoices):
    VERIFY = "verify_1_1", _("1:1 人脸核验（刷卡/扫码后比对）")
    IDENTIFY = "identify_1_n", _("1:N 刷脸识别（仅凭人脸）")


class EnrolmentSource(models.TextChoices):
    STAFF_UPLOAD = "staff_upload", _("工作人员上传照片")
    TERMINAL = "terminal", _("助餐点终端现场采集")


class FaceConsent(models.Model):
    elder = models.ForeignKey("elders.Elder", on_delete=models.CASCADE, related_name="face_consents")
    scope = models.CharField(_("用途"), max_length=16, choices=ConsentScope.choices)
    text_version = models.CharField(_("告知同意书版本"), max_length=40)
    keep_photo = models.BooleanField(_("同意保留照片"), default=False)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(_("同意时间"))
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["elder_id", "scope", "-granted_at"]
        verbose_name = "人脸识别单独同意"
        verbose_name_plural = "人脸识别单独同意"
        constraints = [
            models.UniqueConstraint(
                fields=["elder", "scope"], condition=models.Q(withdrawn_at__isnull=True),
                name="face_one_active_consent_per_scope",
            )
        ]

    def __str__(self) -> str:
        return f"{self.elder_id} {self.scope} {self.text_version}"

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None


class FaceEnrolment(models.Model):
    elder = models.OneToOneField("elders.Elder", on_delete=models.CASCADE, related_name="face_enrolment")
    embedding_encrypted = models.TextField(editable=False)  # crypto.encrypt(base64(float32 × 128))
    model_name = models.CharField(max_length=120)
    model_version = models.CharField(max_length=120)
    source = models.CharField(_("录入来源"), max_length=16, choices=EnrolmentSource.choices)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    terminal = models.ForeignKey(
        "accounts.Terminal", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    enrolled_at = models.DateTimeField(_("录入时间"))
    photo_encrypted = models.TextField(blank=True, editable=False)  # only with consent.keep_photo

    class Meta:
        verbose_name = "人脸特征"
        verbose_name_plural = "人脸特征"

    def __str__(self) -> str:
        return f"face enrolment of elder {self.elder_id}"


class IdentifyScope(models.TextChoices):
    DISTRICT = "district", _("本区县已同意的老人")
    CITY = "city", _("全市已同意的老人")


class FaceCanteenSetting(models.Model):
    canteen = models.OneToOneField("canteens.Canteen", on_delete=models.CASCADE, related_name="face_setting")
    identify_enabled = models.BooleanField(_("开启 1:N 刷脸识别"), default=False)
    identify_scope = models.CharField(
        _("识别范围"), max_length=16, choices=IdentifyScope.choices, default=IdentifyScope.DISTRICT
    )
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = "助餐点人脸识别设置"
        verbose_name_plural = "助餐点人脸识别设置"

    def __str__(self) -> str:
        return f"{self.canteen_id}: {'on' if self.identify_enabled else 'off'}"


class FaceIndexGeneration(models.Model):
    district = models.OneToOneField("regions.Region", on_delete=models.CASCADE, related_name="+")
    generation = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = "人脸索引版本"
        verbose_name_plural = "人脸索引版本"

    def __str__(self) -> str:
        return f"{self.district_id}@{self.generation}"
