"""The compiled form of a policy file: immutable, with per-version lookup tables.

A :class:`Policy` has effective-dated :class:`Version` s (OpenFisca-style: each value takes effect
on a date and carries its legal reference). A version holds the standard meal periods and an
ordered list of :class:`Layer` s — the city standard first, then district overlays (HZ-6). Each
layer has its own eligibility, benefit rules and limits; see docs/policy.md "Layering".
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date

from .errors import InputError, NoVersionInForce
from .facts import AnnouncedPeriod

MAX_AGE = 150
MINUTES_PER_DAY = 24 * 60

# How a canteen's announced hours for a period relate to the city's window for it (HZ-7).
ANNOUNCED_INTERSECT = "intersect"  # the discount applies where both agree
ANNOUNCED_REPLACE = "replace"      # the announced hours are the discount window for that period
ANNOUNCED_HOURS = (ANNOUNCED_REPLACE, ANNOUNCED_INTERSECT)

# How a layer's rules share a total cut short by the price still payable or the cap left.
SPLIT_IN_ORDER = "in_order"          # rules paid in file order: the later rules are cut first
SPLIT_PROPORTIONAL = "proportional"  # each rule in proportion to its amount; odd fen to the earlier rules
SPLITS = (SPLIT_PROPORTIONAL, SPLIT_IN_ORDER)


@dataclass(frozen=True, slots=True)
class Funder:
    """Who pays a benefit line (city / district / canteen …); the vocabulary is the policy file's."""

    id: str
    name_zh: str
    name_en: str


@dataclass(frozen=True, slots=True)
class Band:
    """An age band (both ends inclusive, ``max_age`` None = open) and its value.

    ``value`` is basis points of the base for a ``percent`` rule (2000 = 20% off = 8折) and fen for a
    ``fixed`` rule.
    """

    min_age: int
    max_age: int | None
    value: int
    label_zh: str
    label_en: str
    ref: str

    def contains(self, age: int) -> bool:
        return age >= self.min_age and (self.max_age is None or age <= self.max_age)


@dataclass(frozen=True, slots=True)
class Rule:
    """A benefit rule of a layer: a percentage or a fixed amount by age band, paid by one funder."""

    id: str
    kind: str  # "percent" | "fixed"
    funder: str
    name_zh: str
    ref: str
    bands: tuple[Band, ...]

    def band_for(self, age: int) -> Band | None:
        for band in self.bands:
            if band.contains(age):
                return band
        return None


@dataclass(frozen=True, slots=True)
class Eligibility:
    """Who a layer benefits (HZ-1, LC-4, LC-8): age, tags, household district, canteen district."""

    min_age: int
    max_age: int | None
    required_tags_any: frozenset[str]
    excluded_tags: frozenset[str]
    hukou_districts: frozenset[str] | None
    canteen_districts: frozenset[str] | None
    areas: frozenset[str] | None
    require_verified: bool
    ref: str


@dataclass(frozen=True, slots=True)
class Limits:
    """A layer's own limits (HZ-3, HZ-4, LC-4): per period, meals per day, daily amount cap.

    ``require_period``: no benefit outside the meal periods (HZ-3). Every limit counts only meals
    that received a benefit from this layer.
    """

    per_period: int | None
    per_day: int | None
    daily_cap_fen: int | None
    require_period: bool
    ref: str


@dataclass(frozen=True, slots=True)
class Layer:
    """One layer of benefits: the city standard or a district overlay."""

    id: str
    name_zh: str
    name_en: str
    origin: str  # policy id or overlay id that defined the layer
    eligibility: Eligibility
    rules: tuple[Rule, ...]
    limits: Limits
    # age -> tuple of (rule, band) that apply at that age; precomputed for the hot path.
    age_table: tuple[tuple[tuple[Rule, Band], ...], ...] = field(default=(), compare=False, repr=False)
    # When the rules' total exceeds what the layer may give (SPLIT_IN_ORDER | SPLIT_PROPORTIONAL).
    split_when_short: str = SPLIT_IN_ORDER

    @staticmethod
    def build_age_table(eligibility: Eligibility, rules: tuple[Rule, ...]) -> tuple:
        table = []
        for age in range(MAX_AGE + 1):
            hits: list[tuple[Rule, Band]] = []
            if age >= eligibility.min_age and (eligibility.max_age is None or age <= eligibility.max_age):
                for rule in rules:
                    band = rule.band_for(age)
                    if band is not None:
                        hits.append((rule, band))
            table.append(tuple(hits))
        return tuple(table)


@dataclass(frozen=True, slots=True)
class MealPeriod:
    """A standard meal period (HZ-7), start and end minute both inclusive."""

    name: str
    name_zh: str
    name_en: str
    start_min: int
    end_min: int

    def hhmm(self) -> str:
        s, e = self.start_min, self.end_min
        return f"{s // 60:02d}:{s % 60:02d}–{e // 60:02d}:{e % 60:02d}"


