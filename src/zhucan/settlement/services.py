"""Monthly settlement (HZ-10, HZ-11, LC-4, LC-7): generation of each canteen's statement from the
ledger, and its workflow — draft → confirmed / disputed (canteen) → approved (district) → finalised
(city) → paid. Every write is one transaction with its audit row.

Generation is one aggregate pass over the month's meals (`month_figures`). Definitions, used
everywhere:
- sales / reversals: records of kind sale / of kind void or refund settling in the month;
- 人次 (`elder_meals`) = elder sales − elder reversals; `non_elder_meals` likewise for walk-ins;
- `elders`: distinct elders with at least one sale settling in the month;
- money: sums of the records' columns; benefit by funder from the meal's funder columns (copied from
  its benefit lines at commit); payable = gross − benefit (a constraint on every meal);
- adjustments: records settling in the month whose local date is in an earlier month (late reports,
  corrections carried forward past a finalised month).

The pass groups by (canteen, elder) and then by canteen, so the distinct-elder count comes from the
outer level without `COUNT(DISTINCT …)` (which would make PostgreSQL sort the whole month).

Statement lines (benefit by rule and funder) come from the benefit lines joined to the statement's
meals. They are not written at generation (a join of every benefit line of the month would double
the cost, docs/performance.md); they are shown live for a draft and written when the canteen
confirms, when the district approves and when the city finalises. At finalise the statement, its
lines and the ledger are re-checked to the fen; any difference refuses the close and changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, fields
from datetime import date

from django.db import IntegrityError, connection, transaction
from django.db.models import Case, Count, IntegerField, Q, Sum, Value, When

from zhucan.accounts.permissions import has_perm
from zhucan.accounts.scoping import get_scoped
from zhucan.canteens.models import Canteen, CanteenStatus
from zhucan.checkout.locks import is_locked, month_lock, month_start, next_month
from zhucan.checkout.models import BenefitLine, MealKind, MismatchStatus, ReportMismatch
from zhucan.core import clock
from zhucan.core.audit import audit_record, snapshot
from zhucan.core.errors import NotFound, PermissionDenied
from zhucan.regions.models import Region
from zhucan.settlement.errors import STATUS_EN, settlement_error
from zhucan.settlement.models import Adjustment, Statement, StatementLine, StatementStatus

S = StatementStatus

# ------------------------------------------------------------------------------------------------
# The ledger's figures

FIGURE_FIELDS = ("sales", "reversals", "elder_meals", "non_elder_meals", "elders", "gross_fen",
                 "benefit_city_fen", "benefit_district_fen", "benefit_canteen_fen", "benefit_other_fen",
                 "adjustments", "adjustments_benefit_fen")


@dataclass
class Figures:
    sales: int = 0
    reversals: int = 0
    elder_meals: int = 0
    non_elder_meals: int = 0
    elders: int = 0
    gross_fen: int = 0
    benefit_city_fen: int = 0
    benefit_district_fen: int = 0
    benefit_canteen_fen: int = 0
    benefit_other_fen: int = 0
    adjustments: int = 0
    adjustments_benefit_fen: int = 0
    # Only in the re-check (`exact=True`): the records' own benefit and payable columns.
    benefit_fen_direct: int | None = None
    payable_fen_direct: int | None = None

    @property
    def benefit_fen(self) -> int:
        return self.benefit_city_fen + self.benefit_district_fen + self.benefit_canteen_fen + self.benefit_other_fen

    @property
    def payable_fen(self) -> int:
        return self.gross_fen - self.benefit_fen

    def statement_values(self) -> dict[str, int]:
        out = {name: getattr(self, name) for name in FIGURE_FIELDS}
        out["benefit_fen"], out["payable_fen"] = self.benefit_fen, self.payable_fen
        return out


_SQL = """
SELECT canteen_id,
       SUM(n_sales), SUM(n_reversals),
       SUM(CASE WHEN elder_id IS NOT NULL THEN n_sales - n_reversals ELSE 0 END),
       SUM(CASE WHEN elder_id IS NULL THEN n_sales - n_reversals ELSE 0 END),
       COUNT(elder_id) FILTER (WHERE n_sales > 0),
       SUM(gross), SUM(b_city), SUM(b_district), SUM(b_canteen), SUM(b_other),
       SUM(n_adjust), SUM(adjust_benefit){exact_outer}
