"""Writes of the alerts: raising (idempotent on the dedupe key), and later the district's handling.
Each service is one transaction with its audit row; a refused call changes nothing."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction

from zhucan.alerts import rules
from zhucan.alerts.errors import alert_error
from zhucan.alerts.models import Alert, AlertStatus
from zhucan.canteens.models import Canteen
from zhucan.core import clock
from zhucan.core.audit import audit_record
from zhucan.core.audit import snapshot as audit_snapshot
from zhucan.core.errors import PermissionDenied
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


# ---- the district's handling ----------------------------------------------------------------------

_STATUS_EN = {"open": "open", "assigned": "assigned", "investigating": "under investigation",
              "confirmed": "confirmed", "dismissed": "dismissed"}
_ACTIONS = {  # action → (Chinese, English) for ALERT_WRONG_STATUS
    "assign": ("指派", "assign"), "investigate": ("开始核查", "start investigating"),
    "confirm": ("确认并追回", "confirm"), "dismiss": ("排除", "dismiss"),
}


def _handled(actor, alert_id: int) -> Alert:
    """The alert, row-locked, if the actor may handle it (district staff of its area)."""
    from zhucan.accounts.permissions import has_perm
    from zhucan.accounts.scoping import get_scoped

    if not has_perm(actor, "alert", "handle"):
        raise PermissionDenied("处理预警", "handle alerts")
    found = get_scoped(Alert.objects.all(), actor, "handle", pk=alert_id, what_zh="预警", what_en="alert")
    return (Alert.objects.select_for_update(of=("self",)).select_related("canteen", "elder", "district")
            .get(pk=found.pk))


def _require(alert: Alert, action: str, *allowed: str) -> None:
    if alert.status not in allowed:
        zh, en = _ACTIONS[action]
        raise alert_error("ALERT_WRONG_STATUS", status=AlertStatus(alert.status).label, action=zh,
                          status_en=_STATUS_EN[alert.status], action_en=en)


def _audit(actor, action: str, alert: Alert, before: dict, note: str = "", **extra) -> None:
    audit_record(actor=actor, action=f"alerts.{action}", obj=alert, region_path=alert.region_path,
                 before=before, after=audit_snapshot(alert, ALERT_AUDITED) | extra, note=note)


def assignable_users(alert: Alert):
    """Who may be assigned: active district officials whose area covers the alert."""
    from zhucan.accounts.models import Role, User

    paths = [alert.region_path[: i + 1] for i, ch in enumerate(alert.region_path) if ch == "/"]
    return (User.objects.filter(role=Role.DISTRICT_ADMIN, is_active=True, region__path__in=paths)
            .order_by("display_name", "username"))


def alert_assign(*, actor, alert_id: int, assignee_id: int, note: str = "") -> Alert:
    """The district assigns the alert to one of its officials (again while nobody investigates)."""
    with transaction.atomic():
        alert = _handled(actor, alert_id)
        _require(alert, "assign", AlertStatus.OPEN, AlertStatus.ASSIGNED)
        assignee = assignable_users(alert).filter(pk=assignee_id).first()
        if assignee is None:
            raise alert_error("ALERT_ASSIGNEE", field="assignee")
        before = audit_snapshot(alert, ALERT_AUDITED)
        alert.status, alert.assignee, alert.assigned_by, alert.assigned_at = (
            AlertStatus.ASSIGNED, assignee, actor, clock.now())
        alert.save(update_fields=["status", "assignee", "assigned_by", "assigned_at"])
        _audit(actor, "assign", alert, before, note=(note or "").strip()[:500])
    return alert


def alert_investigate(*, actor, alert_id: int, note: str = "") -> Alert:
    """The assigned official starts investigating."""
    with transaction.atomic():
        alert = _handled(actor, alert_id)
        _require(alert, "investigate", AlertStatus.ASSIGNED)
        before = audit_snapshot(alert, ALERT_AUDITED)
        alert.status, alert.investigating_at = AlertStatus.INVESTIGATING, clock.now()
        alert.save(update_fields=["status", "investigating_at"])
        _audit(actor, "investigate", alert, before, note=(note or "").strip()[:500])
    return alert


def _recoverable(alert: Alert, actor=None) -> dict[int, dict[str, int]]:
    """The benefit still recoverable from the alert's meals, per canteen and funder: sales not
    voided or refunded, not already recovered through another confirmed alert, at canteens of the
    actor's area (a meal elsewhere is recovered by its own district)."""
    from zhucan.checkout.models import Meal, MealKind

    taken = Alert.objects.filter(status=AlertStatus.CONFIRMED, recovery_fen__gt=0).exclude(pk=alert.pk)
    meals = (Meal.objects.filter(pk__in=alert.meals.values("pk"), kind=MealKind.SALE, reversal__isnull=True,
                                 benefit_fen__gt=0)
             .exclude(pk__in=Alert.meals.through.objects.filter(alert__in=taken).values("meal_id")))
    if actor is not None and not actor.is_superuser:
        meals = meals.filter(canteen__region__path__startswith=actor.region.path if actor.region_id else "\x00")
    out: dict[int, dict[str, int]] = {}
    for m in meals.values("canteen_id", "benefit_city_fen", "benefit_district_fen", "benefit_canteen_fen",
                          "benefit_other_fen", "settle_month"):
        row = out.setdefault(m["canteen_id"], {"city": 0, "district": 0, "canteen": 0, "other": 0,
                                               "_start": m["settle_month"]})
        for funder in ("city", "district", "canteen", "other"):
            row[funder] += m[f"benefit_{funder}_fen"]
        row["_start"] = min(row["_start"], m["settle_month"])
    return out


