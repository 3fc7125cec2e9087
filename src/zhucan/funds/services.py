"""Writes of the funds capability: construction subsidies (LC-3), the construction target (LC-1),
evaluations (LC-6) and operating rewards (LC-5). Each service is one transaction with its audit
rows; a refused call changes nothing. "Not yours" answers exactly like "not found"."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction

from zhucan.accounts.permissions import has_perm
from zhucan.accounts.scoping import get_scoped, restrict
from zhucan.canteens.models import Canteen, CanteenStatus
from zhucan.core import clock
from zhucan.core.audit import audit_record, snapshot
from zhucan.core.errors import PermissionDenied
from zhucan.core.idnumber import check_digit
from zhucan.funds.errors import funds_error
from zhucan.funds.models import (
    CanteenEvaluation,
    ConstructionSubsidy,
    ConstructionTarget,
    IneligibleReason,
    OperatingReward,
    RewardStatus,
    SubsidyEvidence,
    SubsidyStatus,
)
from zhucan.funds.selectors import meal_counts
from zhucan.policy import FundLine, NoVersionInForce, Policy, Version
from zhucan.regions.models import Level, Region
from zhucan.rules.facts import policy_for_city

SUBSIDY_AUDITED = ["status", "canteen_type", "city_fen", "district_fen", "policy_version", "review_reason",
                   "approval_reason", "payment_reference"]
REWARD_AUDITED = ["status", "meal_count", "full_year", "evaluation_passed", "tier_min_meals", "city_fen",
                  "district_fen", "reasons", "policy_version", "payment_reference"]
EVALUATION_AUDITED = ["year", "passed", "score", "note", "grade", "source"]
GRADES = ("excellent", "good", "pass", "fail")

MAX_FILE_BYTES = 5 * 1024 * 1024
ALLOWED_FILES = {".pdf": "application/pdf", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}
_ID_LIKE = re.compile(r"(?<![0-9A-Za-z])(\d{17})([0-9Xx])(?![0-9A-Za-z])")


# ---- shared helpers -------------------------------------------------------------------------------

def _city_policy(canteen: Canteen) -> tuple[str, Policy]:
    city = canteen.region.ancestor(Level.CITY)
    if city is None or not city.policy_id:
        raise funds_error("FUNDS_NO_SCHEME", what="资金政策", what_en="funding scheme")
    return city.policy_id, policy_for_city(city.policy_id)


def _version(policy: Policy, day: date) -> Version:
    try:
        return policy.version_on(day)
    except NoVersionInForce:
        raise funds_error("FUNDS_POLICY_NOT_IN_FORCE", day=day.isoformat()) from None


def _by_funder(lines: Iterable[FundLine]) -> tuple[int, int, str]:
    """(city fen, district fen, legal ref) of a policy's fund lines; LC-3/LC-5 name only these two."""
    amounts = {"city": 0, "district": 0}
    ref = ""
    for line in lines:
        if line.funder not in amounts:
            raise funds_error("FUNDS_UNKNOWN_FUNDER", funder=line.funder)
        amounts[line.funder] += line.amount_fen
        ref = ref or line.ref
    return amounts["city"], amounts["district"], ref


def _contains_id_number(text: str) -> bool:
    return any(check_digit(m.group(1)) == m.group(2).upper() for m in _ID_LIKE.finditer(text or ""))


def _check_text(*texts: str) -> None:
    if any(_contains_id_number(t) for t in texts):
        raise funds_error("FUNDS_EVIDENCE_HAS_ID_NUMBER", field="evidence_note")


def _bad_status(obj, action_zh: str, action_en: str):
    return funds_error("FUNDS_BAD_STATUS", status=obj.get_status_display(), status_en=obj.status,
                       action=action_zh, action_en=action_en)


def _need(actor, action: str, zh: str, en: str) -> None:
    if not has_perm(actor, "funds", action):
        raise PermissionDenied(zh, en)


def _region_path(canteen: Canteen) -> str:
    return canteen.region.path


# ---- construction subsidies (LC-3) ----------------------------------------------------------------

@dataclass(frozen=True)
class Document:
    """A supporting document named by the applicant: e.g. 竣工验收备案表, 编号 2022-017."""

    title: str
    reference: str = ""


