"""The meal ledger (HZ-F4, HZ-10): append-only records of every meal, its items, benefit lines by
funder and tenders; one usage row per elder per local date (HZ-3..HZ-5, LC-4); a hash chain per
canteen so that any altered, inserted or deleted record is detectable.

Nothing here is ever updated or deleted after it is written, except the two "head" rows that hold
running state: `ElderDayUsage` (the day's counters) and `CanteenChain` (the chain's head).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class MealKind(models.TextChoices):
    SALE = "sale", _("消费")
    VOID = "void", _("撤销")
    REFUND = "refund", _("退款")


class IdentifiedBy(models.TextChoices):
    NONE = "none", _("非老人顾客")
    CARD = "card", _("市民卡")
    ID_NUMBER = "id_number", _("身份证")
    ELDER_ID = "elder_id", _("档案号")
    QR = "qr", _("长者码")
    QR_CARD = "qr_card", _("长者卡码")
    FACE = "face", _("人脸")


class Mode(models.TextChoices):
    LIVE = "live", _("平台计价")
    REPORT = "report", _("终端上报")


class TenderKind(models.TextChoices):
    CASH = "cash", _("现金")
    CARD = "card", _("市民卡")
    WECHAT = "wechat", _("微信")
    ALIPAY = "alipay", _("支付宝")
    OTHER = "other", _("其他")


class Channel(models.TextChoices):
    """How the meal reached the elder: at the counter, picked up after ordering, or delivered."""

    COUNTER = "counter", _("堂食")
    PICKUP = "pickup", _("自取")
    DELIVERY = "delivery", _("送餐")


class Meal(models.Model):
    """One ledger record: a sale, or the reversal (void/refund) of one."""

    canteen = models.ForeignKey("canteens.Canteen", on_delete=models.PROTECT, related_name="meals")
    terminal = models.ForeignKey("accounts.Terminal", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    cashier = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    elder = models.ForeignKey("elders.Elder", null=True, blank=True, on_delete=models.PROTECT, related_name="meals")
    kind = models.CharField(max_length=8, choices=MealKind.choices, default=MealKind.SALE)
    mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.LIVE)
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="reversal")
    identified_by = models.CharField(max_length=12, choices=IdentifiedBy.choices, default=IdentifiedBy.NONE)
    receipt_no = models.CharField(max_length=32, unique=True)
    at = models.DateTimeField(db_index=True)
    local_date = models.DateField(db_index=True)
    period = models.CharField(max_length=16, blank=True)
    # db_default too: the benchmarks' and tools' raw inserts of counter meals need not name it
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.COUNTER,
                               db_default=Channel.COUNTER)
    gross_fen = models.BigIntegerField()
    benefit_fen = models.BigIntegerField()
    payable_fen = models.BigIntegerField()
    # The benefit by funder, copied from the benefit lines so that a month's settlement is one pass
    # over the meals (HZ-11, LC-4); the lines stay the record of which rule gave what.
    benefit_city_fen = models.BigIntegerField(default=0)
    benefit_district_fen = models.BigIntegerField(default=0)
    benefit_canteen_fen = models.BigIntegerField(default=0)
    benefit_other_fen = models.BigIntegerField(default=0)
    # The month whose statement carries this record: its own month, or the next open month when a
    # late correction concerns a month already finalised (settlement).
    settle_month = models.DateField(db_index=True)
    policy_id = models.CharField(max_length=64, blank=True)
    policy_version = models.CharField(max_length=64, blank=True)
    explanation_zh = models.CharField(max_length=500, blank=True)
    explanation_en = models.CharField(max_length=500, blank=True)
    usage_delta = models.JSONField(default=dict)
    idempotency_key = models.CharField(max_length=80)
    request_digest = models.CharField(max_length=64)
    chain_seq = models.BigIntegerField()
    prev_hash = models.CharField(max_length=64)
    record_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["canteen", "local_date"]), models.Index(fields=["elder", "local_date"])]
        constraints = [
            models.UniqueConstraint(fields=["canteen", "idempotency_key"], name="meal_idempotency_key_unique"),
            models.UniqueConstraint(fields=["canteen", "chain_seq"], name="meal_chain_seq_unique"),
            models.CheckConstraint(condition=models.Q(payable_fen=models.F("gross_fen") - models.F("benefit_fen")),
                                   name="meal_payable_is_gross_minus_benefit"),
            models.CheckConstraint(
                condition=models.Q(benefit_fen=models.F("benefit_city_fen") + models.F("benefit_district_fen")
                                   + models.F("benefit_canteen_fen") + models.F("benefit_other_fen")),
                name="meal_benefit_is_sum_of_funders"),
            models.CheckConstraint(
                condition=(models.Q(kind="sale", reverses__isnull=True, gross_fen__gte=0, benefit_fen__gte=0,
                                    payable_fen__gte=0)
                           | (~models.Q(kind="sale") & models.Q(reverses__isnull=False, gross_fen__lte=0,
                                                                 benefit_fen__lte=0))),
                name="meal_sale_positive_reversal_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.receipt_no

    def rows(self, relation: str) -> list:
        """Items, benefit lines or tenders in the order written — from memory right after the
        commit wrote them (services._remember_rows: the ledger's rows never change once written),
        else from the database."""
        written = self.__dict__.get("_written_rows")
        if written is not None:
            return list(written[relation])
        cached = getattr(self, "_prefetched_objects_cache", {})
        if relation in cached:
            return list(cached[relation])
        return list(getattr(self, relation).order_by("id"))


class MealItem(models.Model):
    meal = models.ForeignKey(Meal, on_delete=models.PROTECT, related_name="items")
    dish = models.ForeignKey("canteens.Dish", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=60)
    quantity = models.IntegerField()
    unit_price_fen = models.BigIntegerField()
    line_fen = models.BigIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(unit_price_fen__gte=0), name="item_price_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.name} × {self.quantity}"


class BenefitLine(models.Model):
    """Who pays which part of the benefit (HZ-11, LC-4: city / district / canteen)."""

    meal = models.ForeignKey(Meal, on_delete=models.PROTECT, related_name="benefit_lines")
    rule_id = models.CharField(max_length=80)
    layer_id = models.CharField(max_length=80)
    funder = models.CharField(max_length=16)
    amount_fen = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.funder} {self.amount_fen}"


class Tender(models.Model):
    meal = models.ForeignKey(Meal, on_delete=models.PROTECT, related_name="tenders")
    kind = models.CharField(max_length=8, choices=TenderKind.choices)
    amount_fen = models.BigIntegerField()
    reference = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_fen}"


class ElderDayUsage(models.Model):
    """The elder's counters for one local date, city-wide (HZ-5): the row commit locks."""

    elder = models.ForeignKey("elders.Elder", on_delete=models.PROTECT, related_name="+")
    local_date = models.DateField()
    usage = models.JSONField(default=dict)
    benefit_fen = models.BigIntegerField(default=0)
    meals = models.IntegerField(default=0)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["elder", "local_date"], name="usage_one_row_per_elder_day"),
            models.CheckConstraint(condition=models.Q(benefit_fen__gte=0), name="usage_benefit_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.elder_id} {self.local_date}"


class ReservationStatus(models.TextChoices):
    HELD = "held", _("已预留")
    CONSUMED = "consumed", _("已用餐")
    RELEASED = "released", _("已释放")


class Reservation(models.Model):
    """A benefit held on the elder's day-usage row for an order (issue 17): placed under the same
    lock as a counter sale and counted on the same row, so a counter checkout and an order for the
    same elder and period can never both be discounted. Released (the delta given back) when the
    order is cancelled or its period ends without a handover; consumed when the meal is handed over
    and enters the ledger carrying it. The usage row = the ledger's meals + held reservations."""

    elder = models.ForeignKey("elders.Elder", on_delete=models.PROTECT, related_name="+")
    canteen = models.ForeignKey("canteens.Canteen", on_delete=models.PROTECT, related_name="+")
    local_date = models.DateField()
    period = models.CharField(max_length=16)
    policy_period = models.CharField(max_length=16, blank=True)  # the policy's period name ("" = none)
    delivery = models.BooleanField(default=False)
    status = models.CharField(max_length=8, choices=ReservationStatus.choices, default=ReservationStatus.HELD)
    items = models.JSONField(default=list)  # [[dish id, name, quantity, unit price fen], ...]
    gross_fen = models.BigIntegerField()  # the food
    benefit_fen = models.BigIntegerField()  # meal benefit + delivery subsidy
    delivery_fee_fen = models.BigIntegerField(default=0)
    delivery_subsidy_fen = models.BigIntegerField(default=0)
    payable_fen = models.BigIntegerField()  # gross + delivery fee - benefit
    lines = models.JSONField(default=list)  # [{"rule_id", "layer_id", "funder", "amount_fen"}]
    usage_delta = models.JSONField(default=dict)
    explanation_zh = models.CharField(max_length=500, blank=True)
    explanation_en = models.CharField(max_length=500, blank=True)
    policy_id = models.CharField(max_length=64, blank=True)
    policy_version = models.CharField(max_length=64, blank=True)
    source = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    released_at = models.DateTimeField(null=True, blank=True)
    release_reason = models.CharField(max_length=200, blank=True)
    meal = models.OneToOneField(Meal, null=True, blank=True, on_delete=models.PROTECT, related_name="reservation")

    class Meta:
        indexes = [models.Index(fields=["status", "local_date"], name="reservation_status_day"),
                   models.Index(fields=["elder", "local_date"], name="reservation_elder_day")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(payable_fen=models.F("gross_fen") + models.F("delivery_fee_fen")
                                   - models.F("benefit_fen")),
                name="reservation_payable_is_gross_plus_fee_minus_benefit"),
            models.CheckConstraint(condition=models.Q(benefit_fen__gte=0, gross_fen__gte=0, payable_fen__gte=0),
                                   name="reservation_amounts_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.status}"


class CanteenChain(models.Model):
    """The head of a canteen's hash chain: the last sequence number and its record hash."""

    canteen = models.OneToOneField("canteens.Canteen", primary_key=True, on_delete=models.PROTECT,
                                   related_name="+")
    seq = models.BigIntegerField(default=0)
    head_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"{self.canteen_id}#{self.seq}"


class MismatchStatus(models.TextChoices):
    OPEN = "open", _("待审核")
    ACCEPTED = "accepted", _("已认可")
    REJECTED = "rejected", _("已驳回")


class ReportMismatch(models.Model):
    """A vendor POS reported a meal whose benefit differs from the platform's re-rating: filed for
    district review. The meal is recorded as the platform rated it."""

    meal = models.OneToOneField(Meal, on_delete=models.PROTECT, related_name="mismatch")
    reported = models.JSONField()
    rated = models.JSONField()
    status = models.CharField(max_length=16, choices=MismatchStatus.choices, default=MismatchStatus.OPEN)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"mismatch {self.meal_id}"


class LockedMonth(models.Model):
    """A canteen-month closed to the ledger: the city finalised its statement (HZ-10), so no record
    may settle in it any more. The ledger owns this fact because the ledger enforces it (a void of a
    meal in a closed month is refused; a late record settles in the next open month); settlement
    writes it when it finalises, in the same transaction."""

    canteen = models.ForeignKey("canteens.Canteen", on_delete=models.PROTECT, related_name="+")
    month = models.DateField()  # the first day of the month
    locked_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["canteen", "month"], name="checkout_locked_month_once"),
            models.CheckConstraint(condition=models.Q(month__day=1), name="checkout_locked_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.canteen_id}@{self.month:%Y-%m}"


# ---- roll-ups (HZ-10 dashboards) -------------------------------------------------------------------
# Maintained in the same transaction as the ledger rows they sum (`checkout/rollups.py`), so the
# dashboards never scan a month of raw meals; `zhucan ledger verify` checks them equal to a GROUP BY
# over the ledger. Counts and money are net: a void or refund subtracts what its original added.


class CanteenSums(models.Model):
    """The sums a canteen roll-up keeps, net of reversals (a day row and a month row alike)."""

    meals = models.IntegerField(default=0)  # sales minus reversals
    elder_meals = models.IntegerField(default=0)  # of them, meals of identified elders (人次)
    sales = models.IntegerField(default=0)
    voids = models.IntegerField(default=0)
    refunds = models.IntegerField(default=0)
    gross_fen = models.BigIntegerField(default=0)
    benefit_fen = models.BigIntegerField(default=0)
    payable_fen = models.BigIntegerField(default=0)
    benefit_city_fen = models.BigIntegerField(default=0)
    benefit_district_fen = models.BigIntegerField(default=0)
    benefit_canteen_fen = models.BigIntegerField(default=0)
    benefit_other_fen = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class CanteenDayRollup(CanteenSums):
    """One canteen × local date × period × identification method."""

    canteen = models.ForeignKey("canteens.Canteen", on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=255)  # the canteen's region path, for prefix scoping
    local_date = models.DateField()
    period = models.CharField(max_length=16, blank=True)
    identified_by = models.CharField(max_length=12, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["canteen", "local_date", "period", "identified_by"],
                                    name="rollup_canteen_day_once"),
        ]
        indexes = [models.Index(fields=["local_date", "region_path"], name="rollup_canteen_day_date")]

    def __str__(self) -> str:
        return f"{self.canteen_id} {self.local_date} {self.period} {self.identified_by}"


class BenefitRuleDayRollup(models.Model):
    """One canteen × local date × policy rule × funder: the benefit by rule."""

    canteen = models.ForeignKey("canteens.Canteen", on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=255)
    local_date = models.DateField()
    rule_id = models.CharField(max_length=80)
    funder = models.CharField(max_length=16)
    lines = models.IntegerField(default=0)
    amount_fen = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["canteen", "local_date", "rule_id", "funder"],
                                    name="rollup_rule_day_once"),
        ]
        indexes = [models.Index(fields=["local_date", "region_path"], name="rollup_rule_day_date")]

    def __str__(self) -> str:
        return f"{self.canteen_id} {self.local_date} {self.rule_id}"


