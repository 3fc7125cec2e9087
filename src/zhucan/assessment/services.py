"""Writes of the yearly assessment (LC-6, HZ-12). Each service is one transaction with its audit row;
a refused call writes nothing. "Not yours" answers like "not found".

The flow: the district sets the year's indicator table (`table_create`, weights adding up to 100),
opens an assessment per canteen (automatic items filled from the platform's data), scores the other
items with evidence or a note (`score_record`), confirms (`assessment_confirm`: total, grade, and the
canteen's contest period starts), and publishes (`assessment_publish`), which writes the funds app's
evaluation of the year — what the operating reward (LC-5) reads. The canteen may contest one item
once before the period ends (`contest_file`); the district resolves it (`contest_resolve`), and a
changed score of a published result is published again."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import IntegrityError, transaction

from zhucan.accounts.permissions import has_perm
from zhucan.accounts.scoping import get_scoped, restrict
from zhucan.assessment import sources
from zhucan.assessment.errors import assess_error
from zhucan.assessment.models import (
    Assessment,
    Contest,
    ContestStatus,
    Indicator,
    IndicatorTable,
    Score,
    Source,
    Status,
)
from zhucan.assessment.standard import LEGAL_REF, REFERENCE_NOTE, standard_items
from zhucan.canteens.models import Canteen, CanteenStatus
from zhucan.core import clock
from zhucan.core.audit import audit_record, snapshot
from zhucan.core.errors import NotFound, PermissionDenied
from zhucan.filing.evidence import evidence_store
from zhucan.funds import services as funds_services
from zhucan.regions.models import Level, Region

ASSESSMENT_AUDITED = ["status", "total", "grade", "contest_until"]
SCORE_AUDITED = ["score", "automatic", "basis", "note", "evidence"]
ONE = Decimal("0.1")


def _need(actor, action: str, zh: str, en: str) -> None:
    if not has_perm(actor, "assessment", action):
        raise PermissionDenied(zh, en)


def _dec(value, *, title: str, maximum: Decimal) -> Decimal:
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise assess_error("ASSESS_SCORE_RANGE", field="score", title=title, max=maximum) from None
    if not d.is_finite() or d < 0 or d > maximum or d != d.quantize(ONE):
        raise assess_error("ASSESS_SCORE_RANGE", field="score", title=title, max=maximum)
    return d


# ---- the indicator table ----------------------------------------------------------------------------

def _check_items(items: Sequence[dict]) -> list[dict]:
    clean, total = [], Decimal(0)
    for raw in items:
        title = str(raw.get("title", "")).strip()[:100]
        try:
            weight, max_score = Decimal(str(raw["weight"])), Decimal(str(raw.get("max_score", raw["weight"])))
        except (KeyError, InvalidOperation, ValueError):
            raise assess_error("ASSESS_BAD_ITEM", field="weights", title=title or "?") from None
        guidance = str(raw.get("guidance", "")).strip()
        source = raw.get("source", Source.MANUAL)
        if (weight <= 0 or max_score <= 0 or not title or not guidance or source not in Source.values
                or weight != weight.quantize(ONE) or max_score != max_score.quantize(ONE)):
            raise assess_error("ASSESS_BAD_ITEM", field="weights", title=title or "?")
        total += weight
        clean.append({"dimension": str(raw.get("dimension", "")).strip()[:40] or title, "title": title,
                      "weight": weight, "max_score": max_score, "guidance": guidance, "source": source,
                      "params": dict(raw.get("params") or {})})
    if total != 100:
        raise assess_error("ASSESS_WEIGHTS_SUM", field="weights", total=total.normalize())
    return clean


def _check_thresholds(excellent, good, passing) -> tuple[Decimal, Decimal, Decimal]:
    try:
        e, g, p = (Decimal(str(v)) for v in (excellent, good, passing))
    except (InvalidOperation, ValueError):
        raise assess_error("ASSESS_BAD_THRESHOLDS", field="thresholds") from None
    if not (0 <= p <= g <= e <= 100):
        raise assess_error("ASSESS_BAD_THRESHOLDS", field="thresholds")
    return e, g, p


def table_create(*, actor, region_id: int, year: int, title: str, items: Sequence[dict],
                 excellent_min=90, good_min=80, pass_min=60, contest_days: int = 7, legal_ref: str = "",
                 reference_note: str = "", ip: str | None = None) -> IndicatorTable:
    """LC-6: the district sets the year's indicator table as data: items (dimension, title, weight
    in points of 100, maximum score, scoring guidance, and where the score comes from) whose weights
    add up to exactly 100, and the grade thresholds (优秀 ≥ 90 / 良好 ≥ 80 / 合格 ≥ 60 by default)."""
    _need(actor, "manage", "制定评估指标", "set indicator tables")
    latest = clock.local_today().year + 1
    try:
        year = int(year)
    except (TypeError, ValueError):
        year = 0
    if not 2000 <= year <= latest:
        raise assess_error("ASSESS_BAD_YEAR", field="year", max_year=latest)
    clean = _check_items(items)
    e, g, p = _check_thresholds(excellent_min, good_min, pass_min)
    region = get_scoped(Region.objects.all(), actor, "view", pk=region_id, what_zh="辖区", what_en="region")
    if region.level != Level.DISTRICT:
        raise assess_error("ASSESS_NOT_DISTRICT", field="region")
    with transaction.atomic():
        try:
            with transaction.atomic():
                table = IndicatorTable.objects.create(
                    region=region, year=year,
                    title=(title or "").strip()[:100] or f"{region.name}{year}年度幸福食堂服务质量评估",
                    excellent_min=e, good_min=g, pass_min=p, contest_days=max(0, int(contest_days)),
                    legal_ref=(legal_ref or "")[:300], reference_note=reference_note or "",
                    created_by=actor, created_at=clock.now())
        except IntegrityError:
            raise assess_error("ASSESS_TABLE_EXISTS", field="year", region=region.name, year=year) from None
        Indicator.objects.bulk_create([Indicator(table=table, order=i, **item) for i, item in enumerate(clean, 1)])
        audit_record(actor=actor, action="assessment.table_create", obj=table, region_path=region.path,
                     after={"year": year, "items": [(i["title"], str(i["weight"])) for i in clean],
                            "thresholds": [str(e), str(g), str(p)]}, ip=ip)
    return table


def table_create_standard(*, actor, region_id: int, year: int, ip: str | None = None) -> IndicatorTable:
    """The table of LC-6's five dimensions (项目建设、人员配备、运营成效、服务质量、满意度) for a year."""
    return table_create(actor=actor, region_id=region_id, year=year, title="", items=standard_items(),
                        legal_ref=LEGAL_REF, reference_note=REFERENCE_NOTE, ip=ip)


