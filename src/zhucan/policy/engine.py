"""Evaluate one meal: the benefit lines, who funds them, what the elder pays and why.

``evaluate`` is pure: the same policy, facts, moment, bill and day usage always give the same
quote. The platform calls it at quote time and again under the elder's locked day-usage row at
commit, then stores ``quote.usage_after`` (== ``usage.apply(quote.usage_delta)``); a void stores
``usage.reverse(meal_delta)``.

Layering (HZ-6, docs/policy.md): layers are evaluated in order (city standard first, then each
overlay). Each layer checks its own eligibility and limits against its own counters, and computes
its benefit on what the elder still pays after the layers before it, so the total never exceeds
the price.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from .errors import InputError
from .facts import CanteenFacts, ElderFacts, PricedItem
from .model import ANNOUNCED_REPLACE, SPLIT_PROPORTIONAL, Band, Layer, MealPeriod, Policy, Rule, Version
from .money import apply_rate, format_fen, split_proportional
from .usage import DayUsage, LayerUsage

# Stable reason codes for a layer (and a quote) that gives no benefit.
CANTEEN_NOT_DESIGNATED = "CANTEEN_NOT_DESIGNATED"
ELDER_INACTIVE = "ELDER_INACTIVE"
NOT_VERIFIED = "NOT_VERIFIED"
NOT_IN_DISTRICT = "NOT_IN_DISTRICT"
NOT_IN_AREA = "NOT_IN_AREA"
NOT_HUKOU_DISTRICT = "NOT_HUKOU_DISTRICT"
NOT_ELIGIBLE_AGE = "NOT_ELIGIBLE_AGE"
EXCLUDED_TAG = "EXCLUDED_TAG"
MISSING_TAG = "MISSING_TAG"
OUTSIDE_MEAL_PERIOD = "OUTSIDE_MEAL_PERIOD"
PERIOD_ALREADY_USED = "PERIOD_ALREADY_USED"
DAILY_MEALS_USED = "DAILY_MEALS_USED"
DAILY_CAP_REACHED = "DAILY_CAP_REACHED"
NOTHING_PAYABLE = "NOTHING_PAYABLE"
BENEFIT_ROUNDS_TO_ZERO = "BENEFIT_ROUNDS_TO_ZERO"

REASON_CODES = (
    CANTEEN_NOT_DESIGNATED, ELDER_INACTIVE, NOT_VERIFIED, NOT_IN_DISTRICT, NOT_IN_AREA, NOT_HUKOU_DISTRICT,
    NOT_ELIGIBLE_AGE, EXCLUDED_TAG, MISSING_TAG, OUTSIDE_MEAL_PERIOD, PERIOD_ALREADY_USED, DAILY_MEALS_USED,
    DAILY_CAP_REACHED, NOTHING_PAYABLE, BENEFIT_ROUNDS_TO_ZERO,
)
# Reasons that say the elder was covered by the layer but a limit stopped it (worth explaining).
LIMIT_REASONS = frozenset({OUTSIDE_MEAL_PERIOD, PERIOD_ALREADY_USED, DAILY_MEALS_USED, DAILY_CAP_REACHED})

# The usage layer a delivery subsidy is counted in (its benefit lines carry this layer id).
DELIVERY_LAYER = "delivery"

_EMPTY_USAGE = DayUsage()
# tzinfo types whose utcoffset() is never None (skip the call on the hot path).
_FIXED_TZ_TYPES = (ZoneInfo, type(UTC))
_EMPTY_LAYER_USAGE = LayerUsage()


class BenefitLine(NamedTuple):
    """One part of a meal's benefit: which rule of which layer, paid by which funder."""

    rule_id: str
    layer_id: str
    funder: str
    amount_fen: int


