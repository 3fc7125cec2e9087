"""What the ordering channels' pages share (the elder's and the family's phone pages, the console
for staff on a phone call and canteen staff): the days and periods open for ordering, the order
form read back from a POST, and the service's refusals as a message for the person on the page.

Every channel ends in `orders.placing.order_quote` / `order_place`; nothing here decides a price,
a benefit or a rule."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from zhucan.canteens.models import Canteen, CanteenStatus, PeriodName
from zhucan.core import clock
from zhucan.core.errors import DomainError
from zhucan.orders.common import DAYS_AHEAD, MAX_QUANTITY
from zhucan.orders.coverage import covering_canteens
from zhucan.orders.models import CoverageArea, Fulfilment, MenuOffer, PeriodCutoff

WEEKDAYS_ZH = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]


def day_label(day: date, today: date | None = None) -> str:
    today = today or clock.local_today()
    if day == today:
        prefix = _("今天")
    elif day == today + timedelta(days=1):
        prefix = _("明天")
    else:
        prefix = WEEKDAYS_ZH[day.weekday()]
    return f"{day.month}月{day.day}日 {prefix}"


def period_label(period: str) -> str:
    try:
        return str(PeriodName(period).label)
    except ValueError:
        return period


@dataclass
class Slot:
    """One day and period of a canteen that still takes orders (its cut-off not passed)."""

    day: date
    period: str
    cutoff_at: datetime
    delivers: bool
    offers: list[MenuOffer] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.day.isoformat()}_{self.period}"

    @property
    def label(self) -> str:
        return f"{day_label(self.day)} {period_label(self.period)}"


def open_slots(canteen: Canteen, *, now: datetime | None = None) -> list[Slot]:
    """The canteen's published days and periods from today up to a week ahead whose cut-off has
    not passed, in time order, each with its offers."""
    now = now or clock.now()
    today = clock.local_date(now)
    cutoffs = {c.period: c for c in PeriodCutoff.objects.filter(canteen=canteen)}
    slots: dict[tuple[date, str], Slot] = {}
    offers = (MenuOffer.objects.filter(canteen=canteen, local_date__gte=today,
                                       local_date__lte=today + timedelta(days=DAYS_AHEAD))
              .select_related("dish").order_by("local_date", "id"))
    for offer in offers:
        cut = cutoffs.get(offer.period)
        if cut is None:
            continue
        closes = datetime.combine(offer.local_date, cut.cutoff, clock.LOCAL_TZ)
        if now >= closes:
            continue
        slot = slots.setdefault((offer.local_date, offer.period),
                                Slot(offer.local_date, offer.period, closes, False))
        slot.delivers = slot.delivers or offer.delivers
        slot.offers.append(offer)
    return sorted(slots.values(), key=lambda s: s.cutoff_at)


def find_slot(slots: list[Slot], key: str) -> Slot | None:
    for slot in slots:
        if slot.key == key:
            return slot
    return slots[0] if slots and not key else None


def canteens_for(elder, *, only: Canteen | None = None) -> list[Canteen]:
    """The canteens the elder can order from: those delivering to the elder's community first
    (nearest first), then the other open canteens of the elder's district taking orders."""
    if only is not None:
        return [only]
    found = covering_canteens(community=elder.community)
    subdistrict = elder.community.parent
    district = subdistrict.parent if subdistrict is not None else None
    district_path = district.path if district is not None else ""
    others = (Canteen.objects.filter(status=CanteenStatus.OPEN, order_cutoffs__isnull=False)
              .exclude(pk__in=[c.pk for c in found]).select_related("region").distinct().order_by("name"))
    if district_path:
        others = others.filter(region__path__startswith=district_path)
    return found + list(others)


def delivery_communities(canteen: Canteen):
    area = CoverageArea.objects.filter(canteen=canteen).first()
    return list(area.communities.order_by("name")) if area else []


def choose_canteen(choices: list[Canteen], canteen_id: int | None) -> Canteen | None:
    """The canteen the page asked for if the elder may order from it, else the first choice."""
    return next((c for c in choices if c.pk == canteen_id), None) or (choices[0] if choices else None)