def table_set_weights(*, actor, table_id: int, weights: dict[int, tuple], ip: str | None = None) -> IndicatorTable:
    """Change the items' weights and maximum scores ({indicator id: (weight, max)}) while no
    assessment has started against the table; the weights must still add up to 100."""
    _need(actor, "manage", "修改评估指标", "change indicator tables")
    with transaction.atomic():
        table = get_scoped(IndicatorTable.objects.select_for_update(), actor, "view", pk=table_id,
                           what_zh="评估指标体系", what_en="indicator table")
        if table.assessments.exists():
            raise assess_error("ASSESS_TABLE_IN_USE", field="weights")
        indicators = list(table.indicators.all())
        items = []
        for ind in indicators:
            weight, max_score = weights.get(ind.pk, (ind.weight, ind.max_score))
            items.append({"dimension": ind.dimension, "title": ind.title, "weight": weight, "max_score": max_score,
                          "guidance": ind.guidance, "source": ind.source, "params": ind.params})
        clean = _check_items(items)
        before = {ind.title: [str(ind.weight), str(ind.max_score)] for ind in indicators}
        for ind, item in zip(indicators, clean, strict=True):
            ind.weight, ind.max_score = item["weight"], item["max_score"]
        Indicator.objects.bulk_update(indicators, ["weight", "max_score"])
        audit_record(actor=actor, action="assessment.table_weights", obj=table, region_path=table.region.path,
                     before=before, after={i.title: [str(i.weight), str(i.max_score)] for i in indicators}, ip=ip)
    return table


# ---- assessments ------------------------------------------------------------------------------------

