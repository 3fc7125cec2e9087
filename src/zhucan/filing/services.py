"""Writes of the designation lifecycle (HZ-8): selection (遴选), the service agreement, the canteen's
filing rounds against the eight requirements (HZ-F1..F8), the district's review, designation (定点)
with a filing number, and later suspension, reinstatement, revocation and the annual re-check.

Each service is one transaction with its audit row; a refused call changes nothing. The role is
checked first (PermissionDenied); the canteen is then fetched through the actor's scope, so a
canteen outside it answers exactly like one that does not exist (NotFound). Only these services
write `canteens.DesignatedSpan`, the dates on which the canteen's meals carry benefits."""

from __future__ import annotations

from datetime import date

from dateutil.relativedelta import relativedelta
from django.db import IntegrityError, transaction
from django.db.models import Max

from zhucan.accounts.permissions import has_perm
from zhucan.accounts.scoping import get_scoped
from zhucan.canteens.models import Canteen, DesignatedSpan
from zhucan.canteens.services import canteen_touch
from zhucan.core import clock
from zhucan.core.audit import audit_record, snapshot
from zhucan.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from zhucan.core.xlsx import xlsx_bytes
from zhucan.filing import checks, requirements, selectors
from zhucan.filing.errors import filing_error
from zhucan.filing.models import (
    Agreement,
    Designation,
    Evidence,
    Filing,
    FilingItem,
    FilingStatus,
    Reminder,
    ReminderKind,
    Requirement,
    Review,
    Stage,
)
from zhucan.regions.models import Level

DESIGNATION_AUDITED = ["stage", "filing_number", "designated_on", "recheck_due", "licence_number", "licence_expiry",
                       "legal_representative", "stage_reason"]
AGREEMENT_AUDITED = ["number", "party_a", "party_b", "start_date", "end_date", "scan", "renews"]
FILING_AUDITED = ["round", "status", "submitted_at", "decided_at"]
ITEM_AUDITED = ["requirement", "check_result", "review", "return_reason"]

# The F1 declaration keys copied onto the designation when it is approved (what reminders and the
# public page read); the declaration itself is validated by `requirements.declaration_clean`.
F1_LICENCE_NUMBER = "licence_number"
F1_LICENCE_EXPIRY = "licence_expiry"
F1_LEGAL_REPRESENTATIVE = "legal_representative"

_ACTIONS = {
    # action: (permission, Chinese verb for the refusal, English verb)
    "select": ("select", "遴选助餐点", "select canteens"),
    "agreement": ("agreement", "登记服务协议", "record agreements"),
    "fill": ("fill", "填报备案", "fill in filings"),
    "review": ("review", "审核备案", "review filings"),
    "suspend": ("suspend", "暂停定点", "suspend designations"),
    "reinstate": ("reinstate", "恢复定点", "reinstate designations"),
    "revoke": ("revoke", "撤销定点", "revoke designations"),
    "recheck": ("recheck", "登记年度复核", "record annual re-checks"),
}


# ---- shared helpers -------------------------------------------------------------------------------

def _need(actor, action: str) -> None:
    perm, zh, en = _ACTIONS[action]
    if not has_perm(actor, "filing", perm):
        raise PermissionDenied(zh, en)


def _canteen(actor, canteen: Canteen | int) -> Canteen:
    """The canteen, row-locked, if it is inside the actor's scope; otherwise NotFound. The lock
    serialises every lifecycle write of one canteen."""
    pk = canteen.pk if isinstance(canteen, Canteen) else canteen
    return get_scoped(Canteen.objects.select_for_update(of=("self",)).select_related("region"), actor, "view",
                      pk=pk, what_zh="助餐点", what_en="canteen")


def _designation(canteen: Canteen) -> Designation:
    designation = Designation.objects.select_for_update().filter(canteen=canteen).first()
    if designation is None:
        raise filing_error("FILING_WRONG_STAGE", stage="未遴选", action="办理此事项")
    return designation


def _wrong_stage(designation: Designation, action_zh: str) -> DomainError:
    return filing_error("FILING_WRONG_STAGE", stage=designation.get_stage_display(), action=action_zh)


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise filing_error("STAGE_REASON_REQUIRED", field="reason")
    return reason[:1000]


def _region_path(canteen: Canteen) -> str:
    return canteen.region.path


