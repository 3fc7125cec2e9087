"""An elder's counters for one local day, across every canteen (HZ-3, HZ-4, HZ-5, LC-4).

The platform stores one :class:`DayUsage` per elder per local date (one row, locked at commit) as
JSON (``to_dict`` / ``from_dict``). A quote returns the ``usage_delta`` its meal consumes; commit
does ``usage.apply(delta)``, void does ``usage.reverse(delta)`` — exact inverses.

Shape (JSON)::

    {"date": "2025-06-02",
     "layers": {"city": {"benefit_fen": 600, "meals": 1, "periods": {"lunch": 1}}}}

Counters are kept per *layer* (the city standard, each district overlay), because each layer has
its own limits (docs/policy.md, "Layering"). ``meals`` counts meals that received a benefit from the
layer; ``periods`` counts them per meal period; ``benefit_fen`` sums the layer's benefit.
"""

from __future__ import annotations

from datetime import date
from typing import Any, NamedTuple

from .errors import InputError


class LayerUsage(NamedTuple):
    """Counters of one layer for one elder on one day (a tuple: cheap to build on the hot path)."""

    benefit_fen: int = 0
    meals: int = 0
    periods: tuple[tuple[str, int], ...] = ()

    def period_count(self, name: str) -> int:
        for key, count in self.periods:
            if key == name:
                return count
        return 0

    def is_zero(self) -> bool:
        return self.benefit_fen == 0 and self.meals == 0 and not self.periods

    def combine(self, other: LayerUsage, sign: int) -> LayerUsage:
        if not other.periods:
            periods = self.periods
        elif not self.periods and sign == 1:
            periods = other.periods
        else:
            counts = dict(self.periods)
            for key, count in other.periods:
                counts[key] = counts.get(key, 0) + sign * count
            periods = tuple(sorted((k, v) for k, v in counts.items() if v != 0))
        return LayerUsage(self.benefit_fen + sign * other.benefit_fen, self.meals + sign * other.meals, periods)

    def to_dict(self) -> dict[str, Any]:
        return {"benefit_fen": self.benefit_fen, "meals": self.meals, "periods": dict(self.periods)}

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str) -> LayerUsage:
        if not isinstance(data, dict):
            raise InputError(where, "expected an object")
        unknown = set(data) - {"benefit_fen", "meals", "periods"}
        if unknown:
            raise InputError(where, f"unknown keys {sorted(unknown)}")
        benefit = data.get("benefit_fen", 0)
        meals = data.get("meals", 0)
        periods = data.get("periods", {}) or {}
        for name, value in (("benefit_fen", benefit), ("meals", meals)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InputError(f"{where}.{name}", f"expected an integer >= 0, got {value!r}")
        if not isinstance(periods, dict):
            raise InputError(f"{where}.periods", "expected an object of period -> count")
        for key, value in periods.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InputError(f"{where}.periods.{key}", f"expected an integer >= 0, got {value!r}")
        return cls(benefit, meals, tuple(sorted((str(k), v) for k, v in periods.items() if v != 0)))


_EMPTY_LAYER = LayerUsage()


class DayUsage:
    """An elder's benefit counters for one local date (``date`` None = not yet bound to a day).

    Treat as immutable: ``apply`` / ``reverse`` return new objects.
    """

    __slots__ = ("date", "layers")

    def __init__(self, date: date | None = None, layers: dict[str, LayerUsage] | None = None) -> None:
        self.date = date
        self.layers: dict[str, LayerUsage] = {} if layers is None else layers

    def __repr__(self) -> str:
        return f"DayUsage(date={self.date!r}, layers={self.layers!r})"

    @classmethod
    def empty(cls, day: date | None = None) -> DayUsage:
        return cls(day, {})

    def layer(self, layer_id: str) -> LayerUsage:
        return self.layers.get(layer_id, _EMPTY_LAYER)

    def is_zero(self) -> bool:
        return all(lu.is_zero() for lu in self.layers.values())

    def _combine(self, delta: DayUsage, sign: int) -> DayUsage:
        if delta.date is not None and self.date is not None and delta.date != self.date:
            raise InputError("usage.date", f"delta for {delta.date} cannot be applied to usage of {self.date}")
        layers = dict(self.layers)
        for layer_id, lu in delta.layers.items():
            combined = layers.get(layer_id, _EMPTY_LAYER).combine(lu, sign)
            if combined.benefit_fen < 0 or combined.meals < 0 or any(v < 0 for _, v in combined.periods):
                raise InputError("usage", f"reversing more than was used in layer {layer_id!r}")
            if combined.is_zero():
                layers.pop(layer_id, None)
            else:
                layers[layer_id] = combined
        return DayUsage(self.date if self.date is not None else delta.date, layers)

    def apply(self, delta: DayUsage) -> DayUsage:
        """The usage after a committed meal consumed ``delta``."""
        return self._combine(delta, 1)

    def reverse(self, delta: DayUsage) -> DayUsage:
        """The usage after a void gives back exactly what the meal's ``delta`` consumed."""
        return self._combine(delta, -1)

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat() if self.date else None,
            "layers": {k: v.to_dict() for k, v in sorted(self.layers.items())},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> DayUsage:
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise InputError("usage", "expected an object")
        unknown = set(data) - {"date", "layers"}
        if unknown:
            raise InputError("usage", f"unknown keys {sorted(unknown)}")
        raw_date = data.get("date")
        day: date | None = None
        if raw_date is not None:
            try:
                day = date.fromisoformat(str(raw_date))
            except ValueError:
                raise InputError("usage.date", f"not an ISO date: {raw_date!r}") from None
        layers_raw = data.get("layers") or {}
        if not isinstance(layers_raw, dict):
            raise InputError("usage.layers", "expected an object")
        layers = {}
        for k, v in layers_raw.items():
            lu = LayerUsage.from_dict(v, f"usage.layers.{k}")
            if not lu.is_zero():
                layers[str(k)] = lu
        return cls(day, layers)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DayUsage):
            return NotImplemented
        return self.date == other.date and self.layers == other.layers

    __hash__ = None  # type: ignore[assignment]
