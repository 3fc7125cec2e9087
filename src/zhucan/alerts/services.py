"""Writes of the alerts: raising (idempotent on the dedupe key), and later the district's handling.
Each service is one transaction with its audit row; a refused call changes nothing."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction

from zhucan.alerts import rules
from zhucan.alerts.errors import alert_error
from zhucan.alerts.models import Alert
from zhucan.canteens.models import Canteen
from zhucan.core import clock
from zhucan.core.audit import audit_record
from zhucan.core.audit import snapshot as audit_snapshot
from zhucan.elders.models import Elder
from zhucan.regions.models import Level, Region

ALERT_AUDITED = ["rule", "status", "canteen", "elder", "district", "assignee", "close_reason", "recovery_fen"]
SNAPSHOT_MAX_MB = 2
_IMAGE_MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))


def _place(canteen: Canteen | None, elder: Elder | None, region: Region | None) -> tuple[Region | None, str]:
    """(the handling district, the most precise region path) of an alert."""
    node = region or (canteen.region if canteen else None) or (elder.community if elder else None)
    if node is None:
        node = Region.objects.filter(level=Level.CITY).order_by("id").first()
        return None, node.path if node else "/"
    district = node.ancestor(Level.DISTRICT)
    return district, node.path


def _snapshot_type(data: bytes) -> str:
    if len(data) > SNAPSHOT_MAX_MB * 1024 * 1024:
        raise alert_error("ALERT_SNAPSHOT", limit=SNAPSHOT_MAX_MB)
    for magic, content_type in _IMAGE_MAGIC:
        if data.startswith(magic):
            return content_type
    raise alert_error("ALERT_SNAPSHOT", limit=SNAPSHOT_MAX_MB)


def alert_raise(*, rule: str, occurred_at: datetime, title: str, canteen=None, elder=None, region=None,
                details: dict | None = None, dedupe_key: str, snapshot: bytes | None = None,
                snapshot_content_type: str = "", meal_ids=None) -> Alert:
    """Raise an alert, or return the one already raised with this dedupe key (nothing changes then).

    `rule` is a registered rule code; `canteen`, `elder` may be objects or ids; `region` defaults to
    the canteen's region (else the elder's community); `details` maps Chinese labels to shown values;
    `snapshot` is a JPEG or PNG (a camera's frame); `meal_ids` the ledger records involved."""
    if rules.get_rule(rule) is None:
        raise alert_error("ALERT_RULE_UNKNOWN", rule=rule)
    dedupe_key = (dedupe_key or "").strip()
    if not dedupe_key:
        raise alert_error("ALERT_DEDUPE_KEY")
    existing = Alert.objects.filter(dedupe_key=dedupe_key[:200]).first()
    if existing is not None:
        return existing
    if canteen is not None and not isinstance(canteen, Canteen):
        canteen = Canteen.objects.select_related("region").get(pk=canteen)
    if elder is not None and not isinstance(elder, Elder):
        elder = Elder.objects.select_related("community").get(pk=elder)
    content_type = _snapshot_type(snapshot) if snapshot else ""
    district, path = _place(canteen, elder, region)
    now = clock.now()
    occurred_at = occurred_at or now
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                rule=rule, title=title[:200], occurred_at=occurred_at, local_date=clock.local_date(occurred_at),
                canteen=canteen, elder=elder, district=district, region_path=path,
                details={str(k)[:60]: _shown(v) for k, v in (details or {}).items()},
                dedupe_key=dedupe_key[:200], snapshot=snapshot or None, snapshot_content_type=content_type,
                raised_at=now)
            if meal_ids:
                alert.meals.set(list(meal_ids))
            audit_record(actor=None, action="alerts.raise", obj=alert, region_path=path,
                         after=audit_snapshot(alert, ALERT_AUDITED) | {"title": alert.title})
    except IntegrityError:
        # Raised meanwhile by another run with the same key: that one stands.
        existing = Alert.objects.filter(dedupe_key=dedupe_key[:200]).first()
        if existing is None:
            raise
        return existing
    return alert


def _shown(value):
    if isinstance(value, str | int | bool) or value is None:
        return value
    return str(value)