def _audit(actor, action: str, obj, canteen: Canteen, before, fields, note: str = "", **extra) -> None:
    extra = {k: v.isoformat() if isinstance(v, date) else v for k, v in extra.items()}
    audit_record(actor=actor, action=f"filing.{action}", obj=obj, region_path=_region_path(canteen),
                 before=before, after=snapshot(obj, fields) | extra, note=note)


def _next_year(day: date) -> date:
    return day + relativedelta(years=1)  # 29 Feb → 28 Feb


def _resolve_reminders(canteen: Canteen, kind: str) -> None:
    Reminder.objects.filter(canteen=canteen, kind=kind, resolved_at__isnull=True).update(resolved_at=clock.now())


def _open_round(canteen: Canteen, number: int, previous: Filing | None = None) -> Filing:
    """A DRAFT round with one item per requirement; from `previous`, the declarations and evidence
    carry over, and so do the reviews that passed (a returned requirement is reviewed again)."""
    filing = Filing.objects.create(canteen=canteen, round=number, status=FilingStatus.DRAFT, created_at=clock.now())
    old = {i.requirement: i for i in previous.items.prefetch_related("evidence")} if previous else {}
    for requirement in Requirement.values:
        prior = old.get(requirement)
        item = FilingItem(filing=filing, requirement=requirement)
        if prior is not None:
            item.declaration = prior.declaration
            if prior.review == Review.PASSED:
                item.review, item.reviewed_by_id, item.reviewed_at = Review.PASSED, prior.reviewed_by_id, \
                    prior.reviewed_at
        item.save()
        if prior is not None:
            item.evidence.set(prior.evidence.all())
    return filing


# ---- selection and agreement -----------------------------------------------------------------------

def canteen_select(*, actor, canteen: Canteen, note: str = "") -> Designation:
    """HZ-8 遴选: the canteen's district selects it; the lifecycle starts at stage SELECTED."""
    _need(actor, "select")
    with transaction.atomic():
        canteen = _canteen(actor, canteen)
        if Designation.objects.filter(canteen=canteen).exists():
            raise filing_error("FILING_ALREADY_SELECTED", field="canteen")
        now = clock.now()
        designation = Designation.objects.create(canteen=canteen, stage=Stage.SELECTED, selected_at=now,
                                                 selected_by=actor, selection_note=(note or "").strip()[:2000],
                                                 stage_changed_at=now)
        _audit(actor, "select", designation, canteen, None, DESIGNATION_AUDITED, note=note or "")
    return designation


def agreement_record(*, actor, canteen: Canteen, number: str, party_a: str, party_b: str, start_date: date,
                     end_date: date, scan: Evidence | None = None, renews: Agreement | None = None) -> Agreement:
    """HZ-8: the service agreement between the district and the canteen's operator (parties, term,
    the signed scan as a PDF, renewal of an earlier one). The first agreement moves a selected
    canteen into filing and opens round 1 of its filing."""
    _need(actor, "agreement")
    number = (number or "").strip()
    party_a, party_b = (party_a or "").strip(), (party_b or "").strip()
    with transaction.atomic():
        canteen = _canteen(actor, canteen)
        designation = _designation(canteen)
        if designation.stage == Stage.REVOKED:
            raise _wrong_stage(designation, "登记服务协议")
        missing = [(f, zh) for f, zh, v in (("number", "协议编号", number), ("party_a", "甲方", party_a),
                                            ("party_b", "乙方", party_b)) if not v]
        if missing:
            raise ValidationFailed({f: f"请填写{zh}" for f, zh in missing})
        if end_date <= start_date:
            raise filing_error("AGREEMENT_DATES", field="end_date")
        if scan is not None and scan.content_type != "application/pdf":
            raise filing_error("EVIDENCE_TYPE", field="scan", name=scan.file_name)
        if renews is not None and renews.canteen_id != canteen.pk:
            raise NotFound("服务协议", "agreement")
        if Agreement.objects.filter(canteen=canteen, number=number).exists():
            raise filing_error("AGREEMENT_DUPLICATE", field="number", number=number)
        agreement = Agreement(canteen=canteen, number=number[:60], party_a=party_a[:100], party_b=party_b[:100],
                              start_date=start_date, end_date=end_date, scan=scan, renews=renews,
                              recorded_by=actor, recorded_at=clock.now())
        try:
            with transaction.atomic():
                agreement.save()
        except IntegrityError as exc:
            raise filing_error("AGREEMENT_DUPLICATE", field="number", number=number) from exc
        _audit(actor, "agreement", agreement, canteen, None, AGREEMENT_AUDITED)
        if renews is not None:
            _resolve_reminders(canteen, ReminderKind.AGREEMENT_END)
        if designation.stage == Stage.SELECTED:
            before = snapshot(designation, DESIGNATION_AUDITED)
            designation.stage, designation.stage_changed_at = Stage.FILING, clock.now()
            designation.save(update_fields=["stage", "stage_changed_at"])
            filing = _open_round(canteen, 1)
            _audit(actor, "open_round", designation, canteen, before, DESIGNATION_AUDITED, round=filing.round)
    return agreement


