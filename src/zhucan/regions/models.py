"""The jurisdiction tree: city → district (区/县) → subdistrict (街道/乡镇) → community (社区/村).

Each node keeps a materialised `path` of codes ("330100/330106/330106001/") so that "everything
under this node" is one indexed prefix query — the basis of every role's scope.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    CITY = "city", _("市")
    DISTRICT = "district", _("区/县")
    SUBDISTRICT = "subdistrict", _("街道/乡镇")
    COMMUNITY = "community", _("社区/村")


LEVEL_ORDER = [Level.CITY, Level.DISTRICT, Level.SUBDISTRICT, Level.COMMUNITY]


class Area(models.TextChoices):
    URBAN = "urban", _("城区")
    RURAL = "rural", _("农村")


class Region(models.Model):
    code = models.CharField(_("区划代码"), max_length=16, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, unique=True, editable=False)
    area = models.CharField(_("城乡"), max_length=8, choices=Area.choices, blank=True)
    # Only on cities: the id of the policy file the city runs (policies/<id>.yaml).
    policy_id = models.CharField(_("优惠政策"), max_length=64, blank=True)

    class Meta:
        ordering = ["path"]
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level="city", parent__isnull=True)
                | (~models.Q(level="city") & models.Q(parent__isnull=False)),
                name="region_only_city_is_root",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.path = (self.parent.path if self.parent_id else "") + f"{self.code}/"
        super().save(*args, **kwargs)

    def ancestor(self, level: str) -> Region | None:
        node: Region | None = self
        while node is not None and node.level != level:
            node = node.parent
        return node

    @property
    def city(self) -> Region | None:
        return self.ancestor(Level.CITY)

    @property
    def district(self) -> Region | None:
        return self.ancestor(Level.DISTRICT)

    @property
    def full_name(self) -> str:
        names = []
        node: Region | None = self
        while node is not None:
            names.append(node.name)
            node = node.parent
        return "".join(reversed(names))

    def contains(self, other: Region) -> bool:
        return other.path.startswith(self.path)
