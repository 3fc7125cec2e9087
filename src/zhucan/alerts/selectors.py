"""Reads of the alerts, scoped to the user: an alert outside the user's area does not exist for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from zhucan.accounts.scoping import get_scoped, restrict
from zhucan.alerts import rules
from zhucan.alerts.models import OPEN_STATUSES, Alert, AlertStatus
from zhucan.checkout.models import Meal
from zhucan.core.models import AuditLog
from zhucan.regions.models import Level, Region


def alerts_for(user, action: str = "view") -> QuerySet[Alert]:
    return restrict(Alert.objects.select_related("canteen", "elder", "district", "assignee"), user, action)


def open_alerts(user, limit: int = 10) -> list[Alert]:
    """The newest open alerts the user may see (the big screen's list): open, assigned or under
    investigation, newest first."""
    return list(alerts_for(user).filter(status__in=OPEN_STATUSES).order_by("-occurred_at", "-id")[:limit])


def alert_get(*, user, alert_id: int, action: str = "view") -> Alert:
    return get_scoped(alerts_for(user, action), user, action, pk=alert_id, what_zh="预警", what_en="alert")


@dataclass
class Filters:
    rule: str = ""
    status: str = ""
    district: int | None = None
    start: date | None = None
    end: date | None = None

    def as_query(self) -> dict:
        return {"rule": self.rule, "status": self.status, "district": self.district or "",
                "start": self.start.isoformat() if self.start else "", "end": self.end.isoformat() if self.end else ""}


def _date(raw: str) -> date | None:
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        return None


def filters_from(query) -> Filters:
    """The list's filters from a query string; anything malformed is ignored (never an error page)."""
    rule = query.get("rule", "")
    status = query.get("status", "")
    district = query.get("district", "")
    return Filters(rule=rule if rule in rules.RULES else "", status=status if status in FILTER_STATUSES else "",
                   district=int(district) if district.isdigit() else None, start=_date(query.get("start", "")),
                   end=_date(query.get("end", "")))


FILTER_STATUSES = {**{s.value: s.label for s in AlertStatus}, "active": _("未办结")}


def alert_list(*, user, filters: Filters, action: str = "view") -> QuerySet[Alert]:
    qs = alerts_for(user, action)
    if filters.rule:
        qs = qs.filter(rule=filters.rule)
    if filters.status == "active":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif filters.status:
        qs = qs.filter(status=filters.status)
    if filters.district:
        qs = qs.filter(district_id=filters.district)
    if filters.start:
        qs = qs.filter(local_date__gte=filters.start)
    if filters.end:
        qs = qs.filter(local_date__lte=filters.end)
    return qs.order_by("-occurred_at", "-id")


def districts(*, user) -> list[Region]:
    return list(restrict(Region.objects.filter(level=Level.DISTRICT), user, "view").order_by("code"))


def rule_choices() -> list[tuple[str, str]]:
    return sorted(((code, rules.rule_title(code)) for code in rules.RULES), key=lambda c: c[1])


def alert_meals(alert: Alert) -> list[Meal]:
    return list(alert.meals.select_related("canteen", "elder", "cashier", "terminal").order_by("at", "id"))


_HISTORY = {"alerts.raise": "发出预警", "alerts.assign": "指派处理人", "alerts.investigate": "开始核查",
            "alerts.confirm": "核实确认", "alerts.dismiss": "排除"}


def alert_history(alert: Alert) -> list[dict]:
    """The alert's steps in words: when (local time), who, what, with the note."""
    rows = AuditLog.objects.filter(object_type="alerts.alert", object_id=str(alert.pk)).order_by("at", "id")
    users = {}
    out = []
    for row in rows:
        if row.actor_id and row.actor_id not in users:
            users[row.actor_id] = str(row.actor)
        out.append({"at": row.at, "who": users.get(row.actor_id, "系统检测"),
                    "what": _HISTORY.get(row.action, "处理"), "note": row.note})
    return out
