"""The one place that decides which rows a user may see or act on (NetBox's `restrict`).

Every list, detail, export and API query goes through `restrict(queryset, user, action)`. A model
declares how it hangs in the tree with a `Scope` in `SCOPES`: the region path(s) it lives under and,
for canteen staff, the canteen it belongs to. Rows outside the scope simply do not exist for the
user: `get_scoped` answers "not found" for them, exactly as for a missing id.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Model, Q, QuerySet

from zhucan.accounts.models import CANTEEN_ROLES
from zhucan.accounts.permissions import has_perm
from zhucan.core.errors import NotFound


@dataclass(frozen=True)
class Scope:
    resource: str
    region_paths: tuple[str, ...]  # lookups to a Region.path, OR-ed
    canteen_field: str | None  # lookup to the canteen id, for canteen staff; None = not visible


SCOPES: dict[str, Scope] = {}


def register(model_label: str, scope: Scope) -> None:
    SCOPES[model_label] = scope


def _scope_for(qs: QuerySet) -> Scope:
    try:
        return SCOPES[qs.model._meta.label_lower]
    except KeyError as exc:
        raise LookupError(f"no scope registered for {qs.model._meta.label_lower}") from exc


def restrict(qs: QuerySet, user, action: str = "view") -> QuerySet:
    scope = _scope_for(qs)
    if not has_perm(user, scope.resource, action):
        return qs.none()
    if user.is_superuser:
        return qs
    if user.role in CANTEEN_ROLES:
        if scope.canteen_field is None or not user.canteen_id:
            return qs.none()
        return qs.filter(**{scope.canteen_field: user.canteen_id})
    if not user.region_id:
        return qs.none()
    path = user.region.path
    condition = Q()
    for lookup in scope.region_paths:
        condition |= Q(**{f"{lookup}__startswith": path})
    if scope.resource == "region":
        # Regions: the subtree, plus the ancestors so that names along the way can be shown.
        ancestors = [path[: i + 1] for i, ch in enumerate(path[:-1]) if ch == "/"]
        condition |= Q(path__in=ancestors)
    return qs.filter(condition)


def get_scoped(qs: QuerySet, user, action: str, *, what_zh: str = "记录", what_en: str = "record",
               **lookup) -> Model:
    """Fetch one row the user may act on; missing and not-yours are the same NotFound."""
    obj = restrict(qs, user, action).filter(**lookup).first()
    if obj is None:
        raise NotFound(what_zh, what_en)
    return obj


register("regions.region", Scope("region", ("path",), canteen_field=None))
register("accounts.user", Scope("user", ("region__path", "canteen__region__path"), canteen_field=None))
register("core.auditlog", Scope("audit", ("region_path",), canteen_field=None))