def _read_files(files: Sequence) -> list[tuple[str, str, bytes]]:
    out = []
    for f in files:
        name = (getattr(f, "name", "") or "file")[-120:]
        ext = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
        if ext not in ALLOWED_FILES:
            raise funds_error("FUNDS_FILE_TYPE", field="files", name=name)
        if (getattr(f, "size", 0) or 0) > MAX_FILE_BYTES:
            raise funds_error("FUNDS_FILE_TOO_LARGE", field="files", name=name, limit_mb=MAX_FILE_BYTES // 2**20)
        content = f.read()
        if len(content) > MAX_FILE_BYTES:
            raise funds_error("FUNDS_FILE_TOO_LARGE", field="files", name=name, limit_mb=MAX_FILE_BYTES // 2**20)
        out.append((name, ALLOWED_FILES[ext], content))
    return out


def subsidy_apply(*, actor, canteen_id: int, evidence_note: str, documents: Sequence[Document] = (),
                  files: Sequence = (), ip: str | None = None) -> ConstructionSubsidy:
    """LC-3: apply for a canteen's one-off construction subsidy (canteen manager or district admin).

    Amounts by canteen type are copied from the city's policy in force today (四（一）建设补贴), with the
    version and its legal reference. One subsidy per canteen: a second application is refused unless
    the first was rejected; a returned one is resubmitted (amounts re-read: the type may have been
    corrected after the return)."""
    _need(actor, "apply", "申请建设补贴", "apply for construction subsidies")
    documents = [d for d in documents if d.title.strip()]
    _check_text(evidence_note, *(f"{d.title} {d.reference}" for d in documents))
    uploads = _read_files(files)
    if not (evidence_note or "").strip() and not documents and not uploads:
        raise funds_error("FUNDS_EVIDENCE_REQUIRED", field="evidence_note")
    now = clock.now()
    with transaction.atomic():
        # The canteen row lock serialises two applications for the same canteen.
        canteen = get_scoped(Canteen.objects.select_for_update(of=("self",)).select_related("region"), actor,
                             "view", pk=canteen_id, what_zh="助餐点", what_en="canteen")
        if canteen.status == CanteenStatus.CLOSED:
            raise funds_error("FUNDS_CANTEEN_CLOSED", field="canteen")
        policy_id, policy = _city_policy(canteen)
        version = _version(policy, clock.local_today())
        if not version.construction:
            raise funds_error("FUNDS_NO_SCHEME", what="建设补贴", what_en="construction subsidy")
        city_fen, district_fen, ref = _by_funder(version.construction_subsidy(canteen.canteen_type))
        existing = ConstructionSubsidy.objects.select_for_update().filter(canteen=canteen).exclude(
            status=SubsidyStatus.REJECTED).first()
        if existing is not None and existing.status != SubsidyStatus.RETURNED:
            raise funds_error("FUNDS_SUBSIDY_EXISTS", field="canteen")
        before = snapshot(existing, SUBSIDY_AUDITED) if existing else None
        subsidy = existing or ConstructionSubsidy(canteen=canteen)
        subsidy.canteen_type = canteen.canteen_type
        subsidy.city_fen, subsidy.district_fen = city_fen, district_fen
        subsidy.policy_id, subsidy.policy_version, subsidy.policy_ref = policy_id, version.id, ref[:300]
        note = (evidence_note or "").strip()
        if existing is not None and existing.evidence_note:
            note = f"{existing.evidence_note}\n——重新提交——\n{note}".strip()
        subsidy.evidence_note = note
        subsidy.status = SubsidyStatus.APPLIED
        subsidy.applied_by, subsidy.applied_at = actor, now
        subsidy.reviewed_by, subsidy.reviewed_at = None, None
        try:
            with transaction.atomic():
                subsidy.save()
        except IntegrityError as exc:  # a concurrent application won
            raise funds_error("FUNDS_SUBSIDY_EXISTS", field="canteen") from exc
        SubsidyEvidence.objects.bulk_create(
            [SubsidyEvidence(subsidy=subsidy, title=d.title.strip()[:100], reference=d.reference.strip()[:100],
                             uploaded_by=actor, uploaded_at=now) for d in documents]
            + [SubsidyEvidence(subsidy=subsidy, title=name[:100], file_name=name, content_type=ctype,
                               size=len(content), sha256=hashlib.sha256(content).hexdigest(), content=content,
                               uploaded_by=actor, uploaded_at=now) for name, ctype, content in uploads]
        )
        audit_record(actor=actor, action="funds.subsidy.resubmit" if existing else "funds.subsidy.apply",
                     obj=subsidy, region_path=_region_path(canteen), before=before,
                     after=snapshot(subsidy, SUBSIDY_AUDITED) | {"evidence": len(documents) + len(uploads)}, ip=ip)
    return subsidy


def _locked_subsidy(actor, subsidy_id: int) -> ConstructionSubsidy:
    return get_scoped(ConstructionSubsidy.objects.select_for_update(of=("self",)).select_related("canteen__region"),
                      actor, "view", pk=subsidy_id, what_zh="建设补贴申请", what_en="subsidy application")


def _decide(*, actor, subsidy_id: int, perm: str, expected: str, approve: bool, reason: str, yes: str,
            no: str, who: str, reason_field: str, action_zh: str, action_en: str, ip) -> ConstructionSubsidy:
    _need(actor, perm, action_zh, action_en)
    reason = (reason or "").strip()
    with transaction.atomic():
        subsidy = _locked_subsidy(actor, subsidy_id)
        if subsidy.status != expected:
            raise _bad_status(subsidy, action_zh, action_en)
        if not approve and not reason:
            raise funds_error("FUNDS_REASON_REQUIRED", field="reason")
        before = snapshot(subsidy, SUBSIDY_AUDITED)
        subsidy.status = yes if approve else no
        setattr(subsidy, f"{who}_by", actor)
        setattr(subsidy, f"{who}_at", clock.now())
        setattr(subsidy, reason_field, reason[:300])
        subsidy.save()
        audit_record(actor=actor, action=f"funds.subsidy.{perm}", obj=subsidy,
                     region_path=_region_path(subsidy.canteen), before=before,
                     after=snapshot(subsidy, SUBSIDY_AUDITED), note=reason, ip=ip)
    return subsidy


def subsidy_review(*, actor, subsidy_id: int, approve: bool, reason: str = "",
                   ip: str | None = None) -> ConstructionSubsidy:
    """LC-3: the canteen's district reviews an application: passes it to the city, or returns it
    to the applicant with a reason (the applicant may then resubmit)."""
    return _decide(actor=actor, subsidy_id=subsidy_id, perm="review", expected=SubsidyStatus.APPLIED,
                   approve=approve, reason=reason, yes=SubsidyStatus.DISTRICT_REVIEWED, no=SubsidyStatus.RETURNED,
                   who="reviewed", reason_field="review_reason", action_zh="审核建设补贴",
                   action_en="review construction subsidies", ip=ip)


def subsidy_approve(*, actor, subsidy_id: int, approve: bool, reason: str = "",
                    ip: str | None = None) -> ConstructionSubsidy:
    """LC-3: the city approves a district-reviewed application, or rejects it with a reason (a
    rejected application frees the canteen to apply again)."""
    return _decide(actor=actor, subsidy_id=subsidy_id, perm="approve", expected=SubsidyStatus.DISTRICT_REVIEWED,
                   approve=approve, reason=reason, yes=SubsidyStatus.CITY_APPROVED, no=SubsidyStatus.REJECTED,
                   who="approved", reason_field="approval_reason", action_zh="审批建设补贴",
                   action_en="approve construction subsidies", ip=ip)


def subsidy_mark_paid(*, actor, subsidy_id: int, reference: str, ip: str | None = None) -> ConstructionSubsidy:
    """LC-3: the city records the payment of an approved subsidy with its payment reference."""
    _need(actor, "approve", "登记建设补贴拨付", "record subsidy payments")
    with transaction.atomic():
        subsidy = _locked_subsidy(actor, subsidy_id)
        _mark_paid(actor=actor, obj=subsidy, approved=SubsidyStatus.CITY_APPROVED, paid=SubsidyStatus.PAID,
                   reference=reference, audited=SUBSIDY_AUDITED, action="funds.subsidy.pay", ip=ip)
    return subsidy


def _mark_paid(*, actor, obj, approved: str, paid: str, reference: str, audited: list[str], action: str,
               ip: str | None) -> None:
    """Record a payment (subsidy or reward) on a locked, city-approved row, with its audit row."""
    reference = (reference or "").strip()
    if obj.status != approved:
        raise _bad_status(obj, "登记拨付", "mark paid")
    if not reference:
        raise funds_error("FUNDS_REFERENCE_REQUIRED", field="reference")
    before = snapshot(obj, audited)
    obj.status = paid
    obj.paid_by, obj.paid_at, obj.payment_reference = actor, clock.now(), reference[:64]
    obj.save()
    audit_record(actor=actor, action=action, obj=obj, region_path=_region_path(obj.canteen), before=before,
                 after=snapshot(obj, audited), ip=ip)


# ---- construction target (LC-1) -------------------------------------------------------------------

def target_create(*, actor, region_id: int, title: str, target_count: int, deadline: date, legal_ref: str,
                  ip: str | None = None) -> ConstructionTarget:
    """LC-1: record a district's construction target (二、工作任务：2022年年底前，全区建成幸福食堂7处)."""
    _need(actor, "approve", "设定建设目标", "set construction targets")
    region = get_scoped(Region.objects.all(), actor, "view", pk=region_id, what_zh="辖区", what_en="region")
    if region.level != Level.DISTRICT or int(target_count) < 1 or not (title or "").strip():
        raise funds_error("FUNDS_BAD_TARGET", field="target_count")
    with transaction.atomic():
        try:
            with transaction.atomic():
                target = ConstructionTarget.objects.create(
                    region=region, title=title.strip()[:100], target_count=int(target_count), deadline=deadline,
                    legal_ref=(legal_ref or "").strip()[:300], created_at=clock.now())
        except IntegrityError as exc:
            raise funds_error("FUNDS_BAD_TARGET", field="title") from exc
        audit_record(actor=actor, action="funds.target.create", obj=target, region_path=region.path,
                     after=snapshot(target, ["region", "title", "target_count", "deadline", "legal_ref"]), ip=ip)
    return target


# ---- evaluations (LC-6) ---------------------------------------------------------------------------

def _check_year(year, *, latest: int) -> int:
    try:
        year = int(year)
    except (TypeError, ValueError):
        year = 0
    if not 2000 <= year <= latest:
        raise funds_error("FUNDS_BAD_YEAR", field="year", max_year=latest)
    return year


def evaluation_record(*, actor, canteen_id: int, year: int, passed: bool, score: Decimal | None = None,
                      note: str = "", ip: str | None = None) -> CanteenEvaluation:
    """LC-6: the district records a canteen's yearly service-quality evaluation (entered here until
    the evaluation capability exists). Tied to the operating reward (五 评估结果与运营奖补挂钩): once
    the year's reward is approved the evaluation can no longer change."""
    _need(actor, "evaluate", "录入服务质量评估", "record evaluations")
    year = _check_year(year, latest=clock.local_today().year)
    if score is not None and not (Decimal(0) <= Decimal(score) <= Decimal(100)):
        raise funds_error("FUNDS_BAD_SCORE", field="score")
    note = (note or "").strip()[:300]
    _check_text(note)
    with transaction.atomic():
        canteen = get_scoped(Canteen.objects.select_for_update(of=("self",)).select_related("region"), actor, "view",
                             pk=canteen_id, what_zh="助餐点", what_en="canteen")
        if OperatingReward.objects.filter(canteen=canteen, year=year,
                                          status__in=[RewardStatus.CITY_APPROVED, RewardStatus.PAID]).exists():
            raise funds_error("FUNDS_EVALUATION_LOCKED", field="year")
        evaluation = CanteenEvaluation.objects.filter(canteen=canteen, year=year).first()
        before = snapshot(evaluation, EVALUATION_AUDITED) if evaluation else None
        evaluation = evaluation or CanteenEvaluation(canteen=canteen, year=year)
        evaluation.passed, evaluation.score, evaluation.note = bool(passed), score, note
        evaluation.entered_by, evaluation.entered_at = actor, clock.now()
        evaluation.save()
        audit_record(actor=actor, action="funds.evaluation.record", obj=evaluation, region_path=_region_path(canteen),
                     before=before, after=snapshot(evaluation, EVALUATION_AUDITED), ip=ip)
    return evaluation


def evaluation_publish(*, actor, canteen_id: int, year: int, score: Decimal, grade: str, source: str,
                       note: str = "", ip: str | None = None) -> CanteenEvaluation:
    """LC-6 → LC-5: keep a published assessment's result as the canteen's evaluation of the year:
    the total, the grade and where it comes from; passed = the grade is not 不合格 (fail). Called by
    the assessment app when the district publishes (and again when a contest changes a published
    score). Once the year's reward is approved the evaluation can no longer change."""
    _need(actor, "evaluate", "公布服务质量评估结果", "publish evaluations")
    year = _check_year(year, latest=clock.local_today().year)
    if grade not in GRADES:
        raise funds_error("FUNDS_BAD_GRADE", field="grade")
    if not (Decimal(0) <= Decimal(score) <= Decimal(100)):
        raise funds_error("FUNDS_BAD_SCORE", field="score")
    with transaction.atomic():
        canteen = get_scoped(Canteen.objects.select_for_update(of=("self",)).select_related("region"), actor, "view",
                             pk=canteen_id, what_zh="助餐点", what_en="canteen")
        if OperatingReward.objects.filter(canteen=canteen, year=year,
                                          status__in=[RewardStatus.CITY_APPROVED, RewardStatus.PAID]).exists():
            raise funds_error("FUNDS_EVALUATION_LOCKED", field="year")
        evaluation = CanteenEvaluation.objects.filter(canteen=canteen, year=year).first()
        before = snapshot(evaluation, EVALUATION_AUDITED) if evaluation else None
        evaluation = evaluation or CanteenEvaluation(canteen=canteen, year=year)
        evaluation.passed, evaluation.score, evaluation.grade = grade != "fail", Decimal(score), grade
        evaluation.source, evaluation.note = source[:40], (note or "").strip()[:300]
        evaluation.entered_by, evaluation.entered_at = actor, clock.now()
        evaluation.save()
        audit_record(actor=actor, action="funds.evaluation.publish", obj=evaluation,
                     region_path=_region_path(canteen), before=before,
                     after=snapshot(evaluation, EVALUATION_AUDITED), ip=ip)
    return evaluation


# ---- operating rewards (LC-5) ---------------------------------------------------------------------

def full_year(canteen: Canteen, year: int) -> bool:
    """LC-5 “运营满一年”: the canteen operated the whole of the year being rewarded — it opened on or
    before 1 January of that year (and is not still planned or under construction). The reward is
    for “年度就餐…人次”, a full year's count, so only a canteen open all that year can have one."""
    if canteen.status in (CanteenStatus.PLANNED, CanteenStatus.UNDER_CONSTRUCTION):
        return False
    return canteen.opening_date is not None and canteen.opening_date <= date(year, 1, 1)


@dataclass
class RewardRun:
    year: int
    rewards: list[OperatingReward] = field(default_factory=list)
    locked: list[OperatingReward] = field(default_factory=list)  # approved or paid: left as they were

    @property
    def proposed(self) -> list[OperatingReward]:
        return [r for r in self.rewards if r.status == RewardStatus.PROPOSED]

    @property
    def ineligible(self) -> list[OperatingReward]:
        return [r for r in self.rewards if r.status == RewardStatus.INELIGIBLE]


def _tier(version: Version, area: str, meals: int) -> int | None:
    reached = [t.min_meals for t in version.rewards.get(area, ()) if meals >= t.min_meals]
    return max(reached) if reached else None


def rewards_compute(*, actor, year: int, district: Region | int | None = None,
                    ip: str | None = None) -> RewardRun:
    """LC-5: create or refresh the year's operating-reward proposals for the canteens in scope.

    For each canteen of a city whose policy has operating rewards: the year's meal count (人次, from
    the ledger), the tier reached by its area's thresholds and the amounts per funder from the
    policy version in force on 31 December; granted only if it ran the full year (see `full_year`)
    and its evaluation for the year passed. Ineligible canteens get a row with the reasons.
    Approved or paid rewards are never recomputed."""
    if not (has_perm(actor, "funds", "review") or has_perm(actor, "funds", "approve")):
        raise PermissionDenied("计算运营奖补", "compute operating rewards")
    year = _check_year(year, latest=clock.local_today().year - 1)
    canteens = restrict(Canteen.objects.select_related("region"), actor, "view")
    if district is not None:
        region_id = district.pk if isinstance(district, Region) else int(district)
        region = get_scoped(Region.objects.all(), actor, "view", pk=region_id, what_zh="辖区", what_en="region")
        canteens = canteens.filter(region__path__startswith=region.path)
    run = RewardRun(year=year)
    year_end = date(year, 12, 31)
    now = clock.now()
    with transaction.atomic():
        by_policy: dict[str, list[Canteen]] = {}
        for canteen in canteens.order_by("region__path", "name"):
            city = canteen.region.ancestor(Level.CITY)
            if city is not None and city.policy_id:
                by_policy.setdefault(city.policy_id, []).append(canteen)
        for policy_id, group in by_policy.items():
            policy = policy_for_city(policy_id)
            try:
                version = policy.version_on(year_end)
            except NoVersionInForce:
                continue
            if not version.rewards:
                continue  # this city's policy has no operating reward
            ids = [c.pk for c in group]
            counts = meal_counts(canteen_ids=ids, year=year)
            passed = dict(CanteenEvaluation.objects.filter(canteen_id__in=ids, year=year)
                          .values_list("canteen_id", "passed"))
            existing = {r.canteen_id: r for r in
                        OperatingReward.objects.select_for_update().filter(canteen_id__in=ids, year=year)}
            for canteen in group:
                reward = existing.get(canteen.pk)
                if reward is not None and reward.status in (RewardStatus.CITY_APPROVED, RewardStatus.PAID):
                    run.locked.append(reward)
                    continue
                before = snapshot(reward, REWARD_AUDITED) if reward else None
                reward = reward or OperatingReward(canteen=canteen, year=year)
                meals = counts.get(canteen.pk, 0)
                lines = policy.operating_reward(canteen.area, meals, on=year_end)
                city_fen, district_fen, ref = _by_funder(lines)
                reward.area, reward.meal_count = canteen.area, meals
                reward.full_year = full_year(canteen, year)
                reward.evaluation_passed = passed.get(canteen.pk) is True
                reward.tier_min_meals = _tier(version, canteen.area, meals)
                reasons = []
                if not reward.full_year:
                    reasons.append(IneligibleReason.NOT_FULL_YEAR.value)
                if not reward.evaluation_passed:
                    reasons.append(IneligibleReason.EVALUATION.value)
                if not lines:
                    reasons.append(IneligibleReason.BELOW_THRESHOLD.value)
                reward.reasons = reasons
                reward.city_fen, reward.district_fen = (0, 0) if reasons else (city_fen, district_fen)
                reward.status = RewardStatus.INELIGIBLE if reasons else RewardStatus.PROPOSED
                reward.policy_id, reward.policy_version = policy_id, version.id
                reward.policy_ref = (ref or f"{version.ref}；{version.reward_conditions_zh}")[:300]
                reward.computed_by, reward.computed_at = actor, now
                reward.save()
                after = snapshot(reward, REWARD_AUDITED)
                if before != after:
                    audit_record(actor=actor, action="funds.reward.compute", obj=reward,
                                 region_path=_region_path(canteen), before=before, after=after, ip=ip)
                run.rewards.append(reward)
        audit_record(actor=actor, action="funds.reward.compute_run", object_type="funds.operatingreward",
                     object_repr=f"{year} 年度运营奖补测算", region_path=getattr(actor, "scope_path", "") or "",
                     after={"year": year, "district": district.pk if isinstance(district, Region) else district,
                            "proposed": len(run.proposed), "ineligible": len(run.ineligible),
                            "locked": len(run.locked)}, ip=ip)
    return run


def _locked_reward(actor, reward_id: int) -> OperatingReward:
    return get_scoped(OperatingReward.objects.select_for_update(of=("self",)).select_related("canteen__region"),
                      actor, "view", pk=reward_id, what_zh="运营奖补", what_en="operating reward")


def reward_approve(*, actor, reward_id: int, ip: str | None = None) -> OperatingReward:
    """LC-5: the city approves a proposed operating reward (an ineligible one is refused with its reasons)."""
    _need(actor, "approve", "审批运营奖补", "approve operating rewards")
    with transaction.atomic():
        reward = _locked_reward(actor, reward_id)
        if reward.status == RewardStatus.INELIGIBLE:
            raise funds_error("FUNDS_REWARD_NOT_ELIGIBLE", reasons="、".join(reward.reasons_zh))
        if reward.status != RewardStatus.PROPOSED:
            raise _bad_status(reward, "审批", "approve")
        before = snapshot(reward, REWARD_AUDITED)
        reward.status = RewardStatus.CITY_APPROVED
        reward.approved_by, reward.approved_at = actor, clock.now()
        reward.save()
        audit_record(actor=actor, action="funds.reward.approve", obj=reward, region_path=_region_path(reward.canteen),
                     before=before, after=snapshot(reward, REWARD_AUDITED), ip=ip)
    return reward


def reward_mark_paid(*, actor, reward_id: int, reference: str, ip: str | None = None) -> OperatingReward:
    """LC-5: the city records the payment of an approved operating reward."""
    _need(actor, "approve", "登记运营奖补拨付", "record reward payments")
    with transaction.atomic():
        reward = _locked_reward(actor, reward_id)
        _mark_paid(actor=actor, obj=reward, approved=RewardStatus.CITY_APPROVED, paid=RewardStatus.PAID,
                   reference=reference, audited=REWARD_AUDITED, action="funds.reward.pay", ip=ip)
    return reward