FROM (
    SELECT canteen_id, elder_id,
           COUNT(*) FILTER (WHERE kind = 'sale') AS n_sales,
           COUNT(*) FILTER (WHERE kind <> 'sale') AS n_reversals,
           SUM(gross_fen) AS gross,
           SUM(benefit_city_fen) AS b_city, SUM(benefit_district_fen) AS b_district,
           SUM(benefit_canteen_fen) AS b_canteen, SUM(benefit_other_fen) AS b_other,
           COUNT(*) FILTER (WHERE local_date < %s) AS n_adjust,
           COALESCE(SUM(benefit_fen) FILTER (WHERE local_date < %s), 0) AS adjust_benefit{exact_inner}
    FROM checkout_meal
    WHERE settle_month = %s{where}
    GROUP BY canteen_id, elder_id
) per_elder
GROUP BY canteen_id
"""


def month_figures(month: date, *, region_path: str | None = None, canteen_id: int | None = None,
                  exact: bool = False) -> dict[int, Figures]:
    """Figures per canteen for records settling in `month`, optionally only under `region_path`
    or for one canteen. `exact` also sums the records' benefit and payable columns (re-check)."""
    where, params = "", [month, month, month]
    if canteen_id is not None:
        where += " AND canteen_id = %s"
        params.append(canteen_id)
    if region_path:
        where += (" AND canteen_id IN (SELECT c.id FROM canteens_canteen c JOIN regions_region r"
                  " ON r.id = c.region_id WHERE r.path LIKE %s)")
        params.append(region_path + "%")
    sql = _SQL.format(
        where=where,
        exact_inner=", SUM(benefit_fen) AS benefit, SUM(payable_fen) AS payable" if exact else "",
        exact_outer=", SUM(benefit), SUM(payable)" if exact else "",
    )
    out: dict[int, Figures] = {}
    with connection.cursor() as cur:
        cur.execute(sql, params)
        for row in cur.fetchall():
            values = [int(v or 0) for v in row[1:]]
            fig = Figures(*values[:12])
            if exact:
                fig.benefit_fen_direct, fig.payable_fen_direct = values[12], values[13]
            out[row[0]] = fig
    return out


def figures_differ(stored, fresh: Figures) -> list[str]:
    """Names of the statement's figures that differ from the ledger's."""
    names = [f.name for f in fields(Figures) if f.name in FIGURE_FIELDS]
    diff = [n for n in names if getattr(stored, n) != getattr(fresh, n)]
    if stored.benefit_fen != (fresh.benefit_fen if fresh.benefit_fen_direct is None else fresh.benefit_fen_direct):
        diff.append("benefit_fen")
    if stored.payable_fen != (fresh.payable_fen if fresh.payable_fen_direct is None else fresh.payable_fen_direct):
        diff.append("payable_fen")
    return diff


def ledger_lines(canteen_id: int, month: date) -> list[tuple[str, str, int, int]]:
    """(funder, rule_id, records, amount_fen) for the canteen-month, from the benefit lines of the
    records settling in it; a reversal's line counts −1 record and its negative amount."""
    rows = (BenefitLine.objects.filter(meal__canteen_id=canteen_id, meal__settle_month=month)
            .values("funder", "rule_id")
            .annotate(amount=Sum("amount_fen"),
                      records=Sum(Case(When(meal__kind=MealKind.SALE, then=Value(1)), default=Value(-1),
                                       output_field=IntegerField())))
            .order_by("funder", "rule_id"))
    return [(r["funder"], r["rule_id"], int(r["records"]), int(r["amount"])) for r in rows]


def _funder_column(funder: str) -> str:
    return funder if funder in ("city", "district", "canteen") else "other"


def _lines_differ(statement: Statement, lines: list[tuple[str, str, int, int]]) -> list[str]:
    by_funder: dict[str, int] = defaultdict(int)
    for funder, _rule, _n, amount in lines:
        by_funder[_funder_column(funder)] += amount
    return [f"lines.{col}" for col in ("city", "district", "canteen", "other")
            if by_funder[col] != getattr(statement, f"benefit_{col}_fen")]