class ElderMonthRollup(models.Model):
    """One elder × month: which days they ate (bit d-1 of `days_mask` for day d, set while the
    day's net meals are above zero), for distinct elders and coverage over any range without the
    ledger. `region_path` is the elder's community path when the row was written."""

    elder = models.ForeignKey("elders.Elder", on_delete=models.PROTECT, related_name="+")
    month = models.DateField()  # the first day of the month
    region_path = models.CharField(max_length=255)
    days_mask = models.BigIntegerField(default=0)
    meals = models.IntegerField(default=0)
    benefit_fen = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["elder", "month"], name="rollup_elder_month_once"),
        ]
        indexes = [models.Index(fields=["month", "region_path"], name="rollup_elder_month_path")]

    def __str__(self) -> str:
        return f"{self.elder_id} {self.month:%Y-%m}"


class CommunityDayRollup(models.Model):
    """One elder community × local date: distinct elders who ate (an elder counts once a day
    however many meals) and their meals and benefit, wherever in the city they ate."""

    community = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=255)
    local_date = models.DateField()
    elders = models.IntegerField(default=0)
    meals = models.IntegerField(default=0)
    benefit_fen = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community", "local_date"], name="rollup_community_day_once"),
        ]
        indexes = [models.Index(fields=["local_date", "region_path"], name="rollup_community_day_date")]

    def __str__(self) -> str:
        return f"{self.community_id} {self.local_date}"