def _locked(actor, assessment_id: int, action: str = "view") -> Assessment:
    return get_scoped(Assessment.objects.select_for_update(of=("self",)).select_related("table__region",
                                                                                        "canteen__region"),
                      actor, action, pk=assessment_id, what_zh="评估", what_en="assessment")


def _wrong_status(a: Assessment, zh: str, en: str):
    return assess_error("ASSESS_WRONG_STATUS", status=a.get_status_display(), action=zh, action_en=en)


def _fill_automatic(a: Assessment, scores: list[Score]) -> None:
    now = clock.now()
    for s in scores:
        ind = s.indicator
        if ind.source == Source.MANUAL:
            continue
        value, basis = sources.compute(ind, a.canteen, a.table.year)
        if value is not None:
            s.score, s.automatic, s.basis, s.scored_by, s.scored_at = value, True, basis[:300], None, now
        else:
            # No data: the item says so and the assessor scores it by the guidance.
            if s.automatic:
                s.score, s.scored_at = None, None
            s.automatic, s.basis = False, basis[:300]
    Score.objects.bulk_update(scores, ["score", "automatic", "basis", "scored_by", "scored_at"])


def assessment_open(*, actor, table_id: int, canteen_id: int, ip: str | None = None) -> Assessment:
    """Start a canteen's assessment against the district's table; the items the platform can score
    are filled at once from its data (meals from the ledger, satisfaction, complaints, inspections)."""
    _need(actor, "manage", "开展评估", "open assessments")
    with transaction.atomic():
        table = get_scoped(IndicatorTable.objects.select_related("region"), actor, "view", pk=table_id,
                           what_zh="评估指标体系", what_en="indicator table")
        canteen = get_scoped(Canteen.objects.select_related("region"), actor, "view", pk=canteen_id,
                             what_zh="助餐点", what_en="canteen")
        if not canteen.region.path.startswith(table.region.path):
            raise assess_error("ASSESS_CANTEEN_OUTSIDE", field="canteen", canteen=canteen.name,
                               region=table.region.name)
        try:
            with transaction.atomic():
                a = Assessment.objects.create(table=table, canteen=canteen, opened_by=actor, opened_at=clock.now())
        except IntegrityError:
            raise assess_error("ASSESS_EXISTS", field="canteen", canteen=canteen.name, year=table.year) from None
        Score.objects.bulk_create([Score(assessment=a, indicator=i) for i in table.indicators.all()])
        _fill_automatic(a, list(a.scores.select_related("indicator")))
        audit_record(actor=actor, action="assessment.open", obj=a, region_path=canteen.region.path,
                     after={"table": table.pk, "canteen": canteen.name}, ip=ip)
    return a


def assessment_open_all(*, actor, table_id: int, ip: str | None = None) -> list[Assessment]:
    """Open an assessment for every operating canteen of the table's district that has none."""
    _need(actor, "manage", "开展评估", "open assessments")
    table = get_scoped(IndicatorTable.objects.select_related("region"), actor, "view", pk=table_id,
                       what_zh="评估指标体系", what_en="indicator table")
    canteens = (restrict(Canteen.objects.all(), actor, "view")
                .filter(region__path__startswith=table.region.path, status__in=[CanteenStatus.OPEN,
                                                                                CanteenStatus.SUSPENDED])
                .exclude(assessments__table=table).order_by("region__path", "name"))
    with transaction.atomic():
        return [assessment_open(actor=actor, table_id=table.pk, canteen_id=c.pk, ip=ip) for c in canteens]


def assessment_refresh(*, actor, assessment_id: int, ip: str | None = None) -> Assessment:
    """Recompute the automatic items from the platform's data (while scoring)."""
    _need(actor, "manage", "更新评估数据", "refresh assessments")
    with transaction.atomic():
        a = _locked(actor, assessment_id)
        if a.status != Status.SCORING:
            raise _wrong_status(a, "更新平台数据", "refresh")
        scores = list(a.scores.select_related("indicator"))
        before = {s.indicator.title: str(s.score) for s in scores if s.indicator.source != Source.MANUAL}
        _fill_automatic(a, scores)
        audit_record(actor=actor, action="assessment.refresh", obj=a, region_path=a.canteen.region.path,
                     before=before, after={s.indicator.title: str(s.score) for s in scores
                                           if s.indicator.source != Source.MANUAL}, ip=ip)
    return a


