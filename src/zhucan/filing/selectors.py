"""Reads of the designation lifecycle for officials, scoped to the user: a canteen outside the
user's jurisdiction does not exist for them (its designation, rounds, agreements and evidence
neither)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Q, QuerySet

from zhucan.accounts.permissions import has_perm
from zhucan.accounts.scoping import get_scoped, restrict
from zhucan.canteens.models import Canteen, CanteenStatus, DesignatedSpan
from zhucan.core import clock
from zhucan.core.errors import NotFound
from zhucan.filing.models import (
    Agreement,
    Designation,
    Evidence,
    Filing,
    FilingItem,
    FilingStatus,
    Reminder,
    Stage,
)
from zhucan.regions.models import Level, Region

DUE_WITHIN_DAYS = 60


def canteens_in_scope(*, user, action: str = "view") -> QuerySet[Canteen]:
    """Canteens the user may see in the filing consoles (none without the filing permission)."""
    if not has_perm(user, "filing", action):
        return Canteen.objects.none()
    return restrict(Canteen.objects.select_related("region__parent"), user, "view")


def canteen_get(*, user, canteen_id: int) -> Canteen:
    if not has_perm(user, "filing", "view"):
        raise NotFound("助餐点", "canteen")
    return get_scoped(Canteen.objects.select_related("region__parent"), user, "view", pk=canteen_id,
                      what_zh="助餐点", what_en="canteen")


def designations(*, user, action: str = "view") -> QuerySet[Designation]:
    return (Designation.objects.filter(canteen__in=canteens_in_scope(user=user, action=action))
            .select_related("canteen__region__parent", "canteen__region__parent__parent"))


def candidates(*, user) -> QuerySet[Canteen]:
    """Canteens in scope not yet selected (遴选), closed ones left out."""
    return (canteens_in_scope(user=user).exclude(status=CanteenStatus.CLOSED)
            .filter(designation__isnull=True).order_by("region__path", "name"))


@dataclass
class Deadline:
    canteen: Canteen
    what: str
    due: date | None = None
    days: int = 0  # days left (negative: overdue) or, for a waiting round, days waited
    filing: Filing | None = None  # the waiting round, so the queue opens its review directly


@dataclass
class Queue:
    counts: list[tuple[str, str, int]] = field(default_factory=list)  # (stage, label, number)
    waiting: list[Deadline] = field(default_factory=list)  # submitted rounds, longest wait first
    due: list[Deadline] = field(default_factory=list)  # agreements, re-checks, licences ending soon
    reminders: list[Reminder] = field(default_factory=list)


def queue(*, user, today: date | None = None) -> Queue:
    """The district's work: how many canteens stand at each stage, rounds waiting for review (and
    for how long), and agreements, annual re-checks and licences that end within 60 days."""
    today = today or clock.local_today()
    horizon = today + timedelta(days=DUE_WITHIN_DAYS)
    qs = designations(user=user)
    by_stage = dict(qs.values_list("stage").annotate(n=Count("id")).order_by())
    out = Queue(counts=[(s.value, s.label, by_stage.get(s.value, 0)) for s in Stage])
    canteens = canteens_in_scope(user=user)
    for filing in (Filing.objects.filter(canteen__in=canteens, status=FilingStatus.SUBMITTED)
                   .select_related("canteen").order_by("submitted_at")):
        waited = (today - clock.local_date(filing.submitted_at)).days if filing.submitted_at else 0
        out.waiting.append(Deadline(filing.canteen, f"第{filing.round}轮备案待审核", None, waited, filing))
    live = qs.filter(stage__in=[Stage.DESIGNATED, Stage.SUSPENDED, Stage.FILING, Stage.SUBMITTED])
    for d in live.filter(recheck_due__lte=horizon, stage=Stage.DESIGNATED):
        out.due.append(Deadline(d.canteen, "年度复核", d.recheck_due, (d.recheck_due - today).days))
    for d in live.filter(licence_expiry__lte=horizon):
        out.due.append(Deadline(d.canteen, "食品经营许可证到期", d.licence_expiry, (d.licence_expiry - today).days))
    latest = {}
    for a in Agreement.objects.filter(canteen__in=live.values("canteen")).select_related("canteen"):
        if a.canteen_id not in latest or a.end_date > latest[a.canteen_id].end_date:
            latest[a.canteen_id] = a
    for a in latest.values():
        if a.end_date <= horizon:
            out.due.append(Deadline(a.canteen, f"服务协议（{a.number}）到期", a.end_date, (a.end_date - today).days))
    out.due.sort(key=lambda x: (x.due, x.canteen.name))
    out.reminders = list(Reminder.objects.filter(canteen__in=canteens, resolved_at__isnull=True)
                         .select_related("canteen").order_by("due"))
    return out


@dataclass
class CanteenFile:
    canteen: Canteen
    designation: Designation | None
    rounds: list[Filing]
    agreements: list[Agreement]
    spans: list[DesignatedSpan]
    reminders: list[Reminder]


def canteen_file(*, user, canteen_id: int) -> CanteenFile:
    """One canteen's designation: stage, every filing round (the returned ones as they were), its
    agreements, designated spans and open reminders."""
    canteen = canteen_get(user=user, canteen_id=canteen_id)
    return CanteenFile(
        canteen=canteen,
        designation=Designation.objects.filter(canteen=canteen).first(),
        rounds=list(Filing.objects.filter(canteen=canteen).select_related("submitted_by", "decided_by")
                    .prefetch_related("items").order_by("-round")),
        agreements=list(Agreement.objects.filter(canteen=canteen).select_related("scan", "renews", "recorded_by")
                        .defer("scan__content").order_by("-start_date")),
        spans=list(DesignatedSpan.objects.filter(canteen=canteen).order_by("start")),
        reminders=list(Reminder.objects.filter(canteen=canteen, resolved_at__isnull=True).order_by("due")),
    )


def filing_get(*, user, filing_id: int) -> Filing:
    filing = (Filing.objects.filter(pk=filing_id, canteen__in=canteens_in_scope(user=user))
              .select_related("canteen__region", "submitted_by", "decided_by").first())
    if filing is None:
        raise NotFound("备案申报", "filing")
    return filing


def filing_items(*, filing: Filing) -> list[FilingItem]:
    return list(filing.items.select_related("reviewed_by").prefetch_related("evidence").order_by("requirement"))


def item_get(*, user, item_id: int) -> FilingItem:
    item = (FilingItem.objects.filter(pk=item_id, filing__canteen__in=canteens_in_scope(user=user))
            .select_related("filing__canteen").first())
    if item is None:
        raise NotFound("备案要求", "requirement")
    return item


def evidence_get(*, user, evidence_id: int) -> Evidence:
    """A file attached to a filing item or an agreement of a canteen in the user's scope."""
    canteens = canteens_in_scope(user=user)
    attached = (Q(items__filing__canteen__in=canteens)
                | Q(pk__in=Agreement.objects.filter(canteen__in=canteens, scan__isnull=False).values("scan_id")))
    evidence = Evidence.objects.filter(attached, pk=evidence_id).distinct().first()
    if evidence is None:
        raise NotFound("备案材料", "evidence")
    return evidence


def districts(*, user) -> QuerySet[Region]:
    """Districts the user may filter the register by."""
    return restrict(Region.objects.filter(level=Level.DISTRICT), user, "view").order_by("path")


def register(*, user, district: int | None = None, stage: str = "", q: str = "",
             action: str = "view") -> QuerySet[Designation]:
    """The filing register (备案名录) of every district in the user's scope, with filters."""
    qs = designations(user=user, action=action)
    if district:
        region = Region.objects.filter(pk=district).first()
        qs = qs.filter(canteen__region__path__startswith=region.path) if region else qs.none()
    if stage:
        qs = qs.filter(stage=stage)
    if q:
        qs = qs.filter(Q(canteen__name__icontains=q) | Q(filing_number__icontains=q) | Q(canteen__address__icontains=q))
    return qs.order_by("canteen__region__path", "canteen__name")