class CanteenMonthRollup(CanteenSums):
    """One canteen × month × period × identification method: the sums of CanteenDayRollup over the
    month's days, so that a city's month or year reads few rows (dashboards split a range into
    whole months read here and edge days read from the day table)."""

    canteen = models.ForeignKey("canteens.Canteen", on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=255)
    month = models.DateField()  # the first day of the month
    period = models.CharField(max_length=16, blank=True)
    identified_by = models.CharField(max_length=12, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["canteen", "month", "period", "identified_by"],
                                    name="rollup_canteen_month_once"),
        ]
        indexes = [models.Index(fields=["month", "region_path"], name="rollup_canteen_month_date")]

    def __str__(self) -> str:
        return f"{self.canteen_id} {self.month:%Y-%m} {self.period} {self.identified_by}"


class BenefitRuleMonthRollup(models.Model):
    """One canteen × month × policy rule × funder: BenefitRuleDayRollup summed over the month."""

    canteen = models.ForeignKey("canteens.Canteen", on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=255)
    month = models.DateField()  # the first day of the month
    rule_id = models.CharField(max_length=80)
    funder = models.CharField(max_length=16)
    lines = models.IntegerField(default=0)
    amount_fen = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["canteen", "month", "rule_id", "funder"],
                                    name="rollup_rule_month_once"),
        ]
        indexes = [models.Index(fields=["month", "region_path"], name="rollup_rule_month_date")]

    def __str__(self) -> str:
        return f"{self.canteen_id} {self.month:%Y-%m} {self.rule_id}"