def score_record(*, actor, assessment_id: int, indicator_id: int, score, note: str = "",
                 evidence: tuple[bytes, str] | None = None, ip: str | None = None) -> Score:
    """The assessor scores one item (0 to its maximum, one decimal) with evidence (an image or PDF,
    checked and stored like the filing's evidence) or a note. An item the platform scored from its
    data cannot be overwritten by hand."""
    _need(actor, "manage", "评分", "score assessments")
    note = (note or "").strip()
    with transaction.atomic():
        a = _locked(actor, assessment_id)
        if a.status != Status.SCORING:
            raise _wrong_status(a, "评分", "score")
        s = get_scoped_score(a, indicator_id)
        ind = s.indicator
        if s.automatic:
            raise assess_error("ASSESS_AUTOMATIC", field="score", title=ind.title)
        if score is None or str(score).strip() == "":
            raise assess_error("ASSESS_SCORE_REQUIRED", field="score", title=ind.title)
        value = _dec(score, title=ind.title, maximum=ind.max_score)
        if not note and evidence is None and s.evidence_id is None:
            raise assess_error("ASSESS_SCORE_BASIS", field="note")
        before = snapshot(s, SCORE_AUDITED)
        if evidence is not None:
            s.evidence = evidence_store(actor=actor, data=evidence[0], file_name=evidence[1])
        s.score, s.note, s.scored_by, s.scored_at = value, note[:2000], actor, clock.now()
        s.save()
        audit_record(actor=actor, action="assessment.score", obj=a, region_path=a.canteen.region.path,
                     before=before, after=snapshot(s, SCORE_AUDITED) | {"item": ind.title}, ip=ip)
    return s


def get_scoped_score(a: Assessment, indicator_id) -> Score:
    s = a.scores.select_related("indicator").filter(indicator_id=indicator_id).first()
    if s is None:
        raise NotFound("评估项目", "item")
    return s


def _total(a: Assessment) -> Decimal:
    total = sum((s.weighted for s in a.scores.select_related("indicator")), Decimal(0))
    return min(Decimal(100), total.quantize(ONE, rounding=ROUND_HALF_UP))


def assessment_confirm(*, actor, assessment_id: int, ip: str | None = None) -> Assessment:
    """Every item scored: the total (weighted, one decimal) and the grade by the table's thresholds
    are fixed, the canteen sees them and may contest until `contest_until`."""
    _need(actor, "manage", "确认评估结果", "confirm assessments")
    with transaction.atomic():
        a = _locked(actor, assessment_id)
        if a.status != Status.SCORING:
            raise _wrong_status(a, "确认", "confirm")
        missing = [s.indicator.title for s in a.scores.select_related("indicator") if s.score is None]
        if missing:
            raise assess_error("ASSESS_INCOMPLETE", items="、".join(missing))
        before = snapshot(a, ASSESSMENT_AUDITED)
        a.total = _total(a)
        a.grade = a.table.grade_for(a.total)
        a.status, a.confirmed_at = Status.CONFIRMED, clock.now()
        a.contest_until = clock.local_today() + timedelta(days=a.table.contest_days)
        a.save()
        audit_record(actor=actor, action="assessment.confirm", obj=a, region_path=a.canteen.region.path,
                     before=before, after=snapshot(a, ASSESSMENT_AUDITED), ip=ip)
    return a


def _publish_to_funds(actor, a: Assessment, ip) -> None:
    funds_services.evaluation_publish(actor=actor, canteen_id=a.canteen_id, year=a.table.year, score=a.total,
                                      grade=a.grade, source=f"assessment:{a.pk}",
                                      note=f"{a.table.title}：{a.get_grade_display()}", ip=ip)


