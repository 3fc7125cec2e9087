"""Reads of the elder phone page: which elders an account reaches, the elder's allowance today,
recent meals and bound family; and the console's list of an elder's bindings (scoped)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from zhucan.accounts.permissions import has_perm
from zhucan.accounts.scoping import get_scoped
from zhucan.canteens.models import PeriodName
from zhucan.checkout.errors import REASON_ZH
from zhucan.checkout.models import Channel, ElderDayUsage, Meal, MealKind
from zhucan.checkout.services import remaining_allowance
from zhucan.core import clock
from zhucan.core.errors import DomainError, NotFound
from zhucan.elderphone.models import Binding, PhoneAccount, Relation
from zhucan.elders.models import Elder
from zhucan.policy import CanteenFacts, DayUsage, PolicyError, evaluate
from zhucan.policy.engine import BENEFIT_ROUNDS_TO_ZERO, LIMIT_REASONS, NOTHING_PAYABLE
from zhucan.regions.models import Level
from zhucan.rules.facts import elder_facts, policy_for_city

RECENT_DAYS = 30
RECENT_MAX = 60
# Layer outcomes that mean "this layer covers the elder" (with amount 0 the engine stops at
# NOTHING_PAYABLE once eligibility and limits have passed, or at the limit already reached).
_COVERED = LIMIT_REASONS | {None, NOTHING_PAYABLE, BENEFIT_ROUNDS_TO_ZERO}


# ---------------------------------------------------------------------------------------------
# What an account reaches


def account_bindings(*, account: PhoneAccount) -> list[Binding]:
    """The account's active bindings (its own elder first), with the elders."""
    rows = Binding.objects.filter(account=account, revoked_at__isnull=True).select_related("elder")
    return sorted(rows, key=lambda b: (b.relation != Relation.SELF, b.bound_at, b.pk))


def account_elder(*, account: PhoneAccount, elder_id: int) -> tuple[Elder, Binding]:
    """The elder if (and only while) the account has an active binding to it; otherwise NotFound,
    the same answer as for an id that does not exist."""
    binding = (Binding.objects.filter(account=account, elder_id=elder_id, revoked_at__isnull=True)
               .select_related("elder__community").first())
    if binding is None:
        raise NotFound("老人", "elder")
    return binding.elder, binding


def elder_family(*, elder: Elder) -> list[Binding]:
    """Everyone bound to the elder now (the elder's own phone first)."""
    rows = Binding.objects.filter(elder=elder, revoked_at__isnull=True).select_related("account")
    return sorted(rows, key=lambda b: (b.relation != Relation.SELF, b.bound_at, b.pk))


# ---------------------------------------------------------------------------------------------
# Today's allowance


@dataclass
class AllowanceLayer:
    name_zh: str
    cap_fen: int | None = None
    remaining_fen: int | None = None
    remaining_meals: int | None = None
    per_period: int | None = None


@dataclass
class Allowance:
    status: str  # "ok" (layers below) | "none" (not covered: `message`) | "unknown" (no policy)
    layers: list[AllowanceLayer] = field(default_factory=list)
    used_fen: int = 0
    meals: int = 0
    periods_used: list[str] = field(default_factory=list)  # Chinese names, e.g. ["午餐"]
    message: str = ""


def _area(region) -> str | None:
    node = region
    while node is not None:
        if node.area:
            return node.area
        node = node.parent
    return None