# ---- the canteen's filing --------------------------------------------------------------------------

def filing_current(*, canteen: Canteen) -> Filing | None:
    """The canteen's newest filing round (read helper; callers scope the canteen themselves)."""
    return Filing.objects.filter(canteen=canteen).order_by("-round").first()


def _open_filing(actor, filing_or_item_canteen_id: int) -> tuple[Canteen, Designation]:
    _need(actor, "fill")
    canteen = _canteen(actor, filing_or_item_canteen_id)
    return canteen, _designation(canteen)


def filing_item_save(*, actor, item: FilingItem, declaration: dict, evidence: list[Evidence]) -> FilingItem:
    """HZ-F1..F8: the canteen manager declares one requirement and attaches its evidence, while the
    round is being filled in. A change to a requirement the district had passed needs its review
    again."""
    with transaction.atomic():
        canteen, _ = _open_filing(actor, item.filing.canteen_id)
        item = FilingItem.objects.select_for_update(of=("self",)).select_related("filing").get(pk=item.pk)
        if item.filing.status != FilingStatus.DRAFT:
            raise filing_error("FILING_NOT_OPEN")
        clean = requirements.declaration_clean(item.requirement, declaration, canteen)
        evidence = list(evidence)
        known = set(Evidence.objects.filter(items__filing__canteen=canteen).values_list("pk", flat=True))
        for e in evidence:
            # Only files the actor or this canteen's own people uploaded (or already filed) may be attached.
            if e.pk not in known and e.uploaded_by_id != actor.pk \
                    and getattr(e.uploaded_by, "canteen_id", None) != canteen.pk:
                raise NotFound("备案材料", "evidence")
        before = snapshot(item, ITEM_AUDITED) | {"evidence": sorted(item.evidence.values_list("pk", flat=True))}
        changed = clean != item.declaration or sorted(e.pk for e in evidence) != before["evidence"]
        item.declaration = clean
        if changed and item.review == Review.PASSED:
            item.review, item.reviewed_by, item.reviewed_at = Review.PENDING, None, None
        item.save()
        item.evidence.set(evidence)
        _audit(actor, "item_save", item, canteen, before, ITEM_AUDITED,
               evidence=sorted(e.pk for e in evidence))
    return item


def filing_submit(*, actor, filing: Filing) -> Filing:
    """HZ-8: the canteen manager submits the round to the district. Every requirement must be
    complete with its required evidence; the platform's automatic checks then run, so the reviewer
    sees their results beside the declarations."""
    with transaction.atomic():
        canteen, designation = _open_filing(actor, filing.canteen_id)
        filing = Filing.objects.select_for_update().get(pk=filing.pk)
        if filing.status != FilingStatus.DRAFT:
            raise filing_error("FILING_NOT_OPEN")
        items = list(filing.items.all())
        problems: list[tuple[FilingItem, DomainError]] = [
            (item, problem) for item in items for problem in requirements.item_problems(item)]
        if len(problems) == 1:
            raise problems[0][1]
        if problems:
            labels = list(dict.fromkeys(item.get_requirement_display() for item, _ in problems))
            error = filing_error("FILING_INCOMPLETE", items="、".join(labels))
            error.details["problems"] = [p.message_zh for _, p in problems]
            raise error
        checks.run_checks(filing=filing)
        before = snapshot(filing, FILING_AUDITED)
        filing.status, filing.submitted_at, filing.submitted_by = FilingStatus.SUBMITTED, clock.now(), actor
        filing.save(update_fields=["status", "submitted_at", "submitted_by"])
        designation.stage, designation.stage_changed_at = Stage.SUBMITTED, clock.now()
        designation.save(update_fields=["stage", "stage_changed_at"])
        _audit(actor, "submit", filing, canteen, before, FILING_AUDITED,
               checks={i.requirement: i.check_result for i in filing.items.all()})
    return filing


