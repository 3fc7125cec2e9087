"""Reads of the elder registry, scoped to the user's jurisdiction."""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet

from zhucan.accounts.scoping import get_scoped, restrict
from zhucan.core.idnumber import IdNumberError, parse_id_number
from zhucan.elders.models import Elder

_ID_LIKE = re.compile(r"^\s*\d{17}[\dXx]\s*$")
_PARTIAL_ID = re.compile(r"^[\dXx*]{4,18}$")


def elder_list(
    *,
    user,
    action: str = "view",
    q: str = "",
    region_id: int | None = None,
    status: str = "",
    verification: str = "",
    tag: str = "",
) -> QuerySet[Elder]:
    """Elders the user may see, filtered. `q` matches a name, a full ID number (blind index),
    a fragment of the masked number (e.g. the last four digits) or a phone/card number."""
    from zhucan.elders.services import id_number_index

    qs = restrict(Elder.objects.select_related("community__parent__parent"), user, action)
    q = (q or "").strip()
    if q:
        if _ID_LIKE.match(q):
            try:
                number = parse_id_number(q).number
            except IdNumberError:
                number = q.upper()
            qs = qs.filter(id_number_index=id_number_index(number))
        elif _PARTIAL_ID.match(q):
            parts = [p for p in re.split(r"\*+", q.upper()) if p]
            cond = Q(phone__contains=q) | Q(citizen_card_number__contains=q)
            masked = Q()
            for part in parts:
                masked &= Q(id_number_masked__contains=part)
            qs = qs.filter(cond | masked)
        else:
            qs = qs.filter(Q(name__contains=q) | Q(address__contains=q))
    if region_id:
        from zhucan.regions.models import Region

        region = restrict(Region.objects.all(), user, "view").filter(pk=region_id).first()
        qs = qs.filter(community__path__startswith=region.path) if region else qs.none()
    if status:
        qs = qs.filter(status=status)
    if verification:
        qs = qs.filter(verification=verification)
    if tag:
        qs = qs.filter(tags__code=tag)
    return qs.distinct() if tag else qs


def elder_get(*, user, elder_id: int, action: str = "view") -> Elder:
    return get_scoped(
        Elder.objects.select_related("community__parent__parent", "hukou_district", "verified_by"),
        user, action, pk=elder_id, what_zh="老人档案", what_en="elder",
    )