def menu_context(elder, canteen_id: int | None, slot_key: str, *, only: Canteen | None = None) -> dict:
    """What the ordering step shows on every channel: the canteens to choose from, the chosen one's
    open days and periods with their dishes, which canteens deliver to the elder, and where."""
    choices = canteens_for(elder, only=only)
    canteen = choose_canteen(choices, canteen_id)
    slots = open_slots(canteen) if canteen else []
    slot = find_slot(slots, slot_key) or (slots[0] if slots else None)
    return {"canteens": choices, "canteen": canteen, "slots": slots, "slot": slot,
            "covering": {c.pk for c in covering_canteens(community=elder.community)},
            "communities": delivery_communities(canteen) if canteen else [],
            "home_address": elder.address_masked, "has_address": bool(elder.address)}


@dataclass
class OrderForm:
    """The order as the page sent it (the same fields on every channel)."""

    canteen_id: int
    day: date
    period: str
    lines: list[tuple[int, int]]
    fulfilment: str
    address: str
    community_id: int | None
    expected_payable_fen: int | None
    idempotency_key: str

    def hidden(self) -> dict:
        """The fields the confirm step carries forward unchanged."""
        out = {"canteen": self.canteen_id, "slot": f"{self.day.isoformat()}_{self.period}",
               "fulfilment": self.fulfilment, "address": self.address, "community": self.community_id or "",
               "key": self.idempotency_key}
        for offer_id, qty in self.lines:
            out[f"qty_{offer_id}"] = qty
        return out


def _int(value, default=None):
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def read_form(post) -> OrderForm:
    """Read the order form; a malformed field is refused with the same message as the service."""
    from zhucan.orders.errors import order_error

    slot = (post.get("slot") or "").split("_", 1)
    try:
        day, period = date.fromisoformat(slot[0]), slot[1]
    except (ValueError, IndexError):
        raise order_error("ORDER_LINE_INVALID", field="slot") from None
    lines = []
    for name, value in post.items():
        if name.startswith("qty_"):
            offer_id, qty = _int(name[4:]), _int(value, 0)
            if offer_id is None or qty is None or not 0 <= qty <= MAX_QUANTITY:
                raise order_error("ORDER_LINE_INVALID", field="lines")
            if qty:
                lines.append((offer_id, qty))
    fulfilment = post.get("fulfilment") or Fulfilment.PICKUP
    address = ""
    community_id = None
    if fulfilment == Fulfilment.DELIVERY and post.get("where") != "home":
        address = (post.get("address") or "").strip()[:200]
        community_id = _int(post.get("community"))
    expected = post.get("expected_payable_fen")
    return OrderForm(canteen_id=_int(post.get("canteen"), 0), day=day, period=period, lines=sorted(lines),
                     fulfilment=fulfilment, address=address, community_id=community_id,
                     expected_payable_fen=_int(expected) if expected not in (None, "") else None,
                     idempotency_key=(post.get("key") or "")[:64] or new_key())


def new_key() -> str:
    return uuid.uuid4().hex


@dataclass
class Refusal:
    """A refusal of the service for the page: the message in the page's language, and what the
    person can do next (the nearest canteens that deliver, the new price)."""

    code: str
    message: str
    nearest: list[dict] = field(default_factory=list)


def refusal_status(exc: DomainError) -> int:
    """The page's answer to a refusal: the service's 400, 403 or 409, else 400."""
    return exc.http_status if exc.http_status in (400, 403, 409) else 400


def refusal(exc: DomainError) -> Refusal:
    message = exc.message_en if (get_language() or "zh-hans").startswith("en") else exc.message_zh
    nearest = list((exc.details or {}).get("nearest") or []) if exc.code == "ORDER_OUTSIDE_COVERAGE" else []
    return Refusal(code=exc.code, message=message, nearest=nearest)


def lines_view(form: OrderForm, slot: Slot | None) -> list[dict]:
    offers = {o.pk: o for o in (slot.offers if slot else [])}
    return [{"name": offers[i].name if i in offers else "—", "qty": q,
             "line_fen": (offers[i].price_fen if i in offers else 0) * q} for i, q in form.lines]