def filing_resubmit_open(*, actor, canteen: Canteen) -> Filing:
    """After a returned round: opens the next round, carrying the declarations, the evidence and
    the passed reviews forward; the returned round stays as the district left it."""
    with transaction.atomic():
        canteen, designation = _open_filing(actor, canteen.pk if isinstance(canteen, Canteen) else canteen)
        current = filing_current(canteen=canteen)
        if designation.stage != Stage.FILING or current is None or current.status != FilingStatus.RETURNED:
            raise filing_error("FILING_NOT_OPEN")
        filing = _open_round(canteen, current.round + 1, previous=current)
        _audit(actor, "resubmit_open", filing, canteen, None, FILING_AUDITED)
    return filing


# ---- the district's review and decision ------------------------------------------------------------

def item_review(*, actor, item: FilingItem, passed: bool, reason: str = "") -> FilingItem:
    """HZ-8: the canteen's district passes one requirement, or returns it with a reason."""
    _need(actor, "review")
    with transaction.atomic():
        canteen = _canteen(actor, item.filing.canteen_id)
        item = FilingItem.objects.select_for_update(of=("self",)).select_related("filing").get(pk=item.pk)
        if item.filing.status != FilingStatus.SUBMITTED:
            raise filing_error("FILING_WRONG_STAGE", stage=item.filing.get_status_display(), action="审核")
        reason = (reason or "").strip()
        if not passed and not reason:
            raise filing_error("FILING_REVIEW_REASON_REQUIRED", field="reason")
        before = snapshot(item, ITEM_AUDITED)
        item.review = Review.PASSED if passed else Review.RETURNED
        item.return_reason = "" if passed else reason[:1000]
        item.reviewed_by, item.reviewed_at = actor, clock.now()
        item.save(update_fields=["review", "return_reason", "reviewed_by", "reviewed_at"])
        _audit(actor, "review", item, canteen, before, ITEM_AUDITED, note=reason)
    return item


