"""Reads of settlement, scoped to the user's jurisdiction (HZ-11, LC-4)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Count, QuerySet, Sum

from zhucan.accounts.scoping import get_scoped, restrict
from zhucan.checkout.models import ReportMismatch
from zhucan.core import clock
from zhucan.core.models import AuditLog
from zhucan.regions.models import Level, Region
from zhucan.settlement.models import Statement, StatementStatus

TOTAL_FIELDS = ("sales", "reversals", "elder_meals", "non_elder_meals", "elders", "gross_fen", "benefit_fen",
                "payable_fen", "benefit_city_fen", "benefit_district_fen", "benefit_canteen_fen",
                "benefit_other_fen", "adjustments", "adjustments_benefit_fen", "mismatches_open")


def statement_list(*, actor, month: date | None = None, district: Region | None = None,
                   status: str = "") -> QuerySet[Statement]:
    qs = restrict(Statement.objects.select_related("canteen__region"), actor, "view")
    if month is not None:
        qs = qs.filter(month=month)
    if district is not None:
        qs = qs.filter(canteen__region__path__startswith=district.path)
    if status:
        qs = qs.filter(status=status)
    return qs


def statement_totals(qs: QuerySet[Statement]) -> dict[str, int]:
    sums = qs.order_by().aggregate(count=Count("id"), **{f: Sum(f) for f in TOTAL_FIELDS})
    return {k: v or 0 for k, v in sums.items()}


def statement_get(*, actor, statement_id: int, action: str = "view") -> Statement:
    return get_scoped(Statement.objects.select_related("canteen__region", "confirmed_by", "approved_by",
                                                       "finalised_by", "paid_by"),
                      actor, action, what_zh="结算单", what_en="statement", pk=statement_id)


def statement_lines(statement: Statement) -> list[dict]:
    """Benefit by rule and funder: as written (confirmed and later), live from the ledger for a draft
    or a disputed statement."""
    if statement.status in (StatementStatus.DRAFT, StatementStatus.DISPUTED) or not statement.lines.exists():
        from zhucan.settlement.services import ledger_lines

        rows = ledger_lines(statement.canteen_id, statement.month)
        return [{"funder": f, "rule_id": r, "meals": n, "amount_fen": a, "live": True} for f, r, n, a in rows]
    return [{"funder": ln.funder, "rule_id": ln.rule_id, "meals": ln.meals, "amount_fen": ln.amount_fen,
             "live": False} for ln in statement.lines.all()]


def statement_history(statement: Statement) -> QuerySet[AuditLog]:
    return AuditLog.objects.filter(object_type="settlement.statement", object_id=str(statement.pk)).order_by("at", "id")


def statement_mismatches(statement: Statement) -> QuerySet[ReportMismatch]:
    return (ReportMismatch.objects.filter(meal__canteen_id=statement.canteen_id, meal__settle_month=statement.month)
            .select_related("meal", "resolved_by").order_by("status", "id"))


def district_choices(actor) -> QuerySet[Region]:
    return restrict(Region.objects.filter(level=Level.DISTRICT), actor, "view").order_by("path")


# ------------------------------------------------------------------------------------------------
# District subsidy report (HZ-11)


@dataclass
class DistrictRow:
    """One district's month, or the totals row (`district` None)."""

    district: Region | None
    canteens: int = 0
    meals: int = 0  # 人次: elder sales − elder reversals
    elders: int = 0  # distinct elders served in the district (an elder at two canteens counts once)
    gross_fen: int = 0
    benefit_fen: int = 0
    benefit_city_fen: int = 0
    benefit_district_fen: int = 0
    benefit_canteen_fen: int = 0
    benefit_other_fen: int = 0
    payable_fen: int = 0
    statuses: dict[str, int] = field(default_factory=dict)  # status label → statements
    by_method: dict[str, int] = field(default_factory=dict)  # 人次 by identification method (LC-7, HZ-9)

    @property
    def name(self) -> str:
        return self.district.name if self.district else "合计"

    @property
    def code(self) -> str:
        return self.district.code if self.district else ""

    @property
    def statuses_text(self) -> str:
        """The statements' states for print, in workflow order: ``"草稿 1，市级已终审 11"``."""
        order = [str(status.label) for status in StatementStatus]
        labels = sorted(self.statuses, key=lambda label: order.index(label) if label in order else len(order))
        return "，".join(f"{label} {self.statuses[label]}" for label in labels)


