"""The elder registry (老年人档案). ID numbers, phone numbers and addresses are personal information
(PIPL): the plaintext lives only encrypted; lookup goes through a blind index; lists show the masked
form. The citizen card number lives in the identity app's card table, nowhere else."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhucan.elders import sealed


class ElderStatus(models.TextChoices):
    ACTIVE = "active", _("正常")
    DECEASED = "deceased", _("已故")
    MOVED_AWAY = "moved_away", _("已迁出")
    WITHDRAWN = "withdrawn", _("已退出")


class Verification(models.TextChoices):
    """LC-8: subdistricts survey, verify and gate eligibility (摸底调查、信息核查、资格把关)."""

    PENDING = "pending", _("待核查")
    VERIFIED = "verified", _("已核查")
    REJECTED = "rejected", _("未通过")


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class Tag(models.Model):
    """A label that policies may test (e.g. 购买居家养老服务 excludes LC-4 subsidies).

    Standard tags have no region; a district may add its own (region = the district)."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=40)
    region = models.ForeignKey(
        "regions.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["region_id", "code"]
        verbose_name = "标签"
        verbose_name_plural = "标签"

    def __str__(self) -> str:
        return self.name



class DietNote(models.TextChoices):
    """Diet notes kept on the elder's record: the kitchen reads them on the production sheet and
    the labels, the courier on the route."""

    LOW_SALT = "low_salt", _("低盐")
    LOW_SUGAR = "low_sugar", _("低糖")
    LOW_FAT = "low_fat", _("低脂")
    SOFT = "soft", _("软烂")
    MINCED = "minced", _("切碎")
    NO_PORK = "no_pork", _("不吃猪肉")
    NO_BEEF_MUTTON = "no_beef_mutton", _("不吃牛羊肉")
    VEGETARIAN = "vegetarian", _("素食")
    NO_SPICY = "no_spicy", _("不吃辣")


class Elder(models.Model):
    name = models.CharField(_("姓名"), max_length=50)
    id_number_encrypted = models.CharField(max_length=200, editable=False)
    id_number_index = models.CharField(max_length=64, unique=True, editable=False)
    id_number_masked = models.CharField(_("身份证号"), max_length=18, db_index=True, editable=False)
    birth_date = models.DateField(_("出生日期"), editable=False)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices, editable=False)
    phone_encrypted = models.CharField(max_length=200, blank=True, editable=False)
    phone_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    address_encrypted = models.TextField(blank=True, editable=False)
    community = models.ForeignKey(
        "regions.Region", verbose_name=_("所属社区"), on_delete=models.PROTECT, related_name="elders"
    )
    hukou_district = models.ForeignKey(
        "regions.Region", verbose_name=_("户籍区县"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    hukou_note = models.CharField(_("户籍（市外）"), max_length=100, blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("标签"), blank=True, related_name="elders")
    status = models.CharField(_("状态"), max_length=16, choices=ElderStatus.choices, default=ElderStatus.ACTIVE)
    status_since = models.DateField(_("状态变更日期"), null=True, blank=True)
    verification = models.CharField(
        _("资格核查"), max_length=16, choices=Verification.choices, default=Verification.PENDING
    )
    verification_reason = models.CharField(_("核查说明"), max_length=200, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    diet_notes = models.JSONField(_("饮食要求"), default=list, blank=True)
    allergies = models.CharField(_("过敏"), max_length=200, blank=True)
    # Set when the elder left the programme and their personal fields were pseudonymised.
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["community__path", "name", "id"]
        verbose_name = "老年人"
        verbose_name_plural = "老年人"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="active") | models.Q(status_since__isnull=False),
                name="elder_inactive_has_date",
            ),
            models.CheckConstraint(
                condition=~models.Q(verification="rejected") | ~models.Q(verification_reason=""),
                name="elder_rejection_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.id_number_masked}）"

    # Read and set as plain text; stored only as ciphertext (+ a blind index for the phone).
    phone = sealed.sealed_text("phone", context=sealed.PHONE_CONTEXT, index_purpose=sealed.PHONE_CONTEXT)
    address = sealed.sealed_text("address", context=sealed.ADDRESS_CONTEXT)

    @property
    def phone_masked(self) -> str:
        return sealed.mask_phone(self.phone)

    @property
    def address_masked(self) -> str:
        return sealed.mask_address(self.address)

    @property
    def diet_labels(self) -> list[str]:
        labels = dict(DietNote.choices)
        return [str(labels[c]) for c in self.diet_notes or [] if c in labels]

    @property
    def diet_summary(self) -> str:
        """低盐、软烂；过敏：花生 — for sheets, labels and the courier."""
        parts = "、".join(self.diet_labels)
        if self.allergies:
            parts = f"{parts}；过敏：{self.allergies}" if parts else f"过敏：{self.allergies}"
        return parts

    def age_on(self, day) -> int:
        return full_years(self.birth_date, day)


def full_years(birth_date, day) -> int:
    """Full years (周岁) on `day`; a 29 February birthday is reached on 1 March (HZ-1)."""
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


class ElderReach(models.Model):
    """One row per elder, kept by the database itself: what coverage and the not-reached list read,
    so that a city's 300,000 elders are counted in one scan of a narrow table instead of a join of
    the registry with the meal roll-ups (HZ-10).

    The registry half (community, name, birth date, eligibility, tags) is copied by triggers on
    the elders table and its tags (elders migration 0008); the eating half by a trigger on
    checkout's elder × month roll-up (checkout migration 0010), which the checkout writes in the
    meal's transaction: `month` is the latest month the elder has a month row for, as a month
    number (year × 12 + month − 1); bit k of `months_mask` is set while the elder ate in month
    `month − k` (k < 36); `days_mask` and `prev_days_mask` are the days of `month` and of the month
    before (bit d − 1 for day d). `zhucan ledger verify` holds every row against the registry and
    the roll-ups; `zhucan rollups rebuild` rewrites the eating half.
    """

    elder = models.OneToOneField(Elder, primary_key=True, on_delete=models.CASCADE, related_name="reach")
    community = models.ForeignKey("regions.Region", on_delete=models.DO_NOTHING, db_constraint=False,
                                  related_name="+")
    region_path = models.CharField(max_length=255)  # the community's path, for scoping
    name = models.CharField(max_length=50)  # the not-reached list is ordered by community and name
    birth_date = models.DateField()
    eligible = models.BooleanField()  # active, verified, not erased: eligible_elders' filter
    tag_ids = models.CharField(max_length=400, default="")  # ",3,7," — the elder's tags
    month = models.IntegerField(null=True)
    months_mask = models.BigIntegerField(default=0)
    days_mask = models.BigIntegerField(default=0)
    prev_days_mask = models.BigIntegerField(default=0)

    class Meta:
        # The not-reached list's order: its first page is read off the index when many elders were
        # missed, and at worst (none missed) the index is walked once — no slower than a scan and a
        # sort of every row (docs/performance.md). The eating half is not indexed, so the checkout's
        # daily update of a row stays a HOT update.
        indexes = [models.Index(fields=["region_path", "name", "elder"], name="elder_reach_listed",
                                condition=models.Q(eligible=True))]

    def __str__(self) -> str:
        return f"{self.elder_id} {self.month}"


MONTHS_KEPT = 36  # bits of ElderReach.months_mask


def month_number(day) -> int:
    """ElderReach's month number of a date (year × 12 + month − 1)."""
    return day.year * 12 + day.month - 1


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", _("待确认")
    IMPORTED = "imported", _("已导入")
    CANCELLED = "cancelled", _("已取消")


class ImportBatch(models.Model):
    """An uploaded elder file between preview and confirmation. The parsed rows hold ID numbers,
    so the payload is stored encrypted and deleted once imported or cancelled."""

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    filename = models.CharField(max_length=200)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    payload_encrypted = models.TextField(blank=True)
    row_count = models.PositiveIntegerField(default=0)
    valid_count = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED)
    imported_count = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "导入批次"
        verbose_name_plural = "导入批次"

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"