class LayerOutcome(NamedTuple):
    """What one layer decided (kept for the explanation and for audits)."""

    layer: Layer
    reason: str | None
    hits: tuple[tuple[Rule, Band, int], ...]  # (rule, band, amount granted)
    base_fen: int
    raw_fen: int  # before the cap and the price limit
    granted_fen: int
    usage_before: LayerUsage
    delta: LayerUsage | None

    @property
    def usage_after(self) -> LayerUsage:
        return self.usage_before if self.delta is None else self.usage_before.combine(self.delta, 1)


@lru_cache(maxsize=16)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


class Quote:
    """The engine's answer for one meal. Money in integer fen."""

    __slots__ = (
        "_usage_after", "age", "amount_fen", "announced", "at_local", "benefit_fen", "lines", "local_date", "outcomes",
        "payable_fen", "period", "policy", "policy_id", "reason_code", "usage_before", "usage_delta", "version",
        "version_id",
    )

    def __init__(self, policy: Policy, version: Version, at_local: datetime, age: int, amount_fen: int,
                 period: MealPeriod | None, outcomes: list[LayerOutcome], lines: tuple[BenefitLine, ...],
                 benefit_fen: int, usage_before: DayUsage, usage_delta: DayUsage, reason_code: str | None,
                 announced: tuple | None = None) -> None:
        self.policy = policy
        self.version = version
        self.policy_id = policy.id
        self.version_id = version.id
        self.at_local = at_local
        self.local_date: date = at_local.date()
        self.age = age
        self.amount_fen = amount_fen
        self.period = period
        self.outcomes = outcomes
        self.lines = lines
        self.benefit_fen = benefit_fen
        self.payable_fen = amount_fen - benefit_fen
        self.usage_before = usage_before
        self.usage_delta = usage_delta
        self.reason_code = reason_code
        # The canteen's announced hours when they are the discount windows (for the explanation).
        self.announced = announced
        self._usage_after: DayUsage | None = None

    @property
    def period_name(self) -> str | None:
        return self.period.name if self.period is not None else None

    @property
    def usage_after(self) -> DayUsage:
        """The elder's day usage once this meal is committed (``usage_before.apply(usage_delta)``)."""
        if self._usage_after is None:
            layers = dict(self.usage_before.layers)
            for oc in self.outcomes:
                if oc.delta is not None:
                    layers[oc.layer.id] = oc.usage_after
            self._usage_after = DayUsage(self.local_date, layers)
        return self._usage_after

    @property
    def funders(self) -> dict[str, int]:
        """Benefit by funder (fen), in the order funders first appear."""
        out: dict[str, int] = {}
        for line in self.lines:
            out[line.funder] = out.get(line.funder, 0) + line.amount_fen
        return out

    @property
    def explanation_zh(self) -> str:
        from .explain import explain_zh

        return explain_zh(self)

    @property
    def explanation_en(self) -> str:
        from .explain import explain_en

        return explain_en(self)

    def to_dict(self) -> dict:
        """A JSON-serialisable record of the quote (what a ledger row or an API answer needs)."""
        return {
            "policy_id": self.policy_id,
            "version_id": self.version_id,
            "local_date": self.local_date.isoformat(),
            "period": self.period_name,
            "age": self.age,
            "amount_fen": self.amount_fen,
            "benefit_fen": self.benefit_fen,
            "payable_fen": self.payable_fen,
            "lines": [
                {"rule_id": ln.rule_id, "layer_id": ln.layer_id, "funder": ln.funder, "amount_fen": ln.amount_fen}
                for ln in self.lines
            ],
            "reason_code": self.reason_code,
            "usage_delta": self.usage_delta.to_dict(),
            "explanation_zh": self.explanation_zh,
            "explanation_en": self.explanation_en,
        }

    def __repr__(self) -> str:
        return (f"Quote({self.policy_id}@{self.version_id} {self.local_date} period={self.period_name} "
                f"amount={self.amount_fen} benefit={self.benefit_fen} reason={self.reason_code})")