def _write_lines(statement: Statement, lines: list[tuple[str, str, int, int]]) -> None:
    StatementLine.objects.filter(statement=statement).delete()
    StatementLine.objects.bulk_create(StatementLine(statement=statement, funder=f, rule_id=r, meals=n, amount_fen=a)
                                      for f, r, n, a in lines)


def _mismatch_counts(month: date, canteen_ids) -> dict[int, tuple[int, int]]:
    rows = (ReportMismatch.objects.filter(meal__settle_month=month, meal__canteen_id__in=canteen_ids)
            .values("meal__canteen_id")
            .annotate(open=Count("id", filter=Q(status=MismatchStatus.OPEN)),
                      resolved=Count("id", filter=~Q(status=MismatchStatus.OPEN))))
    return {r["meal__canteen_id"]: (r["open"], r["resolved"]) for r in rows}


# ------------------------------------------------------------------------------------------------
# Generation

_FIGURE_COLUMNS = [*FIGURE_FIELDS, "benefit_fen", "payable_fen", "mismatches_open", "mismatches_resolved"]
ADJ_COLUMNS = ("adj_count", "adj_city_fen", "adj_district_fen", "adj_canteen_fen", "adj_other_fen", "adj_fen")


def month_adjustments(month: date, canteen_ids=None) -> dict[int, dict[str, int]]:
    """The adjustments recorded for `month`, per canteen, as the statement's adj_* columns."""
    qs = Adjustment.objects.filter(month=month)
    if canteen_ids is not None:
        qs = qs.filter(canteen_id__in=list(canteen_ids))
    rows = qs.values("canteen_id").annotate(n=Count("id"), city=Sum("city_fen"), district=Sum("district_fen"),
                                            canteen=Sum("canteen_fen"), other=Sum("other_fen"),
                                            total=Sum("amount_fen")).order_by()
    return {r["canteen_id"]: {"adj_count": r["n"], "adj_city_fen": r["city"], "adj_district_fen": r["district"],
                              "adj_canteen_fen": r["canteen"], "adj_other_fen": r["other"], "adj_fen": r["total"]}
            for r in rows}


def _no_adjustments() -> dict[str, int]:
    return dict.fromkeys(ADJ_COLUMNS, 0)


def _check_month(month: date) -> date:
    month = month_start(month)
    if next_month(month) > clock.local_today():
        raise settlement_error("MONTH_NOT_ENDED", month=f"{month:%Y-%m}", field="month")
    return month


def _scope_path(actor, district: Region | None) -> str | None:
    """The region path generation covers: None for everything (the system, a superuser)."""
    path: str | None = None
    if actor is not None and not actor.is_superuser:
        if not actor.region_id:
            raise PermissionDenied("生成结算单", "generate statements")
        path = actor.region.path
    if district is not None:
        if path is not None and not district.path.startswith(path):
            raise NotFound("辖区", "region")
        path = district.path
    return path


def _district_path(region_path: str) -> str:
    parts = region_path.split("/")
    return "/".join(parts[:2]) + "/" if len(parts) > 2 else region_path


