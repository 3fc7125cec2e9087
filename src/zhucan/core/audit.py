"""Writing the audit log. Call inside the service's transaction so the row lands with the change."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import models

from zhucan.core import clock
from zhucan.core.models import AuditLog


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return value


def snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    """A JSON-safe picture of `fields` of `obj`; foreign keys by id. Never include plaintext PII."""
    out: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        if field.many_to_many:
            out[name] = sorted(str(v) for v in getattr(obj, name).values_list("code", flat=True))
        elif field.is_relation:
            out[name] = _plain(getattr(obj, field.attname))
        else:
            out[name] = _plain(getattr(obj, name))
    return out


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    region_path: str = "",
    before: dict | None = None,
    after: dict | None = None,
    note: str = "",
    ip: str | None = None,
) -> AuditLog:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    return AuditLog.objects.create(
        at=clock.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        actor_repr=getattr(actor, "username", "") or "system",
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        region_path=region_path,
        before=before,
        after=after,
        note=note[:500],
        ip=ip,
    )


class CountedRows:
    """Wraps the rows an export writes so the export's audit row can say how many there were."""

    def __init__(self, rows):
        self._rows = rows
        self.count = 0

    def __iter__(self):
        for row in self._rows:
            self.count += 1
            yield row


def audit_export(*, actor, what: str, filters, rows: int, ip: str | None = None) -> AuditLog:
    """Every file that takes platform data out leaves one row: who, what, with which filter, how many
    rows. `filters` is the query the person chose (request.GET or a dict); empty values are left out."""
    items = filters.items() if hasattr(filters, "items") else filters
    chosen = {str(k)[:40]: str(_plain(v))[:100] for k, v in items if v not in (None, "")}
    region = getattr(actor, "region", None)
    return audit_record(actor=actor, action=f"{what}.export", object_type=what,
                        region_path=getattr(region, "path", "") or "",
                        after={"filters": chosen, "rows": rows}, note="导出", ip=ip)