def age_on(birth: date, day: date) -> int:
    """Age in full years (周岁) on ``day``: reached on the birthday (HZ-1, LC-4).

    A 29 February birthday is reached on 1 March in non-leap years (policy-scenarios.md): the tuple
    comparison (2, 28) < (2, 29) holds, (3, 1) < (2, 29) does not.
    """
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _amount(amount_fen: int | None, items: list[PricedItem] | None) -> int:
    if items is not None:
        if amount_fen is not None:
            raise InputError("amount_fen", "give either amount_fen or items, not both")
        total = 0
        for i, item in enumerate(items):
            if isinstance(item.unit_price_fen, bool) or not isinstance(item.unit_price_fen, int) \
                    or item.unit_price_fen < 0:
                raise InputError(f"items[{i}].unit_price_fen", f"expected fen >= 0, got {item.unit_price_fen!r}")
            if isinstance(item.quantity, bool) or not isinstance(item.quantity, int) or item.quantity < 0:
                raise InputError(f"items[{i}].quantity", f"expected a count >= 0, got {item.quantity!r}")
            total += item.unit_price_fen * item.quantity
        return total
    if amount_fen is None:
        raise InputError("amount_fen", "missing: give amount_fen or items")
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int):
        raise InputError("amount_fen", f"expected integer fen, got {amount_fen!r}")
    if amount_fen < 0:
        raise InputError("amount_fen", f"negative amount {amount_fen}")
    return amount_fen


def evaluate(
    policy: Policy,
    elder: ElderFacts,
    canteen: CanteenFacts,
    at: datetime,
    *,
    amount_fen: int | None = None,
    items: list[PricedItem] | None = None,
    usage: DayUsage | None = None,
) -> Quote:
    """Rate one meal (HZ-1..HZ-7, LC-4).

    ``at`` must be timezone-aware; it is read in the policy's time zone (Asia/Shanghai) to find the
    local date, the elder's age and the meal period. ``usage`` is the elder's usage for that local
    date across all canteens (None = nothing used yet); a usage of another date is an error.
    """
    if not isinstance(at, datetime):
        raise InputError("at", f"expected a datetime, got {at!r}")
    tzinfo = at.tzinfo
    if tzinfo is None or (type(tzinfo) not in _FIXED_TZ_TYPES and at.utcoffset() is None):
        raise InputError("at", "naive datetime: give a timezone-aware moment (e.g. +08:00)")
    if items is None and type(amount_fen) is int and amount_fen >= 0:
        amount = amount_fen
    else:
        amount = _amount(amount_fen, items)
    local = at.astimezone(_zone(policy.timezone))
    day = local.date()
    birth = elder.birth_date
    if birth > day:
        raise InputError("elder.birth_date", f"birth date {birth} is after the meal date {day}")
    if usage is None:
        usage = _EMPTY_USAGE
    elif usage.date is not None and usage.date != day:
        raise InputError("usage.date", f"usage is for {usage.date}, the meal is on {day}")
    version = policy.version_on(day)
    age = day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
    table = version.period_table if canteen.periods is None else version.table_for(canteen.periods)
    pidx = table[local.hour * 60 + local.minute]
    period = version.periods[pidx] if pidx >= 0 else None
    inactive = elder.status != "active" and elder.status_since is not None and day >= elder.status_since

    remaining = amount
    outcomes: list[LayerOutcome] = []
    lines: list[BenefitLine] = []
    delta_layers: dict[str, LayerUsage] = {}
    first_reason: str | None = None
    used = usage.layers
    for layer in version.layers:
        lu = used.get(layer.id, _EMPTY_LAYER_USAGE)
        reason, hits, raw, granted = _rate_layer(layer, elder, canteen, age, period, inactive, lu, remaining)
        if granted:
            for rule, _band, amt in hits:
                if amt:
                    lines.append(BenefitLine(rule.id, layer.id, rule.funder, amt))
            delta = LayerUsage(granted, 1, ((period.name, 1),) if period is not None else ())
            delta_layers[layer.id] = delta
            outcomes.append(LayerOutcome(layer, reason, hits, remaining, raw, granted, lu, delta))
            remaining -= granted
        else:
            if not outcomes:
                first_reason = reason
            outcomes.append(LayerOutcome(layer, reason, hits, remaining, raw, 0, lu, None))
    benefit = amount - remaining
    announced = canteen.periods if version.announced_hours == ANNOUNCED_REPLACE and version.periods else None
    return Quote(policy, version, local, age, amount, period, outcomes, tuple(lines), benefit, usage,
                 DayUsage(day, delta_layers), None if benefit else first_reason, announced)