@transaction.atomic
def statement_generate(*, actor, month: date, district: Region | None = None) -> list[Statement]:
    """Draft statements for every canteen in scope (the actor's jurisdiction, optionally one
    district) with records settling in `month` or open now (HZ-11, LC-4). Drafts of the month are
    replaced; once any statement of the month in scope is beyond draft the month is refused
    (MONTH_ALREADY_SETTLED). `actor=None` is the system (the `zhucan settle` command)."""
    if actor is not None and not has_perm(actor, "statement", "generate"):
        raise PermissionDenied("生成结算单", "generate statements")
    month = _check_month(month)
    path = _scope_path(actor, district)
    canteens = Canteen.objects.all()
    if path is not None:
        canteens = canteens.filter(region__path__startswith=path)
    canteen_info = {pk: (status, rpath) for pk, status, rpath in canteens.values_list("pk", "status", "region__path")}
    existing = list(Statement.objects.select_for_update().filter(month=month, canteen_id__in=list(canteen_info))
                    .only("id", "canteen_id", "status").order_by("id"))
    beyond = [s for s in existing if s.status != S.DRAFT]
    if beyond:
        first = beyond[0]
        raise settlement_error("MONTH_ALREADY_SETTLED", month=f"{month:%Y-%m}", canteen=first.canteen.name,
                               status=S(first.status).label, field="month")
    figures = month_figures(month, region_path=path)
    mismatches = _mismatch_counts(month, list(figures)) if figures else {}
    adjustments = month_adjustments(month, canteen_info)
    now = clock.now()
    rows = []
    for canteen_id, (status, _rpath) in canteen_info.items():
        fig = figures.get(canteen_id)
        if fig is None and status != CanteenStatus.OPEN and canteen_id not in adjustments:
            continue
        values = (fig or Figures()).statement_values()
        values["mismatches_open"], values["mismatches_resolved"] = mismatches.get(canteen_id, (0, 0))
        values.update(adjustments.get(canteen_id, _no_adjustments()))
        rows.append(Statement(canteen_id=canteen_id, month=month, status=S.DRAFT, generated_at=now, **values))
    kept = {row.canteen_id for row in rows}
    stale = [s.pk for s in existing if s.canteen_id not in kept]
    StatementLine.objects.filter(statement_id__in=[s.pk for s in existing]).delete()
    Statement.objects.filter(pk__in=stale).delete()
    try:
        with transaction.atomic():
            Statement.objects.bulk_create(rows, batch_size=1000, update_conflicts=True,
                                          unique_fields=["canteen", "month"],
                                          update_fields=["generated_at", "status", *_FIGURE_COLUMNS,
                                                         *ADJ_COLUMNS])
    except IntegrityError as exc:
        raise settlement_error("GENERATION_CONFLICT") from exc
    statements = list(Statement.objects.filter(month=month, canteen_id__in=kept).select_related("canteen__region"))
    by_district: dict[str, list[Statement]] = defaultdict(list)
    for s in statements:
        by_district[_district_path(s.canteen.region.path)].append(s)
    for dpath, group in sorted(by_district.items()):
        audit_record(actor=actor, action="statement.generate", object_type="settlement.statement",
                     object_id=f"{month:%Y-%m}", object_repr=f"{month:%Y-%m} 结算单", region_path=dpath,
                     after={"month": f"{month:%Y-%m}", "statements": len(group), "replaced": len(existing),
                            "benefit_fen": sum(s.benefit_fen for s in group)})
    return statements


def _refresh_figures(statement: Statement) -> None:
    fig = month_figures(statement.month, canteen_id=statement.canteen_id).get(statement.canteen_id, Figures())
    for name, value in fig.statement_values().items():
        setattr(statement, name, value)
    statement.mismatches_open, statement.mismatches_resolved = _mismatch_counts(
        statement.month, [statement.canteen_id]).get(statement.canteen_id, (0, 0))
    for name, value in month_adjustments(statement.month, [statement.canteen_id]).get(
            statement.canteen_id, _no_adjustments()).items():
        setattr(statement, name, value)
    statement.generated_at = clock.now()


# ------------------------------------------------------------------------------------------------
# Workflow

_AUDIT_FIELDS = ["status", "benefit_fen", "gross_fen", "dispute_note", "paid_reference"]
_ACTION_LABELS = {  # action → (Chinese, English) for STATEMENT_BAD_TRANSITION
    "confirm": ("确认", "confirm"), "dispute": ("提出异议", "dispute"), "approve": ("审核通过", "approve"),
    "resolve": ("处理异议", "resolve a dispute"), "regenerate": ("重新生成", "regenerate"),
    "finalise": ("终审", "finalise"), "pay": ("登记拨付", "mark paid"),
}


def _locked_statement(actor, statement_id: int, resource_action: str, label: tuple[str, str]) -> Statement:
    if not has_perm(actor, "statement", resource_action):
        raise PermissionDenied(label[0] + "结算单", label[1] + " statements")
    found = get_scoped(Statement.objects.all(), actor, resource_action, what_zh="结算单", what_en="statement",
                       pk=statement_id)
    return Statement.objects.select_for_update().select_related("canteen__region").get(pk=found.pk)


def _require(statement: Statement, action: str, *allowed: str) -> None:
    if statement.status not in allowed:
        zh, en = _ACTION_LABELS[action]
        raise settlement_error("STATEMENT_BAD_TRANSITION", status=S(statement.status).label, action=zh,
                               status_en=STATUS_EN[statement.status], action_en=en)