# The district roll-ups: the canteen sums of every canteen of one district (`region_path`: the
# district's path, the first two levels of the canteen's region path), so that a city's or a
# district's per-day chart over a year reads 13 × 365 × a few rows instead of 2,000 canteens' rows.
# Region-bound users below a district read the canteen roll-ups (their few canteens).


class DistrictDayRollup(CanteenSums):
    """The canteens of one district × local date × period × identification method."""

    region_path = models.CharField(max_length=255)
    local_date = models.DateField()
    period = models.CharField(max_length=16, blank=True)
    identified_by = models.CharField(max_length=12, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["region_path", "local_date", "period", "identified_by"],
                                    name="rollup_district_day_once"),
        ]
        indexes = [models.Index(fields=["local_date", "region_path"], name="rollup_district_day_date")]

    def __str__(self) -> str:
        return f"{self.region_path} {self.local_date} {self.period} {self.identified_by}"


class DistrictMonthRollup(CanteenSums):
    """The canteens of one district × month × period × identification method."""

    region_path = models.CharField(max_length=255)
    month = models.DateField()  # the first day of the month
    period = models.CharField(max_length=16, blank=True)
    identified_by = models.CharField(max_length=12, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["region_path", "month", "period", "identified_by"],
                                    name="rollup_district_month_once"),
        ]
        indexes = [models.Index(fields=["month", "region_path"], name="rollup_district_month_date")]

    def __str__(self) -> str:
        return f"{self.region_path} {self.month:%Y-%m} {self.period} {self.identified_by}"