def _rate_layer(layer: Layer, elder: ElderFacts, canteen: CanteenFacts, age: int, period: MealPeriod | None,
                inactive: bool, lu: LayerUsage, base: int) -> tuple[str | None, tuple, int, int]:
    """One layer's decision: (reason or None, hits, raw amount, granted amount)."""
    el = layer.eligibility
    if not canteen.designated:
        return CANTEEN_NOT_DESIGNATED, (), 0, 0
    if inactive:
        return ELDER_INACTIVE, (), 0, 0
    if el.require_verified and not elder.verified:
        return NOT_VERIFIED, (), 0, 0
    if el.canteen_districts is not None and canteen.district not in el.canteen_districts:
        return NOT_IN_DISTRICT, (), 0, 0
    if el.areas is not None and canteen.area not in el.areas:
        return NOT_IN_AREA, (), 0, 0
    if el.hukou_districts is not None and elder.hukou_district not in el.hukou_districts:
        return NOT_HUKOU_DISTRICT, (), 0, 0
    bands = layer.age_table[age] if age < len(layer.age_table) else ()
    if not bands:
        return NOT_ELIGIBLE_AGE, (), 0, 0
    tags = elder.tags
    if tags and el.excluded_tags and not el.excluded_tags.isdisjoint(tags):
        return EXCLUDED_TAG, (), 0, 0
    if el.required_tags_any and el.required_tags_any.isdisjoint(tags):
        return MISSING_TAG, (), 0, 0
    lim = layer.limits
    if period is None:
        if lim.require_period:
            return OUTSIDE_MEAL_PERIOD, (), 0, 0
    elif lim.per_period is not None and lu.periods and lu.period_count(period.name) >= lim.per_period:
        return PERIOD_ALREADY_USED, (), 0, 0
    if lim.per_day is not None and lu.meals >= lim.per_day:
        return DAILY_MEALS_USED, (), 0, 0
    allowed = base
    if lim.daily_cap_fen is not None:
        left = lim.daily_cap_fen - lu.benefit_fen
        if left <= 0:
            return DAILY_CAP_REACHED, (), 0, 0
        if left < allowed:
            allowed = left
    if base == 0:
        return NOTHING_PAYABLE, (), 0, 0
    # The layer gives at most min(price still payable, cap left) (HZ-4). In file order, each rule is
    # cut to what is left; a proportional layer shares that amount by the rules' own amounts.
    hits = []
    raw_total = 0
    granted = 0
    for rule, band in bands:
        raw = apply_rate(base, band.value) if rule.kind == "percent" else band.value
        raw_total += raw
        amt = raw if granted + raw <= allowed else allowed - granted
        granted += amt
        hits.append((rule, band, amt))
    if raw_total > allowed and layer.split_when_short == SPLIT_PROPORTIONAL and len(hits) > 1:
        raws = [apply_rate(base, b.value) if r.kind == "percent" else b.value for r, b, _ in hits]
        shares = split_proportional(allowed, raws)
        hits = [(r, b, share) for (r, b, _), share in zip(hits, shares, strict=True)]
    if granted == 0:
        return BENEFIT_ROUNDS_TO_ZERO, tuple(hits), raw_total, 0
    return None, tuple(hits), raw_total, granted