def _save(statement: Statement, *, actor, action: str, before: dict, note: str = "") -> Statement:
    statement.save()
    audit_record(actor=actor, action=f"statement.{action}", obj=statement,
                 region_path=statement.canteen.region.path, before=before,
                 after=snapshot(statement, _AUDIT_FIELDS), note=note)
    return statement


@transaction.atomic
def statement_confirm(*, actor, statement_id: int) -> Statement:
    """The canteen manager confirms the draft's figures; the lines by rule and
    funder are written now, as the canteen saw them."""
    st = _locked_statement(actor, statement_id, "confirm", _ACTION_LABELS["confirm"])
    _require(st, "confirm", S.DRAFT)
    before = snapshot(st, _AUDIT_FIELDS)
    _write_lines(st, ledger_lines(st.canteen_id, st.month))
    st.status, st.confirmed_by, st.confirmed_at = S.CONFIRMED, actor, clock.now()
    return _save(st, actor=actor, action="confirm", before=before)


@transaction.atomic
def statement_dispute(*, actor, statement_id: int, note: str) -> Statement:
    """The canteen manager disputes the figures with a note; the district resolves it."""
    note = (note or "").strip()
    if not note:
        raise settlement_error("NOTE_REQUIRED", field="note")
    st = _locked_statement(actor, statement_id, "confirm", _ACTION_LABELS["dispute"])
    _require(st, "dispute", S.DRAFT, S.CONFIRMED)
    before = snapshot(st, _AUDIT_FIELDS)
    st.status, st.dispute_note = S.DISPUTED, note[:500]
    return _save(st, actor=actor, action="dispute", before=before, note=note)


@transaction.atomic
def statement_approve(*, actor, statement_id: int) -> Statement:
    """The district approves a statement its canteen confirmed (HZ-11); not while disputed."""
    st = _locked_statement(actor, statement_id, "approve", _ACTION_LABELS["approve"])
    if st.status == S.DISPUTED:
        raise settlement_error("STATEMENT_DISPUTED")
    _require(st, "approve", S.CONFIRMED)
    before = snapshot(st, _AUDIT_FIELDS)
    _write_lines(st, ledger_lines(st.canteen_id, st.month))
    st.status, st.approved_by, st.approved_at = S.APPROVED, actor, clock.now()
    return _save(st, actor=actor, action="approve", before=before)


@transaction.atomic
def statement_resolve_dispute(*, actor, statement_id: int, regenerate: bool, note: str) -> Statement:
    """The district answers a dispute: regenerate the canteen's draft from the ledger (the canteen
    confirms again), or accept the statement as it stands with a note (it counts as confirmed)."""
    note = (note or "").strip()
    if not note:
        raise settlement_error("NOTE_REQUIRED", field="note")
    st = _locked_statement(actor, statement_id, "approve", _ACTION_LABELS["resolve"])
    _require(st, "resolve", S.DISPUTED)
    before = snapshot(st, _AUDIT_FIELDS)
    if regenerate:
        _refresh_figures(st)
        StatementLine.objects.filter(statement=st).delete()
        st.status, st.confirmed_by, st.confirmed_at = S.DRAFT, None, None
    else:
        st.status = S.CONFIRMED
    return _save(st, actor=actor, action="resolve_dispute", before=before,
                 note=("重新生成：" if regenerate else "维持原结算单：") + note)


@transaction.atomic
def statement_regenerate(*, actor, statement_id: int, note: str) -> Statement:
    """The district regenerates one canteen's statement that is not yet finalised (e.g. late
    reports landed after generation and the close-time check refused): back to draft."""
    note = (note or "").strip()
    if not note:
        raise settlement_error("NOTE_REQUIRED", field="note")
    st = _locked_statement(actor, statement_id, "approve", _ACTION_LABELS["regenerate"])
    _require(st, "regenerate", S.DRAFT, S.CONFIRMED, S.DISPUTED, S.APPROVED)
    before = snapshot(st, _AUDIT_FIELDS)
    _refresh_figures(st)
    StatementLine.objects.filter(statement=st).delete()
    st.status = S.DRAFT
    st.confirmed_by = st.confirmed_at = st.approved_by = st.approved_at = None
    return _save(st, actor=actor, action="regenerate", before=before, note=note)


