"""Reads behind the console pages: the audit log, scoped to the actor and filtered in Chinese."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.apps import apps
from django.db.models import Q, QuerySet

from zhucan.accounts.scoping import restrict
from zhucan.core import clock
from zhucan.core.audit_actions import GROUPS, REVEAL_ACTIONS
from zhucan.core.models import AuditLog


@dataclass(frozen=True)
class AuditFilter:
    who: str = ""
    group: str = ""
    object_type: str = ""
    date_from: date | None = None
    date_to: date | None = None


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=clock.LOCAL_TZ)


def audit_list(*, user, filters: AuditFilter) -> QuerySet[AuditLog]:
    """The audit rows the actor may read, newest first, narrowed by the chosen filters (local dates)."""
    qs = restrict(AuditLog.objects.all(), user)
    if filters.who:
        qs = qs.filter(Q(actor__display_name__icontains=filters.who) | Q(actor__username__icontains=filters.who)
                       | Q(actor_repr__icontains=filters.who))
    if filters.group in GROUPS:
        prefixes = GROUPS[filters.group][2]
        condition = Q()
        for prefix in prefixes:
            condition |= Q(action__startswith=prefix)
        qs = qs.filter(condition)
    elif filters.group == "exports":
        qs = qs.filter(Q(action__endswith=".export") | Q(action__endswith="_export"))
    elif filters.group == "reveals":
        qs = qs.filter(action__in=REVEAL_ACTIONS)
    if filters.object_type:
        qs = qs.filter(object_type=filters.object_type)
    if filters.date_from:
        qs = qs.filter(at__gte=_day_start(filters.date_from))
    if filters.date_to:
        qs = qs.filter(at__lt=_day_start(filters.date_to + timedelta(days=1)))
    return qs


def audit_object_types() -> list[tuple[str, str]]:
    """Object types for the filter: every installed model of the platform by its Chinese name."""
    out = []
    for model in apps.get_models():
        label = model._meta.label_lower
        if not label.startswith(("elders.", "canteens.", "identity.", "face.", "elderphone.", "settlement.",
                                 "funds.", "filing.", "accounts.")):
            continue
        name = str(model._meta.verbose_name)
        if name and name != model._meta.model_name:
            out.append((label, name))
    return sorted(out, key=lambda pair: pair[1])
