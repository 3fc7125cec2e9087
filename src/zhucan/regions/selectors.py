"""Reads of the jurisdiction tree."""

from __future__ import annotations

from django.db.models import QuerySet

from zhucan.regions.models import Level, Region


def region_list(*, user, level: str | None = None) -> QuerySet[Region]:
    """Nodes the user may see: their own subtree plus the chain of ancestors above it."""
    from zhucan.accounts.scoping import restrict

    qs = restrict(Region.objects.select_related("parent"), user, "view")
    if level:
        qs = qs.filter(level=level)
    return qs


def region_choices(*, user, levels: tuple[str, ...]) -> QuerySet[Region]:
    return region_list(user=user).filter(level__in=levels).select_related("parent__parent")


def district_of(region: Region) -> Region | None:
    return region.ancestor(Level.DISTRICT)