def recoverable_fen(alert: Alert, actor=None) -> int:
    return sum(v for row in _recoverable(alert, actor).values() for k, v in row.items() if not k.startswith("_"))


def _split(total: int, parts: list[tuple[tuple[int, str], int]]) -> dict[tuple[int, str], int]:
    """`total` fen shared in proportion to `parts` (largest remainder), exact to the fen."""
    whole = sum(v for _k, v in parts)
    shares = {k: total * v // whole for k, v in parts}
    rest = total - sum(shares.values())
    for k, _v in sorted(parts, key=lambda p: (-(total * p[1] % whole), p[0]))[:rest]:
        shares[k] += 1
    return shares


def alert_close(*, actor, alert_id: int, confirmed: bool, reason: str, recovery_fen: int | None = None) -> Alert:
    """Close the alert: confirmed (the benefit of its meals recovered as a negative adjustment in
    each canteen's next open settlement month — all of it unless `recovery_fen` says less) or
    dismissed. Both need the official's reason."""
    from zhucan.core.money import fen_to_yuan
    from zhucan.settlement.services import adjustment_record

    reason = (reason or "").strip()
    with transaction.atomic():
        alert = _handled(actor, alert_id)
        action = "confirm" if confirmed else "dismiss"
        _require(alert, action, AlertStatus.ASSIGNED, AlertStatus.INVESTIGATING)
        if not reason:
            raise alert_error("ALERT_REASON_REQUIRED", field="reason")
        before = audit_snapshot(alert, ALERT_AUDITED)
        recovered = 0
        adjustments = []
        if confirmed:
            by_canteen = _recoverable(alert, actor)
            available = sum(v for row in by_canteen.values() for k, v in row.items() if not k.startswith("_"))
            if recovery_fen is not None and recovery_fen < 0:
                raise alert_error("ALERT_RECOVERY_INVALID", problem="不能为负数", problem_en="negative",
                                  field="recovery")
            recovered = available if recovery_fen is None else recovery_fen
            if recovered > available:
                if available == 0:
                    raise alert_error("ALERT_RECOVERY_NOTHING", field="recovery")
                raise alert_error("ALERT_RECOVERY_TOO_LARGE", amount=fen_to_yuan(recovered),
                                  benefit=fen_to_yuan(available), field="recovery")
            if recovered:
                parts = [((cid, f), v) for cid, row in sorted(by_canteen.items()) for f, v in row.items()
                         if not f.startswith("_") and v > 0]
                shares = _split(recovered, parts)
                for cid, row in sorted(by_canteen.items()):
                    amounts = {f: -shares.get((cid, f), 0) for f in ("city", "district", "canteen", "other")}
                    if any(amounts.values()):
                        adjustments.append(adjustment_record(
                            actor=actor, canteen_id=cid, amounts_fen=amounts, start=row["_start"],
                            reason=f"预警核实追回：{alert.title}；{reason}", source="alerts.alert",
                            source_id=str(alert.pk)))
        alert.status = AlertStatus.CONFIRMED if confirmed else AlertStatus.DISMISSED
        alert.closed_by, alert.closed_at, alert.close_reason, alert.recovery_fen = (
            actor, clock.now(), reason[:1000], recovered)
        alert.save(update_fields=["status", "closed_by", "closed_at", "close_reason", "recovery_fen"])
        _audit(actor, "confirm" if confirmed else "dismiss", alert, before, note=reason[:500],
               adjustments=[{"canteen": a.canteen_id, "month": f"{a.month:%Y-%m}", "amount_fen": a.amount_fen}
                            for a in adjustments])
    return alert


# ---- thresholds and on-demand detection -----------------------------------------------------------

def rule_configure(*, actor, code: str, params: dict, enabled: bool = True) -> None:
    """The city sets a rule's thresholds (whole numbers, at least 0; the keys the rule declares)
    and whether it runs. Audited with the values before and after."""
    from zhucan.accounts.permissions import has_perm
    from zhucan.alerts.models import RuleSetting

    if not has_perm(actor, "alert", "configure"):
        raise PermissionDenied("设置预警规则", "configure alert rules")
    rule = rules.get_rule(code)
    if rule is None:
        raise alert_error("ALERT_RULE_UNKNOWN", rule=code)
    clean: dict[str, int] = {}
    for key, default in rule.defaults.items():
        raw = str(params.get(key, default)).strip()
        label = rule.params_help_zh.get(key, key)
        if not raw.isdigit() or len(raw) > 9:
            raise alert_error("ALERT_PARAM_INVALID", label=label, key=key, minimum=0, field=key)
        clean[key] = int(raw)
    with transaction.atomic():
        setting, _ = RuleSetting.objects.select_for_update().get_or_create(code=code)
        before = {"enabled": setting.enabled, "params": rules.params_for(code)}
        setting.params, setting.enabled = clean, bool(enabled)
        setting.updated_by, setting.updated_at = actor, clock.now()
        setting.save()
        region = getattr(actor, "region", None)
        audit_record(actor=actor, action="alerts.rule_configure", obj=setting, object_repr=rule.title_zh,
                     region_path=getattr(region, "path", "") or "", before=before,
                     after={"enabled": setting.enabled, "params": clean})


def detect_now(*, actor, day):
    """A district or city official runs the detection for one past day (the console's button)."""
    from zhucan.accounts.permissions import has_perm
    from zhucan.alerts.detection import detect

    if not has_perm(actor, "alert", "detect"):
        raise PermissionDenied("运行预警检测", "run the detection")
    if day >= clock.local_today():
        raise alert_error("ALERT_DATE_FUTURE", field="day")
    result = detect(day=day, actor=actor)
    region = getattr(actor, "region", None)
    with transaction.atomic():
        audit_record(actor=actor, action="alerts.detect", object_type="alerts.detectionrun",
                     object_repr=f"{day:%Y-%m-%d} 预警检测", region_path=getattr(region, "path", "") or "",
                     after=result.as_dict())
    return result


EXPORT_HEADERS = ["发生时间", "预警规则", "预警内容", "区县", "助餐点", "老人", "状态", "处理人", "办结时间",
                  "处理意见", "追回补贴（元）", "情况"]


def alerts_export(*, actor, filters) -> bytes:
    """The filtered alerts as .xlsx (names masked, local times, yuan), audited with the filter and
    the number of rows."""
    from zhucan.accounts.permissions import has_perm
    from zhucan.alerts import selectors
    from zhucan.core.audit import audit_export
    from zhucan.core.money import fen_to_decimal
    from zhucan.core.sealed import mask_name
    from zhucan.core.xlsx import xlsx_bytes

    if not has_perm(actor, "alert", "export"):
        raise PermissionDenied("导出预警", "export alerts")
    rows = []
    for a in selectors.alert_list(user=actor, filters=filters, action="export"):
        rows.append([
            a.occurred_at.astimezone(clock.LOCAL_TZ).strftime("%Y-%m-%d %H:%M"), rules.rule_title(a.rule), a.title,
            a.district.name if a.district else "", a.canteen.name if a.canteen else "",
            mask_name(a.elder.name) if a.elder else "", a.get_status_display(), str(a.assignee or ""),
            a.closed_at.astimezone(clock.LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if a.closed_at else "",
            a.close_reason, fen_to_decimal(a.recovery_fen),
            "；".join(f"{k}：{v}" for k, v in a.details.items())])
    content = xlsx_bytes(sheet="预警", headers=EXPORT_HEADERS, rows=rows)
    with transaction.atomic():
        audit_export(actor=actor, what="alerts", filters=filters.as_query(), rows=len(rows))
    return content