def allowance_today(*, elder: Elder, at: datetime | None = None) -> Allowance:
    """What the elder can still get today, as the counter would compute it.

    The phone page has no canteen, and the engine rates a meal at one. What it needs from a
    canteen is its district and area (district overlays, HZ-6) and its announced periods; the
    limits themselves — the daily cap (HZ-4), meals per day (LC-4), once per period (HZ-3) — are
    the layers' and are counted city-wide on the elder's usage row (HZ-5), whatever the canteen.
    So the allowance is evaluated for a meal of 0 fen *at a canteen in the elder's own district*
    (district and area of the elder's community, the policy's standard periods), with the city's
    policy (`policy_for_city`, overlays as enabled), the elder's facts and today's usage row, and
    read with `checkout.services.remaining_allowance` exactly as API v1's `remaining_now` does.

    Picking "any open canteen of the city" instead would make the answer depend on which canteen
    the query happened to return (an overlay applies only at its own district's canteens) and
    fail in a city without an open canteen. Layers that do not cover the elder (age, tags,
    household district, not verified…) are left out; when none does, `message` says why.
    """
    at = at or clock.now()
    community = elder.community
    city = community.ancestor(Level.CITY)
    if city is None or not city.policy_id:
        return Allowance(status="unknown", message="暂无法查询本市助餐优惠政策")
    district = community.ancestor(Level.DISTRICT)
    row = ElderDayUsage.objects.filter(elder=elder, local_date=clock.local_date(at)).first()
    usage = DayUsage.from_dict(row.usage) if row and row.usage else DayUsage.empty(clock.local_date(at))
    home = CanteenFacts(district=district.name if district else "", area=_area(community), periods=None)
    try:
        quote = evaluate(policy_for_city(city.policy_id), elder_facts(elder), home, at, amount_fen=0, usage=usage)
    except (PolicyError, DomainError):
        return Allowance(status="unknown", message="暂无法查询今日优惠额度")
    numbers = {entry["layer"]: entry for entry in remaining_allowance(quote)}
    layers = []
    for outcome in quote.outcomes:
        if outcome.reason not in _COVERED:
            continue
        entry = numbers.get(outcome.layer.id, {})
        layers.append(AllowanceLayer(name_zh=outcome.layer.name_zh, cap_fen=entry.get("cap_fen"),
                                     remaining_fen=entry.get("remaining_fen"),
                                     remaining_meals=entry.get("remaining_meals"),
                                     per_period=outcome.layer.limits.per_period))
    period_names = {p.name: p.name_zh for p in quote.version.periods} | dict(PeriodName.choices)
    used: dict[str, int] = {}
    for layer_usage in usage.layers.values():
        for name, count in layer_usage.periods:
            used[name] = max(used.get(name, 0), count)
    allowance = Allowance(status="ok" if layers else "none", layers=layers,
                          used_fen=row.benefit_fen if row else 0, meals=row.meals if row else 0,
                          periods_used=[str(period_names.get(n, n)) for n, c in used.items() if c > 0])
    if not layers:
        first = quote.outcomes[0].reason if quote.outcomes else None
        allowance.message = f"暂不能享受助餐优惠：{REASON_ZH.get(first or '', '不在优惠范围内')}"
    return allowance


# ---------------------------------------------------------------------------------------------
# Recent meals


@dataclass
class MealRow:
    at: datetime
    canteen: str
    period: str
    gross_fen: int
    benefit_fen: int
    payable_fen: int
    identified_by: str
    reversed_as: str  # "" | "已撤销" | "已退款"
    delivered: bool = False  # brought to the door by a courier (an order's delivery), not eaten at the counter


def recent_meals(*, elder: Elder, at: datetime | None = None, days: int = RECENT_DAYS) -> list[MealRow]:
    """The elder's meals of the last `days` days, newest first; a voided or refunded meal is shown
    once, marked (its reversal record is not listed separately)."""
    at = at or clock.now()
    meals = (Meal.objects.filter(elder=elder, kind=MealKind.SALE, at__gte=at - timedelta(days=days), at__lte=at)
             .select_related("canteen", "reversal").order_by("-at", "-id")[:RECENT_MAX])
    periods = dict(PeriodName.choices)
    out = []
    for meal in meals:
        reversal = getattr(meal, "reversal", None)
        out.append(MealRow(at=meal.at, canteen=meal.canteen.name, period=str(periods.get(meal.period, "")),
                           gross_fen=meal.gross_fen, benefit_fen=meal.benefit_fen, payable_fen=meal.payable_fen,
                           identified_by=meal.get_identified_by_display(),
                           reversed_as=_reversal_label(reversal), delivered=meal.channel == Channel.DELIVERY))
    return out


def _reversal_label(reversal: Meal | None) -> str:
    if reversal is None:
        return ""
    return "已退款" if reversal.kind == MealKind.REFUND else "已撤销"


# ---------------------------------------------------------------------------------------------
# Console: an elder's bindings


@dataclass
class ConsoleBindings:
    elder: Elder
    active: list[Binding]
    revoked: list[Binding]
    can_change: bool


def elder_bindings(*, actor, elder_id: int) -> ConsoleBindings:
    """The elder's bindings for the console (masked phones), scoped like the elder's record."""
    elder = get_scoped(Elder.objects.all(), actor, "view", what_zh="老人", what_en="elder", pk=elder_id)
    rows = list(Binding.objects.filter(elder=elder).select_related("account", "bound_by", "revoked_by")
                .order_by("-bound_at", "-id"))
    can_change = has_perm(actor, "elder", "change")
    if can_change:
        try:
            get_scoped(Elder.objects.all(), actor, "change", pk=elder_id)
        except NotFound:
            can_change = False
    return ConsoleBindings(elder=elder, active=[b for b in rows if b.revoked_at is None],
                           revoked=[b for b in rows if b.revoked_at is not None], can_change=can_change)
