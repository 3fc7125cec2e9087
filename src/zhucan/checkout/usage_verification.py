"""Reconcile the elders' day-usage rows with the ledger, and the ledger with the policy's limits.

The usage row (`ElderDayUsage`) is the counter a commit locks and trusts to enforce once per period,
the meals a day and the daily cap (HZ-3, HZ-4, LC-4). It is running state, outside the hash chain:
a row edited in SQL would let a second discount through and still pass the chain check. So every
row is recomputed from the ledger — sales minus their voids and refunds, a reversal counted on the
day of the meal it reverses — and the ledger's own per-day figures are held against the limits of
the policy in force that day.

The database screens the elder-days first (usage_screen: the ledger and the rows compared with
EXCEPT, and the ledger's figures against the loosest limit of each layer); Python then aggregates
and explains only the elder-days the screen picked out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import Case, Count, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Coalesce

from zhucan.checkout.models import BenefitLine, ElderDayUsage, Meal, MealKind, Reservation, ReservationStatus
from zhucan.checkout.usage_screen import limit_candidates, suspect_elder_days
from zhucan.core.errors import DomainError
from zhucan.elders.models import Elder
from zhucan.policy import DayUsage, LayerUsage, PolicyError, format_fen
from zhucan.policy.engine import DELIVERY_LAYER
from zhucan.regions.models import Region
from zhucan.rules.facts import policy_for_city

# The day a record counts on: its own for a sale, the reversed sale's for a void or refund (the
# reversal gives back the usage of that day, whenever it happens).
_COUNTED_DAY = Coalesce(F("reverses__local_date"), F("local_date"))
_LINE_COUNTED_DAY = Coalesce(F("meal__reverses__local_date"), F("meal__local_date"))


@dataclass(frozen=True)
class CounterProblem:
    """One elder-day whose counters disagree with the ledger, or whose ledger breaks a limit."""

    elder_id: int
    elder_masked: str  # the masked ID number, never the number itself
    day: date
    kind: str  # usage_mismatch | usage_unreadable | usage_missing | period_limit | outside_period |
    #            daily_meals | daily_cap | unknown_layer | policy_unavailable
    detail: str

    def __str__(self) -> str:
        return f"elder {self.elder_id} ({self.elder_masked}) {self.day.isoformat()}: {self.kind} — {self.detail}"


@dataclass
class _Ledger:
    """What the ledger says for one elder-day."""

    benefit_fen: int = 0
    meals: int = 0
    # (policy id, layer id) -> period ("" = outside the periods) -> [benefit fen, benefited meals]
    layers: dict | None = None


def _yuan(fen: int) -> str:
    return f"{format_fen(fen)} yuan"


def _layer_text(lu: LayerUsage) -> str:
    periods = ", ".join(f"{name} {count}" for name, count in lu.periods) or "none"
    return f"{_yuan(lu.benefit_fen)}, {lu.meals} meal(s), periods: {periods}"


def _ledger_by_elder_day(days: tuple[date, date] | None, elder_ids: list[int] | None = None,
                         out: dict | None = None) -> dict[tuple[int, date], _Ledger]:
    meals = Meal.objects.filter(elder__isnull=False).annotate(day=_COUNTED_DAY)
    lines = BenefitLine.objects.filter(meal__elder__isnull=False).annotate(day=_LINE_COUNTED_DAY)
    if days is not None:
        meals = meals.filter(day__range=days)
        lines = lines.filter(day__range=days)
    if elder_ids is not None:
        meals = meals.filter(elder_id__in=elder_ids)
        lines = lines.filter(meal__elder_id__in=elder_ids)
    sign = Case(When(kind=MealKind.SALE, then=Value(1)), default=Value(-1), output_field=IntegerField())
    out = defaultdict(_Ledger) if out is None else out
    for elder_id, day, benefit, count in (meals.values("elder_id", "day").order_by()
                                          .annotate(benefit=Sum("benefit_fen"), count=Sum(sign))
                                          .values_list("elder_id", "day", "benefit", "count").iterator()):
        entry = out[(elder_id, day)]
        entry.benefit_fen, entry.meals = benefit or 0, count or 0
    # A meal with two lines in one layer (Liaocheng: city and district) is one benefited meal.
    per_layer = (lines.values("meal__elder_id", "day", "meal__policy_id", "layer_id", "meal__period").order_by()
                 .annotate(benefit=Sum("amount_fen"),
                           sales=Count("meal_id", distinct=True, filter=Q(meal__kind=MealKind.SALE)),
                           reversals=Count("meal_id", distinct=True, filter=~Q(meal__kind=MealKind.SALE)))
                 .values_list("meal__elder_id", "day", "meal__policy_id", "layer_id", "meal__period", "benefit",
                              "sales", "reversals"))
    for elder_id, day, policy_id, layer_id, period, benefit, sales, reversals in per_layer.iterator():
        entry = out[(elder_id, day)]
        if entry.layers is None:
            entry.layers = {}
        entry.layers.setdefault((policy_id, layer_id), {})[period or ""] = [benefit or 0, sales - reversals]
    _add_held(out, days, elder_ids)
    return out


def _add_held(out: dict, days: tuple[date, date] | None, elder_ids: list[int] | None) -> None:
    """Add the benefits held for orders not yet handed over: the usage row's counters hold them
    (checkout/reservations.py), its meals and benefit columns do not."""
    held = Reservation.objects.filter(status=ReservationStatus.HELD).exclude(usage_delta={})
    if days is not None:
        held = held.filter(local_date__range=days)
    if elder_ids is not None:
        held = held.filter(elder_id__in=elder_ids)
    for elder_id, day, policy_id, delta in held.values_list("elder_id", "local_date", "policy_id",
                                                            "usage_delta").iterator():
        entry = out[(elder_id, day)]
        if entry.layers is None:
            entry.layers = {}
        for layer_id, lu in DayUsage.from_dict(delta).layers.items():
            periods = entry.layers.setdefault((policy_id, layer_id), {})
            named = [(name, count) for name, count in lu.periods if count]
            for i, (name, count) in enumerate(named or [("", lu.meals)]):
                was = periods.setdefault(name, [0, 0])
                was[0] += lu.benefit_fen if i == 0 else 0
                was[1] += count


def _layer_usage(periods: dict[str, list[int]]) -> LayerUsage:
    benefit = sum(b for b, _ in periods.values())
    meals = sum(n for _, n in periods.values())
    named = tuple(sorted((p, n) for p, (_, n) in periods.items() if p and n))
    return LayerUsage(benefit, meals, named)


def _reconcile(row, ledger: _Ledger | None, day: date) -> list[tuple[str, str]]:
    """(kind, detail) for a usage row against the ledger's figures for its elder-day."""
    ledger = ledger or _Ledger()
    if row is None:
        return [("usage_missing", f"no usage row; the ledger has {_yuan(ledger.benefit_fen)} over "
                                  f"{ledger.meals} meal(s)")]
    usage_json, benefit_fen, meals = row
    found = []
    if (benefit_fen, meals) != (ledger.benefit_fen, ledger.meals):
        found.append(("usage_mismatch", f"usage row {_yuan(benefit_fen)} over {meals} meal(s); "
                                        f"ledger {_yuan(ledger.benefit_fen)} over {ledger.meals} meal(s)"))
    try:
        usage = DayUsage.from_dict(usage_json)
    except PolicyError as exc:
        return [*found, ("usage_unreadable", f"usage row counters cannot be read: {exc}")]
    if usage.date not in (None, day):
        found.append(("usage_mismatch", f"usage row is dated {usage.date.isoformat()}"))
    # The row's counters are per layer id, shared by every policy the elder ate under that day.
    merged: dict[str, dict[str, list[int]]] = {}
    for (_, layer_id), periods in (ledger.layers or {}).items():
        into = merged.setdefault(layer_id, {})
        for period, (benefit, count) in periods.items():
            was = into.setdefault(period, [0, 0])
            was[0], was[1] = was[0] + benefit, was[1] + count
    expected = {k: lu for k, periods in merged.items() if not (lu := _layer_usage(periods)).is_zero()}
    for layer_id in sorted(set(expected) | set(usage.layers)):
        held, owed = usage.layer(layer_id), expected.get(layer_id, LayerUsage())
        if held != owed:
            found.append(("usage_mismatch", f"layer {layer_id}: usage row {_layer_text(held)}; "
                                            f"ledger {_layer_text(owed)}"))
    return found


