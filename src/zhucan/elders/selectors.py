"""Reads of the elder registry, scoped to the user's jurisdiction."""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet

from zhucan.accounts.scoping import get_scoped, restrict
from zhucan.core.errors import DomainError
from zhucan.core.idnumber import IdNumberError, parse_id_number
from zhucan.elders.models import Elder
from zhucan.elders.sealed import phone_digits, phone_index

_ID_LIKE = re.compile(r"^\s*\d{17}[\dXx]\s*$")
_PARTIAL_ID = re.compile(r"^[\dXx*]{4,18}$")
_PHONE_LIKE = re.compile(r"^\+?[\d\s\-()（）]{7,}$")


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
    a fragment of the masked number (e.g. the last four digits), or a whole phone or card number
    (their blind indexes: phone numbers and addresses are stored encrypted, so neither a fragment
    of a phone number nor an address can be searched)."""
    from zhucan.elders.services import id_number_index

    qs = restrict(Elder.objects.select_related("community__parent__parent"), user, action)
    q = (q or "").strip()
    if q:
        if _ID_LIKE.match(q):
            try:
                number = parse_id_number(q).number
            except IdNumberError:
                number = q.upper()
            # 18 digits may also be a citizen card number (Hangzhou's are).
            qs = qs.filter(Q(id_number_index=id_number_index(number)) | _whole_number(q))
        elif _PARTIAL_ID.match(q):
            parts = [p for p in re.split(r"\*+", q.upper()) if p]
            masked = Q()
            for part in parts:
                masked &= Q(id_number_masked__contains=part)
            qs = qs.filter(_whole_number(q) | masked)
        elif _PHONE_LIKE.match(q):
            qs = qs.filter(_whole_number(q))
        else:
            qs = qs.filter(name__contains=q)
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


def _whole_number(q: str) -> Q:
    """Elders whose phone, or whose card (any card they held, lost ones too), is exactly `q`."""
    from zhucan.identity.models import CitizenCard
    from zhucan.identity.services import card_number_index, card_number_normalise

    cond = Q(phone_index=phone_index(q)) if phone_digits(q) else Q(pk__in=[])
    try:
        number = card_number_normalise(q)
    except DomainError:
        return cond
    holders = CitizenCard.objects.filter(number_index=card_number_index(number)).values("elder_id")
    return cond | Q(pk__in=holders)


def active_card_masks(qs: QuerySet[Elder]) -> dict[int, str]:
    """The masked number of each listed elder's card in use, for lists and exports."""
    from zhucan.identity.models import CardStatus, CitizenCard

    return dict(CitizenCard.objects.filter(elder__in=qs.values("pk"), status=CardStatus.ACTIVE)
                .values_list("elder_id", "number_masked"))


def elder_get(*, user, elder_id: int, action: str = "view") -> Elder:
    return get_scoped(
        Elder.objects.select_related("community__parent__parent", "hukou_district", "verified_by"),
        user, action, pk=elder_id, what_zh="老人档案", what_en="elder",
    )