@dataclass
class DistrictReport:
    """The district subsidy report (HZ-11): what the page shows and the finance bureau downloads,
    per district and month, from the statements. Money in integer fen."""

    month: date
    scope: Region | None  # the jurisdiction reported on; None: every district
    rows: list[DistrictRow]
    totals: DistrictRow
    generated_at: datetime

    @property
    def scope_name(self) -> str:
        return self.scope.full_name if self.scope is not None else "全部辖区"

    @property
    def title(self) -> str:
        place = self.scope.full_name if self.scope is not None else ""
        return f"{place}老年助餐补贴汇总表"


_SUMMED = ("canteens", "meals", "gross_fen", "benefit_fen", "benefit_city_fen", "benefit_district_fen",
           "benefit_canteen_fen", "benefit_other_fen", "payable_fen")


def _distinct_elders(month: date, path: str) -> int:
    from zhucan.checkout.models import Meal

    return (Meal.objects.filter(settle_month=month, kind="sale", elder__isnull=False,
                                canteen__region__path__startswith=path)
            .values("elder_id").distinct().count())


# How elders were identified, in the order the report shows them (checkout.IdentifiedBy values).
def _methods() -> list[tuple[str, str]]:
    from zhucan.checkout.models import IdentifiedBy as By

    return [(code, By(code).label) for code in (By.CARD, By.ID_NUMBER, By.QR, By.QR_CARD, By.FACE, By.ELDER_ID)]


METHODS = _methods()


def _by_method(month: date, path: str) -> dict[str, int]:
    """人次 by identification method: elder sales of the month minus their voids and refunds (a
    reversal carries its sale's method), like the statements' elder meal count."""
    from django.db.models import Count

    from zhucan.checkout.models import Meal

    counts: dict[str, int] = {}
    rows = (Meal.objects.filter(settle_month=month, elder__isnull=False, canteen__region__path__startswith=path)
            .values("identified_by", "kind").annotate(n=Count("id")).order_by())
    for r in rows:
        sign = 1 if r["kind"] == "sale" else -1
        counts[r["identified_by"]] = counts.get(r["identified_by"], 0) + sign * r["n"]
    return counts


def district_report(*, actor, month: date, district: Region | None = None) -> DistrictReport:
    """Canteens, 人次, elders served, benefits by funder and statement statuses per district for the
    month, within the user's jurisdiction (HZ-11). Money and 人次 are the statements' figures;
    elders served are counted from the ledger per district (distinct over the district)."""
    statements = statement_list(actor=actor, month=month, district=district)
    districts = {d.path: d for d in district_choices(actor)} if not actor.is_superuser else {
        d.path: d for d in Region.objects.filter(level=Level.DISTRICT)}
    rows: dict[str, DistrictRow] = {}
    for st in statements.order_by("canteen__region__path"):
        parts = st.canteen.region.path.split("/")
        dpath = "/".join(parts[:2]) + "/"
        row = rows.get(dpath)
        if row is None:
            row = rows[dpath] = DistrictRow(district=districts.get(dpath) or Region.objects.get(path=dpath))
        row.canteens += 1
        row.meals += st.elder_meals
        for name in _SUMMED[2:]:
            setattr(row, name, getattr(row, name) + getattr(st, name))
        label = StatementStatus(st.status).label
        row.statuses[str(label)] = row.statuses.get(str(label), 0) + 1
    totals = DistrictRow(district=None)
    for row in rows.values():
        row.elders = _distinct_elders(month, row.district.path)
        row.by_method = _by_method(month, row.district.path)
        for method, n in row.by_method.items():
            totals.by_method[method] = totals.by_method.get(method, 0) + n
        for name in (*_SUMMED, "elders"):
            setattr(totals, name, getattr(totals, name) + getattr(row, name))
        for label, n in row.statuses.items():
            totals.statuses[label] = totals.statuses.get(label, 0) + n
    scope = district if district is not None else getattr(actor, "region", None)
    return DistrictReport(month=month, scope=scope, rows=[rows[k] for k in sorted(rows)], totals=totals,
                          generated_at=clock.now())