def assessment_publish(*, actor, assessment_id: int, ip: str | None = None) -> Assessment:
    """LC-6 评估结果及时向社会公布，并与运营奖补挂钩: publish a confirmed result (no contest pending).
    It becomes the canteen's evaluation of the year in the funds app (passed unless 不合格), which
    the operating reward (LC-5) reads, and shows on the canteen's public page."""
    _need(actor, "manage", "公布评估结果", "publish assessments")
    with transaction.atomic():
        a = _locked(actor, assessment_id)
        if a.status != Status.CONFIRMED:
            raise _wrong_status(a, "公布", "publish")
        if Contest.objects.filter(assessment=a, status=ContestStatus.PENDING).exists():
            raise assess_error("ASSESS_CONTEST_PENDING", canteen=a.canteen.name)
        before = snapshot(a, ASSESSMENT_AUDITED)
        a.status, a.published_at, a.published_by = Status.PUBLISHED, clock.now(), actor
        a.save()
        _publish_to_funds(actor, a, ip)
        audit_record(actor=actor, action="assessment.publish", obj=a, region_path=a.canteen.region.path,
                     before=before, after=snapshot(a, ASSESSMENT_AUDITED), ip=ip)
    return a


# ---- the canteen's contest ------------------------------------------------------------------------

def contest_file(*, actor, assessment_id: int, indicator_id: int, reason: str, ip: str | None = None) -> Contest:
    """The canteen contests one item of its confirmed (or published) assessment, once, with a
    reason, no later than the contest deadline (inclusive, local date)."""
    _need(actor, "contest", "对评估结果提出异议", "contest assessments")
    reason = (reason or "").strip()
    with transaction.atomic():
        a = _locked(actor, assessment_id, "contest")
        existing = Contest.objects.filter(assessment=a).first()
        if existing is not None:
            raise assess_error("ASSESS_CONTEST_ONCE", at=clock.local_date(existing.filed_at).isoformat())
        if a.status == Status.SCORING:
            raise assess_error("ASSESS_CONTEST_NOT_OPEN")
        if a.contest_until is None or clock.local_today() > a.contest_until:
            raise assess_error("ASSESS_CONTEST_LATE", until=a.contest_until.isoformat() if a.contest_until else "—")
        if not reason:
            raise assess_error("ASSESS_REASON_REQUIRED", field="reason")
        s = get_scoped_score(a, indicator_id)
        contest = Contest.objects.create(assessment=a, indicator=s.indicator, reason=reason[:2000], filed_by=actor,
                                         filed_at=clock.now(), old_score=s.score)
        audit_record(actor=actor, action="assessment.contest", obj=a, region_path=a.canteen.region.path,
                     after={"item": s.indicator.title, "reason": contest.reason}, ip=ip)
    return contest


def contest_resolve(*, actor, assessment_id: int, uphold: bool, answer: str, new_score=None,
                    ip: str | None = None) -> Contest:
    """The district answers the contest: upheld (the item gets `new_score`, the total and grade are
    recomputed, and a published result is published again) or rejected (the score stands)."""
    _need(actor, "manage", "处理评估异议", "resolve contests")
    answer = (answer or "").strip()
    with transaction.atomic():
        a = _locked(actor, assessment_id)
        contest = Contest.objects.select_for_update().filter(assessment=a).select_related("indicator").first()
        if contest is None:
            raise NotFound("评估异议", "contest")
        if contest.status != ContestStatus.PENDING:
            raise assess_error("ASSESS_CONTEST_DONE")
        if not answer:
            raise assess_error("ASSESS_REASON_REQUIRED", field="answer")
        before = snapshot(a, ASSESSMENT_AUDITED)
        if uphold:
            s = get_scoped_score(a, contest.indicator_id)
            value = _dec(new_score if new_score is not None else "", title=s.indicator.title,
                         maximum=s.indicator.max_score)
            s.score, s.automatic, s.scored_by, s.scored_at = value, False, actor, clock.now()
            s.note = f"{s.note}\n（异议成立，改为 {value} 分：{answer}）".strip()
            s.save()
            contest.new_score = value
            a.total = _total(a)
            a.grade = a.table.grade_for(a.total)
            a.save()
        contest.status = ContestStatus.UPHELD if uphold else ContestStatus.REJECTED
        contest.answer, contest.resolved_by, contest.resolved_at = answer[:2000], actor, clock.now()
        contest.save()
        if uphold and a.status == Status.PUBLISHED:
            _publish_to_funds(actor, a, ip)
        audit_record(actor=actor, action="assessment.contest_resolve", obj=a, region_path=a.canteen.region.path,
                     before=before, after=snapshot(a, ASSESSMENT_AUDITED) | {"contest": contest.status}, ip=ip)
    return contest
