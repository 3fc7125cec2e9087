"""The facts the engine is given: the elder, the canteen, the priced items.

These are plain frozen dataclasses so a platform (Django models), a terminal (offline cache) or a
scenario file can build them without depending on each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time

from .errors import InputError

ELDER_STATUSES = ("active", "deceased", "moved_away", "withdrawn")
AREAS = ("urban", "rural")


@dataclass(frozen=True, slots=True)
class ElderFacts:
    """What the engine needs to know about an elder.

    ``tags`` are opaque codes (``purchased_home_care``, ``dibao``, ``tekun``, ``disabled``,
    ``living_alone``, ``empty_nest``); ``status_since`` is the date from which a deceased or moved
    elder receives no benefit; ``verified`` is the subdistrict's eligibility check (LC-8).
    """

    birth_date: date
    tags: frozenset[str] = frozenset()
    hukou_district: str | None = None
    status: str = "active"
    status_since: date | None = None
    verified: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.birth_date, date):
            raise InputError("elder.birth_date", f"expected a date, got {self.birth_date!r}")
        if not isinstance(self.tags, frozenset):
            object.__setattr__(self, "tags", frozenset(self.tags))
        if self.status not in ELDER_STATUSES:
            raise InputError("elder.status", f"unknown status {self.status!r}; expected one of {ELDER_STATUSES}")
        if self.status != "active" and self.status_since is None:
            raise InputError("elder.status_since", f"status {self.status!r} needs the date it took effect")


@dataclass(frozen=True, slots=True)
class AnnouncedPeriod:
    """A meal period a canteen announces (HZ-7: 具体开放时间以食堂公告为准); both minutes inclusive."""

    name: str
    start: time
    end: time

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InputError(f"canteen.periods.{self.name}", "end is before start")


@dataclass(frozen=True, slots=True)
class CanteenFacts:
    """What the engine needs to know about the canteen where the meal is served.

    ``district`` is a district name (上城区, 开发区) that overlays match on; ``area`` is ``urban`` or
    ``rural`` (LC-2, matters for LC-5 rewards); ``periods`` — if given — are the hours the canteen
    announced; they narrow the policy's standard periods of the same name. ``designated`` says
    whether the canteen is a designated canteen (定点) on the meal's date: only then do its meals
    carry benefits (HZ-8).
    """

    district: str
    area: str | None = None
    periods: tuple[AnnouncedPeriod, ...] | None = None
    designated: bool = True

    def __post_init__(self) -> None:
        if self.area is not None and self.area not in AREAS:
            raise InputError("canteen.area", f"unknown area {self.area!r}; expected urban or rural")
        if self.periods is not None and not isinstance(self.periods, tuple):
            object.__setattr__(self, "periods", tuple(self.periods))
        if not isinstance(self.designated, bool):
            raise InputError("canteen.designated", f"expected true or false, got {self.designated!r}")


@dataclass(frozen=True, slots=True)
class PricedItem:
    """One line of the bill: a dish at a unit price (fen) times a quantity."""

    name: str
    unit_price_fen: int
    quantity: int = 1
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def total_fen(self) -> int:
        return self.unit_price_fen * self.quantity
