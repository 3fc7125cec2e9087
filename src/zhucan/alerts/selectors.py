"""Reads of the alerts, scoped to the user: an alert outside the user's area does not exist for them."""

from __future__ import annotations

from django.db.models import QuerySet

from zhucan.accounts.scoping import get_scoped, restrict
from zhucan.alerts.models import OPEN_STATUSES, Alert


def alerts_for(user, action: str = "view") -> QuerySet[Alert]:
    return restrict(Alert.objects.select_related("canteen", "elder", "district", "assignee"), user, action)


def open_alerts(user, limit: int = 10) -> list[Alert]:
    """The newest open alerts the user may see (the big screen's list): open, assigned or under
    investigation, newest first."""
    return list(alerts_for(user).filter(status__in=OPEN_STATUSES).order_by("-occurred_at", "-id")[:limit])


def alert_get(*, user, alert_id: int, action: str = "view") -> Alert:
    return get_scoped(alerts_for(user, action), user, action, pk=alert_id, what_zh="预警", what_en="alert")
