"""The elder page's section on meals, for staff answering an elder or a family on the phone: what
the elder can still get today and the recent meals with who paid which part of the benefit.

Today's allowance is the phone page's own (`selectors.allowance_today`, the counter's calculation),
so staff and family read the same figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from zhucan.accounts.scoping import get_scoped
from zhucan.canteens.models import PeriodName
from zhucan.checkout.models import Meal, MealKind
from zhucan.core import clock
from zhucan.core.errors import DomainError
from zhucan.elderphone.selectors import RECENT_DAYS, RECENT_MAX, Allowance, allowance_today
from zhucan.elders.models import Elder
from zhucan.rules.facts import policy_for_city

# The meal's columns of the benefit by funder, in the order the section lists them; the names come
# from the policy the meal was rated under.
_FUNDER_COLUMNS = (("city", "benefit_city_fen"), ("district", "benefit_district_fen"),
                   ("canteen", "benefit_canteen_fen"), ("other", "benefit_other_fen"))
_FUNDER_FALLBACK = {"city": ("市级", "city"), "district": ("区级", "district"),
                    "canteen": ("助餐机构", "canteen"), "other": ("其他", "other")}


@dataclass(frozen=True)
class FunderShare:
    name_zh: str
    name_en: str
    fen: int


@dataclass
class ConsoleMeal:
    at: datetime  # in Asia/Shanghai
    receipt_no: str
    canteen: str
    period: str
    gross_fen: int
    benefit_fen: int
    payable_fen: int
    funders: list[FunderShare]
    identified_by: str
    reversal: str = ""  # "" | "void" | "refund"
    reversed_at: datetime | None = None  # in Asia/Shanghai


@dataclass
class MealOverview:
    elder: Elder
    allowance: Allowance
    meals: list[ConsoleMeal] = field(default_factory=list)
    days: int = RECENT_DAYS


def _funder_names(policy_id: str, cache: dict) -> dict[str, tuple[str, str]]:
    if policy_id not in cache:
        names = dict(_FUNDER_FALLBACK)
        try:
            funders = policy_for_city(policy_id).funders if policy_id else {}
        except DomainError:
            funders = {}
        names.update({code: (f.name_zh, f.name_en) for code, f in funders.items()})
        cache[policy_id] = names
    return cache[policy_id]


def elder_meal_overview(*, actor, elder_id: int, at: datetime | None = None, days: int = RECENT_DAYS) -> MealOverview:
    """Today's allowance (policy in force: amount and meals left, periods used) and the meals of the
    last `days` days, newest first, for a console user who may see the elder's record (otherwise
    NotFound, as for the record). Every meal of the elder is listed, at whatever canteen of the city:
    the limits count city-wide (HZ-5), so that is what the elder asks about. A voided or refunded
    meal is listed once, marked, with the time of its reversal."""
    elder = get_scoped(Elder.objects.select_related("community"), actor, "view", pk=elder_id,
                       what_zh="老人档案", what_en="elder")
    at = at or clock.now()
    rows = (Meal.objects.filter(elder=elder, kind=MealKind.SALE, at__gte=at - timedelta(days=days), at__lte=at)
            .select_related("canteen", "reversal").order_by("-at", "-id")[:RECENT_MAX])
    periods = dict(PeriodName.choices)
    names: dict = {}
    meals = []
    for meal in rows:
        funder_names = _funder_names(meal.policy_id, names)
        shares = [FunderShare(*funder_names[code], getattr(meal, column))
                  for code, column in _FUNDER_COLUMNS if getattr(meal, column)]
        reversal = getattr(meal, "reversal", None)
        meals.append(ConsoleMeal(
            at=meal.at.astimezone(clock.LOCAL_TZ), receipt_no=meal.receipt_no, canteen=meal.canteen.name,
            period=str(periods.get(meal.period, "")), gross_fen=meal.gross_fen, benefit_fen=meal.benefit_fen,
            payable_fen=meal.payable_fen, funders=shares, identified_by=str(meal.get_identified_by_display()),
            reversal=reversal.kind if reversal else "",
            reversed_at=reversal.at.astimezone(clock.LOCAL_TZ) if reversal else None))
    return MealOverview(elder=elder, allowance=allowance_today(elder=elder, at=at), meals=meals, days=days)