def _policy(policy_id: str, policies: dict):
    """The city's policy as checkout loads it (with its enabled overlays), None if it cannot load."""
    if policy_id not in policies:
        try:
            policies[policy_id] = policy_for_city(policy_id)
        except DomainError:
            policies[policy_id] = None
    return policies[policy_id]


def _limits(ledger: _Ledger, day: date, policies: dict) -> list[tuple[str, str]]:
    """(kind, detail) for each limit of the policy in force that the ledger's elder-day exceeds."""
    found = []
    for (policy_id, layer_id), periods in sorted((ledger.layers or {}).items()):
        policy = _policy(policy_id, policies)
        if policy is None:
            found.append(("policy_unavailable", f"policy {policy_id!r} cannot be loaded"))
            continue
        try:
            version = policy.version_on(day)
        except PolicyError as exc:
            found.append(("policy_unavailable", str(exc)))
            continue
        if layer_id == DELIVERY_LAYER:
            continue  # the delivery subsidy: no per-day limits of its own
        layer = next((lay for lay in version.layers if lay.id == layer_id), None)
        if layer is None:
            found.append(("unknown_layer", f"benefit from layer {layer_id!r}, which the {policy_id} policy in "
                                           f"force ({version.id}) does not have"))
            continue
        lim, used = layer.limits, _layer_usage(periods)
        if lim.per_period is not None:
            for period, count in used.periods:
                if count > lim.per_period:
                    found.append(("period_limit", f"layer {layer_id}: {count} benefited meals in the {period} "
                                                  f"period, limit {lim.per_period}"))
        outside = periods.get("", [0, 0])
        if lim.require_period and outside[1] > 0:
            found.append(("outside_period", f"layer {layer_id}: {outside[1]} benefited meal(s) "
                                            f"({_yuan(outside[0])}) outside the meal periods"))
        if lim.per_day is not None and used.meals > lim.per_day:
            found.append(("daily_meals", f"layer {layer_id}: {used.meals} benefited meals, limit {lim.per_day} a day"))
        if lim.daily_cap_fen is not None and used.benefit_fen > lim.daily_cap_fen:
            found.append(("daily_cap", f"layer {layer_id}: {_yuan(used.benefit_fen)} of benefit, "
                                       f"cap {_yuan(lim.daily_cap_fen)} a day"))
    return found