def evaluate_day(
    policy: Policy,
    elder: ElderFacts,
    meals: list[tuple[CanteenFacts, datetime, int]],
    usage: DayUsage | None = None,
) -> list[Quote]:
    """Rate an elder's meals in order, each seeing the usage the earlier ones left (same local day
    or not: the usage resets when the local date changes)."""
    quotes = []
    current = usage
    for canteen, at, amount in meals:
        if current is not None and current.date is not None:
            local_day = at.astimezone(_zone(policy.timezone)).date() if at.tzinfo is not None else None
            if local_day is not None and local_day != current.date:
                current = None
        quote = evaluate(policy, elder, canteen, at, amount_fen=amount, usage=current)
        quotes.append(quote)
        current = quote.usage_after
    return quotes


class DeliveryTerms(NamedTuple):
    """What delivering a meal costs the elder and what the policy gives towards it."""

    fee_fen: int
    lines: tuple[BenefitLine, ...]
    usage_delta: DayUsage
    explanation_zh: str = ""
    explanation_en: str = ""

    @property
    def subsidy_fen(self) -> int:
        return sum(ln.amount_fen for ln in self.lines)


def delivery_terms(policy: Policy, elder: ElderFacts, canteen: CanteenFacts, at: datetime, *,
                   usage: DayUsage | None = None) -> DeliveryTerms:
    """The delivery fee and the delivery subsidy lines for a meal delivered on ``at``'s local date
    (issue 17): the terms of the city, then of the overlays for the canteen's district, in force
    that day. The last term that sets a fee sets it; the subsidies of every term add up, in file
    order, each cut to the fee still unpaid (a subsidy never exceeds the fee). A canteen not
    designated or an elder no longer active gets no subsidy, as for the meal's own benefit. The
    subsidy is counted in the usage layer ``DELIVERY_LAYER`` (its lines carry that layer id), so a
    void gives it back like any benefit; ``usage`` is accepted for symmetry with ``evaluate``."""
    local = at.astimezone(_zone(policy.timezone))
    day = local.date()
    if usage is not None and usage.date is not None and usage.date != day:
        raise InputError("usage.date", f"usage is for {usage.date}, the delivery is on {day}")
    terms = policy.delivery_on(day, canteen.district or None)
    fee = 0
    for term in terms:
        if term.fee_fen is not None:
            fee = term.fee_fen
    inactive = elder.status != "active" and elder.status_since is not None and day >= elder.status_since
    lines: list[BenefitLine] = []
    left = fee
    if canteen.designated and not inactive and fee:
        age = age_on(elder.birth_date, day)
        for term in terms:
            for sub in term.subsidies:
                amount = min(sub.amount_for(age, elder.tags), left)
                if amount > 0:
                    lines.append(BenefitLine(sub.id, DELIVERY_LAYER, sub.funder, amount))
                    left -= amount
    subsidy = fee - left
    delta = DayUsage(day, {})
    if subsidy:
        # counted in the meal's period like any benefit (the ledger's lines carry the meal's period)
        version = policy.version_on(day)
        table = version.period_table if canteen.periods is None else version.table_for(canteen.periods)
        pidx = table[local.hour * 60 + local.minute]
        periods = ((version.periods[pidx].name, 1),) if pidx >= 0 else ()
        delta = DayUsage(day, {DELIVERY_LAYER: LayerUsage(subsidy, 1, periods)})
    if not fee:
        return DeliveryTerms(0, (), delta)
    zh = f"送餐费{format_fen(fee)}元" + (f"，送餐补贴{format_fen(subsidy)}元" if subsidy else "")
    en = f"delivery fee {format_fen(fee)} yuan" + (f", delivery subsidy {format_fen(subsidy)} yuan" if subsidy else "")
    return DeliveryTerms(fee, tuple(lines), delta, zh, en)