def _district_short_name(canteen: Canteen) -> str:
    district = canteen.region.ancestor(Level.DISTRICT) or canteen.region
    city = district.ancestor(Level.CITY)
    name = district.name
    if name.endswith("开发区") and city is not None:
        # 聊城经济技术开发区 → 经济技术开发区: the city's name adds nothing inside its own register.
        prefix = city.name.removesuffix("市")
        return name.removeprefix(prefix) or name
    for suffix in ("区", "县", "市"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name.removesuffix(suffix)
    return name


def _filing_number(canteen: Canteen, year: int) -> str:
    """西湖〔2026〕第001号: the district's short name, the year, a sequence per district and year.
    The district's region row is locked so two designations cannot draw the same number."""
    from zhucan.regions.models import Region

    district = canteen.region.ancestor(Level.DISTRICT) or canteen.region
    Region.objects.select_for_update().filter(pk=district.pk).first()
    prefix = f"{_district_short_name(canteen)}〔{year}〕第"
    taken = Designation.objects.filter(filing_number__startswith=prefix).values_list("filing_number", flat=True)
    last = max((int(n[len(prefix):-1]) for n in taken if n[len(prefix):-1].isdigit()), default=0)
    return f"{prefix}{last + 1:03d}号"


def _iso_date(value) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def filing_decide(*, actor, filing: Filing, on: date | None = None) -> Designation:
    """HZ-8: with every requirement reviewed, the district decides the round. Any returned
    requirement returns the round to the canteen; all passed designates the canteen from `on`
    (default today) with a filing number, the annual re-check due a year later. An expired food
    business licence (HZ-F1) blocks designation."""
    _need(actor, "review")
    on = on or clock.local_today()
    with transaction.atomic():
        canteen = _canteen(actor, filing.canteen_id)
        designation = _designation(canteen)
        filing = Filing.objects.select_for_update().get(pk=filing.pk)
        if filing.status != FilingStatus.SUBMITTED:
            raise filing_error("FILING_WRONG_STAGE", stage=filing.get_status_display(), action="作出审核决定")
        items = list(filing.items.all())
        pending = [i.get_requirement_display() for i in items if i.review == Review.PENDING]
        if pending:
            raise filing_error("FILING_REVIEW_INCOMPLETE", items="、".join(pending))
        before_filing, before = snapshot(filing, FILING_AUDITED), snapshot(designation, DESIGNATION_AUDITED)
        now = clock.now()
        if any(i.review == Review.RETURNED for i in items):
            filing.status = FilingStatus.RETURNED
            designation.stage = Stage.FILING
        else:
            f1 = next(i for i in items if i.requirement == Requirement.F1).declaration
            expiry = _iso_date(f1.get(F1_LICENCE_EXPIRY))
            if expiry is not None and expiry < on:
                raise filing_error("LICENCE_EXPIRED", date=expiry.isoformat())
            filing.status = FilingStatus.APPROVED
            designation.stage = Stage.DESIGNATED
            designation.filing_number = designation.filing_number or _filing_number(canteen, on.year)
            designation.designated_on = on
            designation.recheck_due = _next_year(on)
            designation.licence_number = str(f1.get(F1_LICENCE_NUMBER, ""))[:40]
            designation.licence_expiry = expiry
            designation.legal_representative = str(f1.get(F1_LEGAL_REPRESENTATIVE, ""))[:40]
            designation.stage_reason = ""
            _span_open(canteen, on)
            canteen_touch(canteen.pk)  # checkout's cached canteen context reads the spans
        filing.decided_at, filing.decided_by = now, actor
        filing.save(update_fields=["status", "decided_at", "decided_by"])
        designation.stage_changed_at = now
        designation.save()
        _audit(actor, "decide", filing, canteen, before_filing, FILING_AUDITED)
        _audit(actor, "designate" if filing.status == FilingStatus.APPROVED else "return", designation, canteen,
               before, DESIGNATION_AUDITED, on=on)
    return designation


# ---- after designation -----------------------------------------------------------------------------

def _open_span(canteen: Canteen) -> DesignatedSpan | None:
    return DesignatedSpan.objects.select_for_update().filter(canteen=canteen, end__isnull=True).first()


def _span_open(canteen: Canteen, on: date) -> DesignatedSpan:
    """Open the designated span from `on`. A span still open (one written by hand in the database,
    say) is refused with its date rather than left to the one-open-span constraint, whose
    IntegrityError would otherwise surface as a server error."""
    current = _open_span(canteen)
    if current is not None:
        raise filing_error("SPAN_ALREADY_OPEN", start=current.start.isoformat())
    try:
        with transaction.atomic():
            return DesignatedSpan.objects.create(canteen=canteen, start=on)
    except IntegrityError as exc:  # a span opened concurrently outside the lifecycle's lock
        raise filing_error("SPAN_ALREADY_OPEN", start=on.isoformat()) from exc


def _close_span(canteen: Canteen, on: date) -> None:
    span = _open_span(canteen)
    if span is None:
        return
    if on < span.start:
        raise filing_error("STAGE_DATE_INVALID", field="on", earliest=span.start.isoformat())
    span.end = on
    span.save(update_fields=["end"])


def _stage_change(*, actor, canteen, action: str, allowed: tuple[str, ...], to: str, reason: str,
                  on: date | None, action_zh: str) -> Designation:
    _need(actor, action)
    reason = _reason(reason)
    on = on or clock.local_today()
    with transaction.atomic():
        canteen = _canteen(actor, canteen)
        designation = _designation(canteen)
        if designation.stage not in allowed:
            raise _wrong_stage(designation, action_zh)
        before = snapshot(designation, DESIGNATION_AUDITED)
        if to == Stage.DESIGNATED:
            last = DesignatedSpan.objects.filter(canteen=canteen).aggregate(end=Max("end"))["end"]
            if last is not None and on < last:
                raise filing_error("STAGE_DATE_INVALID", field="on", earliest=last.isoformat())
            _span_open(canteen, on)
        else:
            _close_span(canteen, on)
        canteen_touch(canteen.pk)  # checkout's cached canteen context reads the spans
        designation.stage, designation.stage_reason, designation.stage_changed_at = to, reason, clock.now()
        designation.save(update_fields=["stage", "stage_reason", "stage_changed_at"])
        _audit(actor, action, designation, canteen, before, DESIGNATION_AUDITED, note=reason, on=on)
    return designation


def designation_suspend(*, actor, canteen: Canteen, reason: str, on: date | None = None) -> Designation:
    """HZ-8: suspend a designated canteen (e.g. after a failed inspection or a lapsed licence): its
    meals carry no benefit from `on` (default today). The district, the city, or the platform's
    own sweep (a superuser system account) may suspend."""
    return _stage_change(actor=actor, canteen=canteen, action="suspend", allowed=(Stage.DESIGNATED,),
                         to=Stage.SUSPENDED, reason=reason, on=on, action_zh="暂停定点")


def designation_reinstate(*, actor, canteen: Canteen, reason: str, on: date | None = None) -> Designation:
    """HZ-8: reinstate a suspended canteen from `on`; a new designated span opens."""
    return _stage_change(actor=actor, canteen=canteen, action="reinstate", allowed=(Stage.SUSPENDED,),
                         to=Stage.DESIGNATED, reason=reason, on=on, action_zh="恢复定点")


def designation_revoke(*, actor, canteen: Canteen, reason: str, on: date | None = None) -> Designation:
    """HZ-8: revoke the designation for good from `on`; the filing number stays on record."""
    return _stage_change(actor=actor, canteen=canteen, action="revoke", allowed=(Stage.DESIGNATED, Stage.SUSPENDED),
                         to=Stage.REVOKED, reason=reason, on=on, action_zh="撤销定点")


def designation_recheck(*, actor, canteen: Canteen, note: str = "") -> Designation:
    """HZ-8 年度复核: the district confirms the designation for another year."""
    _need(actor, "recheck")
    with transaction.atomic():
        canteen = _canteen(actor, canteen)
        designation = _designation(canteen)
        if designation.stage != Stage.DESIGNATED:
            raise _wrong_stage(designation, "登记年度复核")
        before = snapshot(designation, DESIGNATION_AUDITED)
        base = designation.recheck_due or clock.local_today()
        designation.recheck_due = _next_year(base)
        designation.save(update_fields=["recheck_due"])
        _resolve_reminders(canteen, ReminderKind.RECHECK)
        _audit(actor, "recheck", designation, canteen, before, DESIGNATION_AUDITED, note=note or "")
    return designation



# ---- the register export ---------------------------------------------------------------------------

REGISTER_HEADERS = ["备案编号", "助餐点", "所在区县", "所在街道", "地址", "经营主体", "定点状态", "定点日期",
                    "年度复核到期", "食品经营许可证号", "许可证有效期至", "服务协议到期", "状态原因"]


def register_export(*, actor, district: int | None = None, stage: str = "", q: str = "") -> bytes:
    """The filing register as .xlsx, audited: who exported, with which filter, how many rows."""
    if not has_perm(actor, "filing", "export"):
        raise PermissionDenied("导出备案名录", "export the filing register")
    qs = selectors.register(user=actor, district=district, stage=stage, q=q, action="export")
    ends = {}
    for a in Agreement.objects.filter(canteen__in=qs.values("canteen")).only("canteen_id", "end_date"):
        ends[a.canteen_id] = max(ends.get(a.canteen_id, a.end_date), a.end_date)
    rows = []
    for d in qs:
        c = d.canteen
        district_region = c.region.ancestor(Level.DISTRICT)
        sub = c.region.ancestor(Level.SUBDISTRICT)
        rows.append([d.filing_number or "", c.name, district_region.name if district_region else "",
                     sub.name if sub else "", c.address, c.operator, d.get_stage_display(), d.designated_on,
                     d.recheck_due, d.licence_number, d.licence_expiry, ends.get(c.pk), d.stage_reason])
    content = xlsx_bytes(sheet="定点备案名录", headers=REGISTER_HEADERS, rows=rows)
    with transaction.atomic():
        audit_record(actor=actor, action="filing.register_export", object_type="filing.designation",
                     region_path=getattr(getattr(actor, "region", None), "path", ""),
                     after={"district": district, "stage": stage, "q": q, "rows": len(rows)})
    return content