def statement_check(statement: Statement) -> tuple[list[str], list[tuple[str, str, int, int]]]:
    """Re-check a statement against the ledger: the names of the figures that differ (empty when
    it equals the sum of its records and its lines sum to its funder totals) and the fresh lines."""
    fresh = month_figures(statement.month, canteen_id=statement.canteen_id, exact=True).get(
        statement.canteen_id, Figures(benefit_fen_direct=0, payable_fen_direct=0))
    diff = figures_differ(statement, fresh)
    lines = ledger_lines(statement.canteen_id, statement.month)
    diff += _lines_differ(statement, lines)
    stored = list(statement.lines.values_list("funder", "rule_id", "meals", "amount_fen").order_by("funder", "rule_id"))
    if stored and sorted(stored) != sorted(lines):
        diff.append("lines")
    adjusted = month_adjustments(statement.month, [statement.canteen_id]).get(statement.canteen_id,
                                                                             _no_adjustments())
    diff += [name for name, value in adjusted.items() if getattr(statement, name) != value]
    return diff, lines


@transaction.atomic
def statement_finalise(*, actor, statement_id: int) -> Statement:
    """The city finalises an approved statement (HZ-10): refused while a report-mode mismatch of the
    canteen-month is open (OPEN_MISMATCHES) or when the statement differs from the ledger
    (STATEMENT_LEDGER_MISMATCH). From now on the canteen-month is closed to the ledger
    (`checkout.locks`): a void in it is refused, a late record settles in the next open month."""
    st = _locked_statement(actor, statement_id, "finalise", _ACTION_LABELS["finalise"])
    _require(st, "finalise", S.APPROVED)
    open_count = ReportMismatch.objects.filter(meal__canteen_id=st.canteen_id, meal__settle_month=st.month,
                                               status=MismatchStatus.OPEN).count()
    if open_count:
        raise settlement_error("OPEN_MISMATCHES", count=open_count)
    diff, lines = statement_check(st)
    if diff:
        raise settlement_error("STATEMENT_LEDGER_MISMATCH", fields=", ".join(diff))
    before = snapshot(st, _AUDIT_FIELDS)
    _write_lines(st, lines)
    st.status, st.finalised_by, st.finalised_at = S.FINALISED, actor, clock.now()
    month_lock(canteen_id=st.canteen_id, month=st.month)
    return _save(st, actor=actor, action="finalise", before=before)


@transaction.atomic
def statement_mark_paid(*, actor, statement_id: int, reference: str) -> Statement:
    """The city records the payment of a finalised statement with its payment reference."""
    reference = (reference or "").strip()
    if not reference:
        raise settlement_error("REFERENCE_REQUIRED", field="reference")
    st = _locked_statement(actor, statement_id, "pay", _ACTION_LABELS["pay"])
    _require(st, "pay", S.FINALISED)
    before = snapshot(st, _AUDIT_FIELDS)
    st.status, st.paid_reference, st.paid_by, st.paid_at = S.PAID, reference[:64], actor, clock.now()
    return _save(st, actor=actor, action="mark_paid", before=before)


@transaction.atomic
def mismatch_resolve(*, actor, mismatch_id: int, accept: bool, note: str) -> ReportMismatch:
    """A district admin decides a report-mode mismatch (the vendor's benefit differs from the
    platform's rating): accepted or rejected, with a note (required to reject). The ledger is not
    touched; the canteen-month's statement counts it as resolved."""
    if not has_perm(actor, "mismatch", "resolve"):
        raise PermissionDenied("处理上报差异", "resolve mismatches")
    note = (note or "").strip()
    if not accept and not note:
        raise settlement_error("NOTE_REQUIRED", field="note")
    qs = ReportMismatch.objects.select_related("meal__canteen__region")
    if not actor.is_superuser:
        qs = qs.filter(meal__canteen__region__path__startswith=actor.region.path if actor.region_id else "\x00")
    mm = qs.filter(pk=mismatch_id).first()
    if mm is None:
        raise NotFound("上报差异", "mismatch")
    mm = ReportMismatch.objects.select_for_update().get(pk=mm.pk)
    if mm.status != MismatchStatus.OPEN:
        raise settlement_error("MISMATCH_ALREADY_RESOLVED")
    meal = mm.meal
    st = Statement.objects.select_for_update().filter(canteen_id=meal.canteen_id, month=meal.settle_month).first()
    if st is not None and st.locked:
        raise settlement_error("MONTH_LOCKED", month=f"{st.month:%Y-%m}")
    before = {"status": mm.status}
    mm.status = MismatchStatus.ACCEPTED if accept else MismatchStatus.REJECTED
    mm.resolved_by, mm.resolved_at, mm.note = actor, clock.now(), note[:200]
    mm.save(update_fields=["status", "resolved_by", "resolved_at", "note"])
    if st is not None:
        st.mismatches_open = max(st.mismatches_open - 1, 0)
        st.mismatches_resolved += 1
        st.save(update_fields=["mismatches_open", "mismatches_resolved"])
    audit_record(actor=actor, action="mismatch.resolve", obj=mm, region_path=meal.canteen.region.path,
                 before=before, after={"status": mm.status}, note=note)
    return mm