def _nets_to_nothing(entry: _Ledger | None) -> bool:
    return entry is None or (entry.meals == 0 and entry.benefit_fen == 0 and not any(
        n for periods in (entry.layers or {}).values() for _, n in periods.values()))


def _masked(elder_ids: Iterable[int]) -> dict[int, str]:
    return dict(Elder.objects.filter(pk__in=set(elder_ids)).values_list("pk", "id_number_masked"))


def _loosest_limits(policies: dict) -> dict[str, tuple]:
    """Layer id -> the loosest (per_period, per_day, daily_cap_fen, require_period) any version of
    the cities' policies sets for it (None = some version has no such limit). A layer of no
    city's policy has no entry: every elder-day it benefits is looked at."""
    loosest: dict[str, tuple] = {}

    def loosen(old, new):
        return None if old is None or new is None else max(old, new)

    loosest[DELIVERY_LAYER] = (None, None, None, False)
    # The cities' policies (a handful of rows): reading the ledger's policy ids would scan it.
    for policy_id in Region.objects.exclude(policy_id="").values_list("policy_id", flat=True).distinct():
        policy = _policy(policy_id, policies)
        if policy is None:
            continue
        layers = [lay for v in policy.versions for lay in v.layers]
        layers += [lay for ov in policy.overlays for _, _, found in ov.versions for lay in found]
        for layer in layers:
            lim = layer.limits
            mine = (lim.per_period, lim.per_day, lim.daily_cap_fen, lim.require_period)
            was = loosest.get(layer.id)
            loosest[layer.id] = mine if was is None else (
                loosen(was[0], mine[0]), loosen(was[1], mine[1]), loosen(was[2], mine[2]), was[3] and mine[3])
    return loosest


def _batches(items: list[int], size: int = 500):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def usage_verify(*, days: tuple[date, date] | None = None) -> tuple[int, list[CounterProblem]]:
    """(elder-days checked, problems): every usage row against the ledger, every elder-day of the
    ledger against the per-period and daily limits of the policy in force (HZ-3, HZ-4, LC-4).
    `days`: only elder-days in this inclusive range."""
    rows_qs = ElderDayUsage.objects.all()
    if days is not None:
        rows_qs = rows_qs.filter(local_date__range=days)
    checked = rows_qs.count()
    policies: dict = {}
    suspects = suspect_elder_days(days)
    if suspects is None:  # a row the database cannot read as counters: look at every elder-day
        ledger = _ledger_by_elder_day(days)
        rows = {(e, d): (u, b, m) for e, d, u, b, m in
                rows_qs.values_list("elder_id", "local_date", "usage", "benefit_fen", "meals").iterator()}
        keys = set(rows) | set(ledger)
    else:
        keys = suspects | limit_candidates(days, _loosest_limits(policies))
        ledger, rows = defaultdict(_Ledger), {}
        for batch in _batches(sorted({elder_id for elder_id, _ in keys})):
            _ledger_by_elder_day(days, batch, ledger)
            rows.update({(e, d): (u, b, m) for e, d, u, b, m in rows_qs.filter(elder_id__in=batch).values_list(
                "elder_id", "local_date", "usage", "benefit_fen", "meals")})
    found: list[tuple[int, date, str, str]] = []
    for key in sorted(keys):
        entry = ledger.get(key)
        if key not in rows and _nets_to_nothing(entry):
            continue  # sold and reversed without a row is impossible; nothing is owed either way
        for kind, detail in _reconcile(rows.get(key), entry, key[1]):
            found.append((*key, kind, detail))
        if entry is not None:
            for kind, detail in _limits(entry, key[1], policies):
                found.append((*key, kind, detail))
    masked = _masked(elder_id for elder_id, *_ in found)
    return checked, [CounterProblem(e, masked.get(e, "?"), d, kind, detail) for e, d, kind, detail in found]