@dataclass(frozen=True, slots=True)
class FundLine:
    """An amount owed by one funder (construction subsidy, operating reward)."""

    funder: str
    amount_fen: int
    ref: str


@dataclass(frozen=True, slots=True)
class ConstructionSubsidy:
    """LC-3: one-off construction subsidy by canteen type, one line per funder."""

    canteen_type: str
    name_zh: str
    lines: tuple[FundLine, ...]


@dataclass(frozen=True, slots=True)
class RewardTier:
    """LC-5: from ``min_meals`` meals (人次) a year, these amounts per funder."""

    min_meals: int
    lines: tuple[FundLine, ...]


@dataclass(slots=True)
class Version:
    """The policy in force from ``effective_from`` (until the next version)."""

    id: str
    effective_from: date
    ref: str
    periods: tuple[MealPeriod, ...]
    layers: tuple[Layer, ...]
    construction: dict[str, ConstructionSubsidy]
    rewards: dict[str, tuple[RewardTier, ...]]
    reward_conditions_zh: str = ""
    notes_zh: str = ""
    announced_hours: str = ANNOUNCED_INTERSECT
    period_table: tuple[int, ...] = ()
    _canteen_tables: dict[tuple[AnnouncedPeriod, ...], tuple[int, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.period_table:
            self.period_table = self._table(self.periods)

    @staticmethod
    def _table(periods: tuple[MealPeriod, ...]) -> tuple[int, ...]:
        table = [-1] * MINUTES_PER_DAY
        for i, p in enumerate(periods):
            for minute in range(p.start_min, p.end_min + 1):
                table[minute] = i
        return tuple(table)

    def table_for(self, announced: tuple[AnnouncedPeriod, ...] | None) -> tuple[int, ...]:
        """Minute-of-day -> index of the period (or -1) at a canteen with these announced hours.

        HZ-7: the canteen announces its actual hours. With ``announced_hours: intersect`` the
        discount applies only where the announced period and the standard period of the same name
        overlap; with ``replace`` the announced hours are that period's discount window. Either way
        a period the canteen did not announce gives nothing there. A policy without meal periods
        (LC-4: one subsidised meal a day, whenever it is eaten) has nothing to narrow: the canteen's
        hours are then only its opening hours.
        """
        if announced is None or not self.periods:
            return self.period_table
        table = self._canteen_tables.get(announced)
        if table is not None:
            return table
        index = {p.name: i for i, p in enumerate(self.periods)}
        out = [-1] * MINUTES_PER_DAY
        for ap in announced:
            i = index.get(ap.name)
            if i is None:
                raise InputError(
                    "canteen.periods",
                    f"unknown meal period {ap.name!r}; this policy has {sorted(index) or 'no periods'}",
                )
            lo, hi = ap.start.hour * 60 + ap.start.minute, ap.end.hour * 60 + ap.end.minute
            if self.announced_hours == ANNOUNCED_INTERSECT:
                std = self.periods[i]
                lo, hi = max(std.start_min, lo), min(std.end_min, hi)
            for minute in range(lo, hi + 1):
                out[minute] = i
        table = tuple(out)
        if len(self._canteen_tables) < 4096:
            self._canteen_tables[announced] = table
        return table

    def construction_subsidy(self, canteen_type: str) -> tuple[FundLine, ...]:
        """LC-3: the one-off construction subsidy lines for a canteen type."""
        try:
            return self.construction[canteen_type].lines
        except KeyError:
            raise InputError(
                "canteen_type",
                f"unknown canteen type {canteen_type!r}; expected one of {sorted(self.construction)}",
            ) from None

    def operating_reward(self, area: str, meal_count: int) -> tuple[FundLine, ...]:
        """LC-5: the yearly operating reward lines for ``meal_count`` meals in ``area`` (highest tier)."""
        if isinstance(meal_count, bool) or not isinstance(meal_count, int) or meal_count < 0:
            raise InputError("meal_count", f"expected a non-negative integer, got {meal_count!r}")
        tiers = self.rewards.get(area)
        if tiers is None:
            raise InputError("area", f"no operating reward for area {area!r}; expected one of {sorted(self.rewards)}")
        best: tuple[FundLine, ...] = ()
        for tier in tiers:
            if meal_count >= tier.min_meals:
                best = tier.lines
        return best


@dataclass(frozen=True, slots=True)
class DeliverySubsidy:
    """Part of the delivery fee a funder pays for an elder of an age band (and, optionally, with one
    of the tags ``required_tags_any``: e.g. an extra for 失能 ``disabled`` or 独居 ``living_alone``)."""

    id: str
    funder: str
    name_zh: str
    bands: tuple[Band, ...]  # value: fen per delivered meal
    required_tags_any: frozenset[str]
    excluded_tags: frozenset[str]
    ref: str

    def amount_for(self, age: int, tags: frozenset[str]) -> int:
        if self.required_tags_any and self.required_tags_any.isdisjoint(tags):
            return 0
        if self.excluded_tags and not self.excluded_tags.isdisjoint(tags):
            return 0
        for band in self.bands:
            if band.contains(age):
                return band.value
        return 0


@dataclass(frozen=True, slots=True)
class DeliveryTerm:
    """Delivery fee and subsidies in force from ``effective_from`` to ``effective_to`` (inclusive,
    None = open), declared by a city policy (``district`` None) or a district overlay (its canteens
    only). ``fee_fen`` None: this term sets no fee (it only adds subsidies)."""

    id: str
    origin: str
    district: str | None
    effective_from: date
    effective_to: date | None
    ref: str
    fee_fen: int | None
    subsidies: tuple[DeliverySubsidy, ...]

    def in_force(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


@dataclass(slots=True)
class Overlay:
    """A district's own rules on top of a city policy (HZ-6), effective-dated like a policy."""

    id: str
    extends: str
    district: str
    name_zh: str
    name_en: str
    funders: dict[str, Funder]
    versions: tuple[tuple[date, str, tuple[Layer, ...]], ...]
    source_file: str
    delivery: tuple[DeliveryTerm, ...] = ()

    def layers_on(self, day: date) -> tuple[str, tuple[Layer, ...]] | None:
        found = None
        for eff, vid, layers in self.versions:
            if eff <= day:
                found = (vid, layers)
        return found


@dataclass(slots=True)
class Policy:
    """A city's policy with its versions and the overlays layered on it."""

    id: str
    name_zh: str
    name_en: str
    timezone: str
    funders: dict[str, Funder]
    sources: dict[str, str]
    versions: tuple[Version, ...]
    source_file: str
    overlays: tuple[Overlay, ...] = ()
    delivery: tuple[DeliveryTerm, ...] = ()
    _starts: list[date] = field(default_factory=list)
    _composed: dict[tuple[str, ...], Version] = field(default_factory=dict)
    _by_day: dict[date, Version] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._starts = [v.effective_from for v in self.versions]

    def version_on(self, day: date) -> Version:
        """The version in force on ``day``, with the overlays in force that day layered on it."""
        found = self._by_day.get(day)
        if found is None:
            found = self._version_on(day)
            if len(self._by_day) > 10_000:
                self._by_day.clear()
            self._by_day[day] = found
        return found

    def _version_on(self, day: date) -> Version:
        i = bisect.bisect_right(self._starts, day) - 1
        if i < 0:
            raise NoVersionInForce(
                f"policy {self.id!r} has no version in force on {day.isoformat()} "
                f"(first version takes effect {self._starts[0].isoformat()})"
            )
        base = self.versions[i]
        if not self.overlays:
            return base
        parts: list[tuple[str, tuple[Layer, ...]]] = []
        for ov in self.overlays:
            found = ov.layers_on(day)
            if found is not None:
                parts.append((f"{ov.id}:{found[0]}", found[1]))
        if not parts:
            return base
        key = (base.id, *(p[0] for p in parts))
        composed = self._composed.get(key)
        if composed is None:
            layers = list(base.layers)
            for _, extra in parts:
                layers.extend(extra)
            composed = Version(
                id="+".join(key),
                effective_from=base.effective_from,
                ref=base.ref,
                periods=base.periods,
                layers=tuple(layers),
                construction=base.construction,
                rewards=base.rewards,
                reward_conditions_zh=base.reward_conditions_zh,
                notes_zh=base.notes_zh,
                announced_hours=base.announced_hours,
                period_table=base.period_table,
            )
            self._composed[key] = composed
        return composed

    def delivery_on(self, day: date, district: str | None) -> tuple[DeliveryTerm, ...]:
        """The delivery terms in force on ``day`` for a canteen in ``district``: the city's first,
        then each overlay's for its own district."""
        terms = [t for t in self.delivery if t.in_force(day)]
        for ov in self.overlays:
            terms += [t for t in ov.delivery if t.in_force(day) and t.district == district]
        return tuple(terms)

    def latest(self) -> Version:
        return self.versions[-1]

    def construction_subsidy(self, canteen_type: str, *, on: date | None = None) -> tuple[FundLine, ...]:
        """LC-3 lines (by funder) for ``canteen_type`` in the version in force ``on`` (default: latest)."""
        version = self.latest() if on is None else self.version_on(on)
        return version.construction_subsidy(canteen_type)

    def operating_reward(self, area: str, meal_count: int, *, on: date | None = None) -> tuple[FundLine, ...]:
        """LC-5 lines (by funder) for a year of ``meal_count`` meals in ``area`` (urban / rural)."""
        version = self.latest() if on is None else self.version_on(on)
        return version.operating_reward(area, meal_count)