# ------------------------------------------------------------------------------------------------
# Adjustments

_FUNDER_FIELDS = {"city": "city_fen", "district": "district_fen", "canteen": "canteen_fen", "other": "other_fen"}


def first_open_month(canteen_id: int, start: date) -> date:
    """The first month from `start`'s month on still open for the canteen: not finalised (locked)
    and without a statement already confirmed or beyond (a draft is regenerated with it)."""
    month = month_start(start)
    busy = set(Statement.objects.filter(canteen_id=canteen_id, month__gte=month).exclude(status=S.DRAFT)
               .values_list("month", flat=True))
    while month in busy or is_locked(canteen_id, month):
        month = next_month(month)
    return month


@transaction.atomic
def adjustment_record(*, actor, canteen_id: int, amounts_fen: dict[str, int], reason: str, start: date,
                      source: str = "", source_id: str = "") -> Adjustment:
    """Record an adjustment of the canteen's benefit, by funder, in the first open settlement month
    from `start` on (a recovery is negative). A draft statement of that month takes it at once; the
    statement re-checks it at finalise like its ledger figures. One adjustment per source."""
    if actor is not None and not has_perm(actor, "statement", "adjust"):
        raise PermissionDenied("记录结算调整", "record settlement adjustments")
    reason = (reason or "").strip()
    if not reason:
        raise settlement_error("ADJUSTMENT_REASON_REQUIRED", field="reason")
    unknown = sorted(set(amounts_fen) - set(_FUNDER_FIELDS))
    if unknown:
        raise settlement_error("ADJUSTMENT_FUNDER", funder=unknown[0])
    values = {_FUNDER_FIELDS[f]: int(a) for f, a in amounts_fen.items()}
    total = sum(values.values())
    if not any(values.values()):
        raise settlement_error("ADJUSTMENT_EMPTY", field="amount")
    qs = Canteen.objects.select_related("region")
    canteen = (qs.get(pk=canteen_id) if actor is None or actor.is_superuser else
               get_scoped(qs, actor, "view", pk=canteen_id, what_zh="助餐点", what_en="canteen"))
    if source and Adjustment.objects.filter(canteen=canteen, source=source, source_id=source_id).exists():
        raise settlement_error("ADJUSTMENT_DUPLICATE")
    month = first_open_month(canteen.pk, start)
    adjustment = Adjustment.objects.create(canteen=canteen, month=month, amount_fen=total, reason=reason[:500],
                                           source=source[:40], source_id=str(source_id)[:40],
                                           created_by=actor if getattr(actor, "pk", None) else None,
                                           created_at=clock.now(), **values)
    draft = Statement.objects.select_for_update().filter(canteen=canteen, month=month, status=S.DRAFT).first()
    if draft is not None:
        for name, value in month_adjustments(month, [canteen.pk]).get(canteen.pk, _no_adjustments()).items():
            setattr(draft, name, value)
        draft.save(update_fields=list(ADJ_COLUMNS))
    audit_record(actor=actor, action="statement.adjust", obj=adjustment, region_path=canteen.region.path,
                 after={"month": f"{month:%Y-%m}", "amount_fen": total, **values, "source": source,
                        "source_id": str(source_id)}, note=reason)
    return adjustment