class DistrictResidentDayRollup(models.Model):
    """The elders living in one district (by their community) × local date: how many ate that day,
    wherever in the city (CommunityDayRollup.elders summed over the district's communities)."""

    region_path = models.CharField(max_length=255)  # the district's path
    local_date = models.DateField()
    elders = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["region_path", "local_date"], name="rollup_resident_day_once"),
        ]
        indexes = [models.Index(fields=["local_date", "region_path"], name="rollup_resident_day_date")]

    def __str__(self) -> str:
        return f"{self.region_path} {self.local_date}"


class ElderYearRollup(models.Model):
    """One elder × calendar year: the months they ate in (bit m-1 of `months_mask` for month m, set
    while that month's ElderMonthRollup.days_mask is not zero), and 12 bits up the months of the year
    before (bit 12+m-1), so that distinct elders and coverage over any whole months within two
    calendar years (a year to date, the last 12 months) read one row per elder, with no DISTINCT."""

    elder = models.ForeignKey("elders.Elder", on_delete=models.PROTECT, related_name="+")
    year = models.IntegerField()
    region_path = models.CharField(max_length=255)  # the elder's community path when the row was written
    months_mask = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["elder", "year"], name="rollup_elder_year_once"),
        ]
        indexes = [models.Index(fields=["year", "region_path"], name="rollup_elder_year_path")]

    def __str__(self) -> str:
        return f"{self.elder_id} {self.year}"


class CanteenMonthTotalRollup(CanteenSums):
    """One canteen × month, all periods and methods together: the per-canteen operating results of
    a city's year read 2,000 × 12 rows instead of 2,000 × 12 × 15."""

    canteen = models.ForeignKey("canteens.Canteen", on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=255)
    month = models.DateField()  # the first day of the month

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["canteen", "month"], name="rollup_canteen_total_once"),
        ]
        indexes = [models.Index(fields=["month", "region_path"], name="rollup_canteen_total_date")]

    def __str__(self) -> str:
        return f"{self.canteen_id} {self.month:%Y-%m}"
