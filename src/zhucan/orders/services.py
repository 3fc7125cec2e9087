"""Ordering ahead (issue 17): the writes. Every channel ends in `order_place`.

- Menus: `cutoff_set`, `menu_publish`, `menu_copy_last_week` (a canteen's manager, audited).
- Coverage: `coverage_set`, `covers`, `covering_canteens`.
- Orders: `order_quote`, `order_place`, `order_cancel`, `order_handover`, `order_fail`, `orders_expire`.
- Standing orders: `standing_create`, `standing_pause`, `standing_skip`, `standing_stop`,
  `standing_generate`.

An order's benefit is held by a `checkout.Reservation` with source "order:<id>", taken in the same
transaction as the order under the day-usage row lock the counter uses; the offers' portions are
taken under a row lock on the offers (no overselling)."""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from zhucan.accounts.models import CANTEEN_ROLES
from zhucan.accounts.permissions import has_perm
from zhucan.accounts.scoping import get_scoped, restrict
from zhucan.canteens.models import Canteen, CanteenStatus, Dish, MealPeriod, PeriodName
from zhucan.checkout import reservations
from zhucan.checkout.models import Channel, IdentifiedBy, Meal
from zhucan.checkout.services import OrderLine as CheckoutLine
from zhucan.checkout.services import TenderIn
from zhucan.core import clock
from zhucan.core.audit import audit_record
from zhucan.core.errors import DomainError, NotFound, PermissionDenied
from zhucan.core.money import fen_to_yuan
from zhucan.elderphone.models import Binding, PhoneAccount
from zhucan.elders.models import Elder, ElderStatus
from zhucan.orders.errors import order_error
from zhucan.orders.models import (
    CoverageArea,
    Fulfilment,
    HandoverMethod,
    MenuOffer,
    Order,
    OrderChannel,
    OrderStatus,
    PeriodCutoff,
    StandingOrder,
    StandingRun,
    StandingSkip,
)
from zhucan.orders.models import OrderLine as OrderLineRow
from zhucan.regions.models import Level, Region

DAYS_AHEAD = 7  # menus and orders: today and up to a week ahead
MAX_QUANTITY = 20
NEAREST_SHOWN = 3

# Called inside the cancellation's transaction for an order paid online: the payments app registers
# its refund here from its AppConfig.ready() (`register_cancel_hook(payment_refund_for_order)`).
CANCEL_HOOKS: list = []


def register_cancel_hook(fn) -> None:
    """fn(*, order) -> Any; raising refuses the cancellation (nothing is released)."""
    if fn not in CANCEL_HOOKS:
        CANCEL_HOOKS.append(fn)


# --------------------------------------------------------------------------------------------------
# helpers


def _period_label(period: str) -> str:
    try:
        return str(PeriodName(period).label)
    except ValueError:
        return period


def _canteen_for_manager(actor, canteen_id: int, action: str = "manage") -> Canteen:
    if not has_perm(actor, "order_menu", action):
        raise PermissionDenied("管理预订菜单", "manage menus ahead")
    qs = Canteen.objects.select_related("region")
    if actor.is_superuser:
        found = qs.filter(pk=canteen_id).first()
    elif actor.role in CANTEEN_ROLES:
        found = qs.filter(pk=canteen_id, pk__in=[actor.canteen_id]).first()
    else:
        found = qs.filter(pk=canteen_id, region__path__startswith=actor.region.path if actor.region_id else "-").first()
    if found is None:
        raise NotFound("助餐点", "canteen")
    return found


def _meal_period(canteen: Canteen, period: str) -> MealPeriod:
    found = MealPeriod.objects.filter(canteen=canteen, name=period).first()
    if found is None:
        raise order_error("MENU_PERIOD_UNKNOWN", field="period", period=_period_label(period))
    return found


def cutoff_at(canteen: Canteen, local_date: date, period: str) -> datetime | None:
    row = PeriodCutoff.objects.filter(canteen=canteen, period=period).first()
    return None if row is None else datetime.combine(local_date, row.cutoff, clock.LOCAL_TZ)


def handover_code(order: Order) -> str:
    """The order's 6-digit handover code, derived (never stored): shown only to the elder and family.
    Derived from the creation instant in UTC, so the placing call's object (created_at in the clock's
    zone) and the order read back from the database (UTC) give the same code."""
    created = order.created_at.astimezone(UTC).isoformat()
    digest = hmac.new(settings.SECRET_KEY.encode(), f"order-handover:{order.pk}:{created}".encode(),
                      hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 1_000_000:06d}"


def _code_hash(order: Order, code: str) -> str:
    return hashlib.sha256(f"{order.pk}:{code}".encode()).hexdigest()


def _distance_m(lat1, lon1, lat2, lon2) -> float:
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp, dl = p2 - p1, math.radians(float(lon2) - float(lon1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


# --------------------------------------------------------------------------------------------------
# menus ahead


def cutoff_set(*, actor, canteen_id: int, period: str, cutoff: time, delivers: bool) -> PeriodCutoff:
    canteen = _canteen_for_manager(actor, canteen_id)
    meal_period = _meal_period(canteen, period)
    if not isinstance(cutoff, time) or cutoff >= meal_period.end:
        raise order_error("MENU_CUTOFF_INVALID", field="cutoff", end=f"{meal_period.end:%H:%M}")
    with transaction.atomic():
        row = PeriodCutoff.objects.select_for_update().filter(canteen=canteen, period=period).first()
        before = None if row is None else {"cutoff": f"{row.cutoff:%H:%M}", "delivers": row.delivers}
        if row is None:
            row = PeriodCutoff(canteen=canteen, period=period)
        row.cutoff, row.delivers, row.updated_at, row.updated_by = cutoff, bool(delivers), clock.now(), actor
        row.save()
        audit_record(actor=actor, action="orders.cutoff_set", obj=row,
                     object_repr=f"{canteen.name} {_period_label(period)}", region_path=canteen.region.path,
                     before=before,
                     after={"cutoff": f"{cutoff:%H:%M}", "delivers": bool(delivers)})
    return row


def menu_publish(*, actor, canteen_id: int, local_date: date, period: str,
                 offers: list[tuple[int, int | None]], delivers: bool | None = None) -> list[MenuOffer]:
    """Publish (or replace) the offers of one day and period: [(dish id, portions or None)]. An
    offer already ordered stays (its portions cannot go below those taken); one not listed is
    withdrawn unless ordered."""
    canteen = _canteen_for_manager(actor, canteen_id)
    today = clock.local_today()
    if not isinstance(local_date, date) or not today <= local_date <= today + timedelta(days=DAYS_AHEAD):
        raise order_error("MENU_DATE_RANGE", field="local_date", days=DAYS_AHEAD)
    _meal_period(canteen, period)
    if delivers is None:
        cut = PeriodCutoff.objects.filter(canteen=canteen, period=period).first()
        delivers = bool(cut and cut.delivers)
    wanted: dict[int, int | None] = {}
    for dish_id, portions in offers:
        if portions is not None and (isinstance(portions, bool) or not isinstance(portions, int) or portions < 0):
            raise order_error("ORDER_LINE_INVALID", field="offers")
        wanted[int(dish_id)] = portions
    dishes = {d.pk: d for d in Dish.objects.filter(canteen=canteen, active=True, pk__in=list(wanted))}
    for dish_id in wanted:
        if dish_id not in dishes:
            raise order_error("MENU_DISH_UNKNOWN", field="offers", dish=dish_id)
    now = clock.now()
    with transaction.atomic():
        existing = {o.dish_id: o for o in MenuOffer.objects.select_for_update()
                    .filter(canteen=canteen, local_date=local_date, period=period)}
        before = {o.name: o.portions for o in existing.values()}
        for dish_id, offer in existing.items():
            if dish_id not in wanted:
                if offer.portions_taken or offer.lines.exists():
                    raise order_error("MENU_OFFER_ORDERED", field="offers", dish=offer.name)
                offer.delete()
        result = []
        for dish_id, portions in wanted.items():
            dish = dishes[dish_id]
            offer = existing.get(dish_id)
            if offer is None:
                offer = MenuOffer(canteen=canteen, local_date=local_date, period=period, dish=dish)
            elif portions is not None and portions < offer.portions_taken:
                raise order_error("MENU_PORTIONS_BELOW_TAKEN", field="offers", dish=dish.name,
                                  taken=offer.portions_taken)
            offer.name, offer.price_fen, offer.portions, offer.delivers = dish.name, dish.price_fen, portions, delivers
            offer.published_at, offer.published_by = now, actor
            offer.save()
            result.append(offer)
        audit_record(actor=actor, action="orders.menu_publish", object_type="orders.menuoffer",
                     object_id=f"{canteen.pk}:{local_date}:{period}",
                     object_repr=f"{canteen.name} {local_date} {_period_label(period)}",
                     region_path=canteen.region.path, before=before or None,
                     after={o.name: o.portions for o in result})
    return result


def menu_copy_last_week(*, actor, canteen_id: int, week_start: date) -> int:
    """Copy the offers of the 7 days before `week_start` to the 7 days from it (days inside the
    ordering window and not yet published only); the number of offers written."""
    canteen = _canteen_for_manager(actor, canteen_id)
    today = clock.local_today()
    source = list(MenuOffer.objects.filter(canteen=canteen, local_date__gte=week_start - timedelta(days=7),
                                           local_date__lt=week_start, dish__active=True).select_related("dish"))
    if not source:
        raise order_error("MENU_NOTHING_TO_COPY")
    published = set(MenuOffer.objects.filter(canteen=canteen, local_date__gte=week_start,
                                             local_date__lt=week_start + timedelta(days=7))
                    .values_list("local_date", "period"))
    now, written = clock.now(), 0
    with transaction.atomic():
        for offer in source:
            day = offer.local_date + timedelta(days=7)
            if not today <= day <= today + timedelta(days=DAYS_AHEAD) or (day, offer.period) in published:
                continue
            MenuOffer.objects.create(canteen=canteen, local_date=day, period=offer.period, dish=offer.dish,
                                     name=offer.dish.name, price_fen=offer.dish.price_fen, portions=offer.portions,
                                     delivers=offer.delivers, published_at=now, published_by=actor)
            written += 1
        audit_record(actor=actor, action="orders.menu_copy", object_type="orders.menuoffer",
                     object_id=f"{canteen.pk}:{week_start}", object_repr=f"{canteen.name} 复制上周菜单",
                     region_path=canteen.region.path, after={"week_start": week_start.isoformat(), "offers": written})
    return written


# --------------------------------------------------------------------------------------------------
# coverage


def includes_own_community(canteen: Canteen, communities) -> bool:
    """The canteen's own community is covered: its region if it sits in a community, else (a canteen
    registered under a subdistrict) at least one community of that subdistrict."""
    if canteen.region.level == Level.COMMUNITY:
        return any(r.pk == canteen.region_id for r in communities)
    return any(r.path.startswith(canteen.region.path) for r in communities)


def coverage_set(*, actor, canteen_id: int, community_ids: list[int], radius_m: int | None = None) -> CoverageArea:
    if not has_perm(actor, "order_coverage", "manage"):
        raise PermissionDenied("设置配送范围", "set delivery coverage")
    canteen = get_scoped(Canteen.objects.select_related("region"), actor, "view", what_zh="助餐点",
                         what_en="canteen", pk=canteen_id)
    ids = {int(i) for i in community_ids}
    regions = list(Region.objects.filter(pk__in=ids))
    for region in regions:
        if region.level != Level.COMMUNITY:
            raise order_error("COVERAGE_NOT_COMMUNITY", field="communities", name=region.name)
    if not includes_own_community(canteen, regions):
        raise order_error("COVERAGE_OWN_COMMUNITY", field="communities", community=canteen.region.name)
    if radius_m is not None:
        if isinstance(radius_m, bool) or not isinstance(radius_m, int) or not 1 <= radius_m <= 20000:
            raise order_error("COVERAGE_RADIUS_INVALID", field="radius_m")
        if canteen.latitude is None:
            raise order_error("COVERAGE_NO_COORDINATES", field="radius_m")
    with transaction.atomic():
        area = CoverageArea.objects.select_for_update().filter(canteen=canteen).first()
        before = None if area is None else {"communities": sorted(area.communities.values_list("name", flat=True)),
                                            "radius_m": area.radius_m}
        if area is None:
            area = CoverageArea(canteen=canteen)
        area.radius_m, area.updated_at, area.updated_by = radius_m, clock.now(), actor
        area.save()
        area.communities.set(regions)
        audit_record(actor=actor, action="orders.coverage_set", obj=area, object_repr=f"{canteen.name} 配送范围",
                     region_path=canteen.region.path, before=before,
                     after={"communities": sorted(r.name for r in regions), "radius_m": radius_m})
    return area


def covers(canteen: Canteen, community: Region | None, point: tuple[float, float] | None = None) -> bool:
    area = CoverageArea.objects.filter(canteen=canteen).first()
    if area is None:
        return False
    if community is not None and area.communities.filter(pk=community.pk).exists():
        return True
    if point is not None and area.radius_m and canteen.latitude is not None:
        return _distance_m(canteen.latitude, canteen.longitude, point[0], point[1]) <= area.radius_m
    return False


def covering_canteens(*, community: Region | None, point: tuple[float, float] | None = None) -> list[Canteen]:
    """Open canteens that deliver to the community (or, by radius, to the point): nearest first (by
    distance from the point, else the community's own canteens, then its subdistrict's, then by name)."""
    found = []
    areas = CoverageArea.objects.select_related("canteen__region").filter(canteen__status=CanteenStatus.OPEN)
    for area in areas:
        canteen = area.canteen
        inside = community is not None and area.communities.filter(pk=community.pk).exists()
        distance = None
        if point is not None and canteen.latitude is not None:
            distance = _distance_m(canteen.latitude, canteen.longitude, point[0], point[1])
            inside = inside or bool(area.radius_m and distance <= area.radius_m)
        if inside:
            found.append((canteen, distance))

    def key(pair):
        canteen, distance = pair
        if distance is not None:
            return (0, distance, canteen.name)
        same = community is not None and canteen.region_id == community.pk
        near = community is not None and canteen.region.parent_id == community.parent_id
        return (1, 0 if same else 1 if near else 2, canteen.name)

    return [c for c, _d in sorted(found, key=key)]


# --------------------------------------------------------------------------------------------------
# placing


@dataclass
class Quote:
    gross_fen: int
    benefit_fen: int
    delivery_fee_fen: int
    delivery_subsidy_fen: int
    payable_fen: int
    explanation_zh: str


class _QuoteOnly(Exception):
    def __init__(self, quote: Quote):
        self.quote = quote


def _placer(actor, account, standing) -> str:
    if standing is not None:
        return f"standing:{standing.pk}"
    if account is not None:
        return f"account:{account.pk}"
    if actor is not None:
        return f"user:{actor.pk}"
    raise PermissionDenied("下单", "place an order")


def _elder_for(*, actor, account: PhoneAccount | None, elder_id: int, channel: str, canteen: Canteen) -> Elder:
    if account is not None:
        if channel not in (OrderChannel.ELDER_PHONE, OrderChannel.FAMILY_PHONE):
            raise order_error("ORDER_CHANNEL_INVALID", field="channel")
        if not account.is_active or not Binding.objects.filter(account=account, elder_id=elder_id,
                                                               revoked_at__isnull=True).exists():
            raise order_error("ORDER_ELDER_NOT_BOUND", field="elder_id")
        elder = Elder.objects.filter(pk=elder_id).first()
    elif actor is not None:
        if not has_perm(actor, "order", "place"):
            raise PermissionDenied("代为订餐", "place orders")
        if actor.role in CANTEEN_ROLES and not actor.is_superuser:
            if channel != OrderChannel.CANTEEN:
                raise order_error("ORDER_CHANNEL_INVALID", field="channel")
            if actor.canteen_id != canteen.pk:
                raise order_error("ORDER_WRONG_CANTEEN", field="canteen_id")
            elder = Elder.objects.filter(pk=elder_id).first()
        else:
            if channel != OrderChannel.STAFF:
                raise order_error("ORDER_CHANNEL_INVALID", field="channel")
            elder = restrict(Elder.objects.all(), actor, "view").filter(pk=elder_id).first()
    else:
        elder = Elder.objects.filter(pk=elder_id).first()
    if elder is None:
        raise NotFound("老人", "elder")
    if elder.status != ElderStatus.ACTIVE:
        raise order_error("ORDER_ELDER_INACTIVE", field="elder_id", status=elder.get_status_display(),
                          status_en=elder.status)
    return elder


def _normalise_lines(lines) -> list[tuple[int, int]]:
    merged: dict[int, int] = {}
    for line in lines or []:
        try:
            offer_id, qty = line
        except (TypeError, ValueError):
            raise order_error("ORDER_LINE_INVALID", field="lines") from None
        if isinstance(offer_id, bool) or not isinstance(offer_id, int) or isinstance(qty, bool) \
                or not isinstance(qty, int) or qty < 1:
            raise order_error("ORDER_LINE_INVALID", field="lines")
        merged[offer_id] = merged.get(offer_id, 0) + qty
        if merged[offer_id] > MAX_QUANTITY:
            raise order_error("ORDER_LINE_INVALID", field="lines")
    if not merged:
        raise order_error("ORDER_EMPTY", field="lines")
    return sorted(merged.items())


def _place(*, actor, account, elder_id, canteen_id, local_date, period, lines, fulfilment, address, channel,
           expected_payable_fen, idempotency_key, community_id=None, standing=None, quote_only=False):
    if channel not in OrderChannel.values:
        raise order_error("ORDER_CHANNEL_INVALID", field="channel")
    if fulfilment not in Fulfilment.values:
        raise order_error("ORDER_LINE_INVALID", field="fulfilment")
    if not quote_only and not idempotency_key:
        raise order_error("ORDER_KEY_REQUIRED", field="idempotency_key")
    wanted = _normalise_lines(lines)
    address = (address or "").strip()[:200]
    placer = _placer(actor, account, standing)
    digest = hashlib.sha256(json.dumps(
        [elder_id, canteen_id, str(local_date), period, wanted, fulfilment, address, channel, community_id],
        default=str).encode()).hexdigest()
    if not quote_only:
        replay = Order.objects.filter(placer=placer, idempotency_key=idempotency_key).first()
        if replay is not None:
            if replay.request_digest != digest:
                raise order_error("ORDER_DUPLICATE", field="idempotency_key")
            return replay
    canteen = Canteen.objects.select_related("region").filter(pk=canteen_id).first()
    if canteen is None:
        raise NotFound("助餐点", "canteen")
    elder = _elder_for(actor=actor, account=account, elder_id=elder_id, channel=channel, canteen=canteen)
    if canteen.status != CanteenStatus.OPEN:
        raise order_error("ORDER_CANTEEN_CLOSED")
    now = clock.now()
    today = clock.local_date(now)
    if not isinstance(local_date, date) or not today <= local_date <= today + timedelta(days=DAYS_AHEAD):
        raise order_error("ORDER_DATE_RANGE", field="local_date", days=DAYS_AHEAD)
    day_label, period_label = f"{local_date.month}月{local_date.day}日", _period_label(period)
    closes = cutoff_at(canteen, local_date, period)
    if closes is None:
        raise order_error("ORDER_NOT_OFFERED", date=day_label, period=period_label)
    if now >= closes:
        raise order_error("ORDER_CUTOFF_PASSED", date=day_label, period=period_label, cutoff=f"{closes:%H:%M}")
    delivery = fulfilment == Fulfilment.DELIVERY
    community = None
    if delivery:
        if not address:
            address = elder.address
            community = elder.community
        else:
            community = Region.objects.filter(pk=community_id).first() if community_id else elder.community
        if not address:
            raise order_error("ORDER_ADDRESS_REQUIRED", field="address")
        if not covers(canteen, community):
            nearest = [c for c in covering_canteens(community=community) if c.pk != canteen.pk][:NEAREST_SHOWN]
            shown = ("，可选择：" + "、".join(c.name for c in nearest)) if nearest else "，附近暂无可送餐的食堂"
            raise DomainError(**{**order_error("ORDER_OUTSIDE_COVERAGE", field="address", canteen=canteen.name,
                                               nearest=shown).__dict__,
                                 "details": {"canteen": canteen.name,
                                             "nearest": [{"id": c.pk, "name": c.name} for c in nearest]}})
    try:
        with transaction.atomic():
            offers = {o.pk: o for o in MenuOffer.objects.select_for_update()
                      .filter(pk__in=[i for i, _q in wanted], canteen=canteen, local_date=local_date, period=period)
                      .order_by("pk")}
            if len(offers) != len(wanted):
                if not MenuOffer.objects.filter(canteen=canteen, local_date=local_date, period=period).exists():
                    raise order_error("ORDER_NOT_OFFERED", date=day_label, period=period_label)
                raise order_error("ORDER_LINE_INVALID", field="lines")
            for offer_id, qty in wanted:
                offer = offers[offer_id]
                if delivery and not offer.delivers:
                    raise order_error("ORDER_NO_DELIVERY", field="fulfilment", date=day_label, period=period_label)
                left = offer.portions_left
                if left is not None and qty > left:
                    raise order_error("ORDER_SOLD_OUT", field="lines", dish=offer.name, left=left)
            for offer_id, qty in wanted:
                if offers[offer_id].portions is not None:
                    MenuOffer.objects.filter(pk=offer_id).update(portions_taken=F("portions_taken") + qty)
            order = Order(elder=elder, canteen=canteen, local_date=local_date, period=period, fulfilment=fulfilment,
                          community=community, channel=channel,
                          placed_by_user=actor if account is None and standing is None else None,
                          placed_by_account=account, standing=standing, cutoff_at=closes,
                          period_end_at=reservations.period_end(canteen, local_date, period), placer=placer,
                          idempotency_key=idempotency_key or f"quote:{now.timestamp()}", request_digest=digest,
                          created_at=now)
            order.address = address if delivery else ""
            order.save()
            res = reservations.benefit_reserve(
                canteen=canteen, elder=elder, local_date=local_date, period=period, delivery=delivery,
                lines=[CheckoutLine(quantity=qty, dish_id=offers[i].dish_id) for i, qty in wanted],
                source=order.reservation_source)
            quote = Quote(res.gross_fen, res.benefit_fen, res.delivery_fee_fen, res.delivery_subsidy_fen,
                          res.payable_fen, res.explanation_zh)
            if quote_only:
                raise _QuoteOnly(quote)
            if expected_payable_fen is not None and expected_payable_fen != res.payable_fen:
                raise order_error("ORDER_PRICE_CHANGED", field="expected_payable_fen",
                                  payable=fen_to_yuan(res.payable_fen))
            by_dish = {offers[i].dish_id: offers[i] for i, _q in wanted}
            OrderLineRow.objects.bulk_create([
                OrderLineRow(order=order, offer=by_dish[dish_id], name=name, quantity=qty, unit_price_fen=unit,
                             line_fen=qty * unit) for dish_id, name, qty, unit in res.items])
            order.gross_fen, order.benefit_fen = res.gross_fen, res.benefit_fen
            order.delivery_fee_fen, order.delivery_subsidy_fen = res.delivery_fee_fen, res.delivery_subsidy_fen
            order.payable_fen = res.payable_fen
            order.handover_code_hash = _code_hash(order, handover_code(order))
            order.save(update_fields=["gross_fen", "benefit_fen", "delivery_fee_fen", "delivery_subsidy_fen",
                                      "payable_fen", "handover_code_hash"])
            audit_record(actor=actor, action="orders.place", obj=order, region_path=canteen.region.path,
                         after={"elder": elder.pk, "date": local_date.isoformat(), "period": period,
                                "fulfilment": fulfilment, "channel": channel, "payable_fen": res.payable_fen,
                                "account": account.pk if account else None},
                         note=f"{account.display_name}（手机账号）" if account else "")
    except _QuoteOnly as done:
        return done.quote
    except IntegrityError:
        replay = Order.objects.filter(placer=placer, idempotency_key=idempotency_key).first()
        if replay is None:
            raise
        if replay.request_digest != digest:
            raise order_error("ORDER_DUPLICATE", field="idempotency_key") from None
        return replay
    return order


def order_quote(*, actor=None, account=None, elder_id, canteen_id, local_date, period, lines, fulfilment,
                address: str = "", channel, community_id=None) -> Quote:
    """What placing this order would cost now (the benefit and the delivery terms under the policy),
    computed by the placement itself and rolled back: the same errors, nothing kept."""
    return _place(actor=actor, account=account, elder_id=elder_id, canteen_id=canteen_id, local_date=local_date,
                  period=period, lines=lines, fulfilment=fulfilment, address=address, channel=channel,
                  expected_payable_fen=None, idempotency_key="", community_id=community_id, quote_only=True)


def order_place(*, actor=None, account=None, elder_id: int, canteen_id: int, local_date: date, period: str,
                lines: list[tuple[int, int]], fulfilment: str, address: str = "", channel: str,
                expected_payable_fen: int | None, idempotency_key: str, community_id: int | None = None,
                standing: StandingOrder | None = None) -> Order:
    """Place an order: `lines` are (offer id, quantity). `expected_payable_fen` is what the person
    saw; a different server quote refuses with ORDER_PRICE_CHANGED and the new amount (None only
    for standing orders, which take the quote). The same key from the same placer with the same
    body returns the first order; with another body → ORDER_DUPLICATE. The plain handover code is
    `handover_code(order)`."""
    if standing is None and (expected_payable_fen is None or isinstance(expected_payable_fen, bool)
                             or not isinstance(expected_payable_fen, int)):
        raise order_error("ORDER_PRICE_CHANGED", field="expected_payable_fen", payable="?")
    return _place(actor=actor, account=account, elder_id=elder_id, canteen_id=canteen_id, local_date=local_date,
                  period=period, lines=lines, fulfilment=fulfilment, address=address, channel=channel,
                  expected_payable_fen=expected_payable_fen, idempotency_key=idempotency_key,
                  community_id=community_id, standing=standing)


# --------------------------------------------------------------------------------------------------
# after placing


def _state(order: Order) -> tuple[str, str]:
    return f"已{order.get_status_display().removeprefix('已')}", order.status


def _order_for(*, actor, account, order_id: int, action: str) -> Order:
    qs = Order.objects.select_related("canteen__region", "elder")
    if account is not None:
        order = qs.filter(pk=order_id).first()
        if order is None or not (order.placed_by_account_id == account.pk or Binding.objects.filter(
                account=account, elder_id=order.elder_id, revoked_at__isnull=True).exists()):
            raise NotFound("订单", "order")
        return order
    if actor is None:
        order = qs.filter(pk=order_id).first()
        if order is None:
            raise NotFound("订单", "order")
        return order
    return get_scoped(qs, actor, action, what_zh="订单", what_en="order", pk=order_id)


def _give_back_portions(order: Order) -> None:
    for line in order.lines.all():
        MenuOffer.objects.filter(pk=line.offer_id, portions__isnull=False).update(
            portions_taken=F("portions_taken") - line.quantity)


def order_cancel(*, actor=None, account=None, order_id: int, reason: str) -> Order:
    """Cancel before the cut-off: the reservation and the portions are given back, an online
    payment refunded; a standing order's occurrence stays cancelled."""
    order = _order_for(actor=actor, account=account, order_id=order_id, action="cancel")
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("canteen__region", "elder").get(pk=order.pk)
        if order.status == OrderStatus.CANCELLED:
            return order
        if order.status != OrderStatus.PLACED or clock.now() >= order.cutoff_at:
            state = "已过截止时间" if order.status == OrderStatus.PLACED else _state(order)[0]
            raise order_error("ORDER_NOT_CANCELLABLE", state=state,
                              state_en="past its cut-off" if order.status == OrderStatus.PLACED else order.status)
        reservations.reservation_release(source=order.reservation_source, reason="cancelled")
        _give_back_portions(order)
        order.status, order.cancelled_at, order.cancel_reason = OrderStatus.CANCELLED, clock.now(), (reason or "")[:200]
        order.save(update_fields=["status", "cancelled_at", "cancel_reason"])
        if order.standing_id:
            StandingSkip.objects.get_or_create(standing_id=order.standing_id, date=order.local_date,
                                               defaults={"created_at": clock.now()})
        if order.paid_online:
            for hook in CANCEL_HOOKS:  # payments: refund (payments.services.payment_refund_for_order)
                hook(order=order)
        audit_record(actor=actor, action="orders.cancel", obj=order, region_path=order.canteen.region.path,
                     after={"reason": order.cancel_reason, "account": account.pk if account else None})
    return order


def order_handover(*, actor=None, courier=None, order_id: int, method: str, evidence: str = "",
                   tenders: list[TenderIn] | None = None) -> Meal:
    """The meal is handed over (picked up at the counter or delivered): it enters the ledger with
    the reservation's benefit. method: "counter", "elder_code" (the scanned 长者码 in `evidence`),
    "handover_code" (the 6 digits in `evidence`), "photo" (the photo's reference in `evidence`).
    A second handover returns the same meal."""
    if method not in HandoverMethod.values:
        raise order_error("HANDOVER_METHOD_INVALID", field="method")
    order = Order.objects.select_related("canteen__region", "elder").filter(pk=order_id).first()
    if order is None:
        raise NotFound("订单", "order")
    canteen_id = getattr(courier, "canteen_id", None) if courier is not None else None
    if actor is not None and not actor.is_superuser:
        if actor.role in CANTEEN_ROLES:
            canteen_id = actor.canteen_id
        else:
            raise order_error("ORDER_WRONG_CANTEEN")
    if canteen_id is not None and canteen_id != order.canteen_id:
        raise order_error("ORDER_WRONG_CANTEEN")
    if order.status == OrderStatus.HANDED_OVER:
        return order.meal
    if order.status != OrderStatus.PLACED:
        raise order_error("ORDER_NOT_OPEN", state=_state(order)[0], state_en=order.status)
    if clock.local_today() != order.local_date:
        raise order_error("ORDER_HANDOVER_EARLY", date=order.local_date.isoformat())
    evidence = (evidence or "").strip()
    identified_by = IdentifiedBy.ELDER_ID
    if method == HandoverMethod.HANDOVER_CODE:
        if not hmac.compare_digest(_code_hash(order, evidence), order.handover_code_hash):
            raise order_error("HANDOVER_CODE_WRONG", field="evidence")
    elif method == HandoverMethod.ELDER_CODE:
        if not evidence:
            raise order_error("HANDOVER_EVIDENCE_REQUIRED", field="evidence")
        from zhucan.identity.identification import identify_typed

        identified = identify_typed(value=evidence, canteen=order.canteen)
        if identified.elder.pk != order.elder_id:
            raise order_error("HANDOVER_ELDER_CODE_WRONG", field="evidence")
        identified_by = identified.identified_by
    elif method == HandoverMethod.PHOTO:
        if not evidence:
            raise order_error("HANDOVER_EVIDENCE_REQUIRED", field="evidence")
    channel = Channel.DELIVERY if order.fulfilment == Fulfilment.DELIVERY else Channel.PICKUP
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status == OrderStatus.HANDED_OVER:
            return locked.meal
        if locked.status != OrderStatus.PLACED:
            raise order_error("ORDER_NOT_OPEN", state=_state(locked)[0], state_en=locked.status)
        meal = reservations.reservation_handover(
            source=order.reservation_source, channel=channel, tenders=tenders, identified_by=identified_by,
            cashier=actor, idempotency_key=f"order-{order.pk}-handover")
        Order.objects.filter(pk=order.pk).update(status=OrderStatus.HANDED_OVER, meal=meal, handed_over_at=clock.now(),
                                                 handover_method=method, handover_evidence=evidence[:200])
        audit_record(actor=actor, action="orders.handover", obj=order, region_path=order.canteen.region.path,
                     after={"method": method, "meal": meal.pk, "courier": getattr(courier, "pk", None)})
    return meal


def order_fail(*, courier=None, actor=None, order_id: int, reason: str) -> Order:
    """Could not deliver: the order fails, its reservation is released (the portions were cooked)."""
    if not (reason or "").strip():
        raise order_error("ORDER_FAIL_REASON_REQUIRED", field="reason")
    order = Order.objects.select_related("canteen__region").filter(pk=order_id).first()
    if order is None:
        raise NotFound("订单", "order")
    canteen_id = getattr(courier, "canteen_id", None)
    if actor is not None and not actor.is_superuser and actor.role in CANTEEN_ROLES:
        canteen_id = actor.canteen_id
    if canteen_id is not None and canteen_id != order.canteen_id:
        raise order_error("ORDER_WRONG_CANTEEN")
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("canteen__region").get(pk=order.pk)
        if order.status == OrderStatus.FAILED:
            return order
        if order.status != OrderStatus.PLACED:
            raise order_error("ORDER_NOT_OPEN", state=_state(order)[0], state_en=order.status)
        reservations.reservation_release(source=order.reservation_source, reason="failed")
        order.status, order.failed_at, order.fail_reason = OrderStatus.FAILED, clock.now(), reason.strip()[:200]
        order.save(update_fields=["status", "failed_at", "fail_reason"])
        audit_record(actor=actor, action="orders.fail", obj=order, region_path=order.canteen.region.path,
                     after={"reason": order.fail_reason, "courier": getattr(courier, "pk", None)})
    return order


def orders_expire(*, now: datetime | None = None) -> int:
    """Orders never handed over by the end of their period expire and release their reservation."""
    now = now or clock.now()
    count = 0
    due = Order.objects.filter(status=OrderStatus.PLACED, period_end_at__lte=now).values_list("pk", flat=True)
    for order_id in list(due):
        with transaction.atomic():
            order = Order.objects.select_for_update().get(pk=order_id)
            if order.status != OrderStatus.PLACED:
                continue
            reservations.reservation_release(source=order.reservation_source, reason="expired")
            Order.objects.filter(pk=order.pk).update(status=OrderStatus.EXPIRED)
            count += 1
    return count


# --------------------------------------------------------------------------------------------------
# standing orders


def _clean_weekdays(weekdays) -> dict[str, list[list[int]]]:
    clean: dict[str, list[list[int]]] = {}
    if not isinstance(weekdays, dict):
        raise order_error("STANDING_WEEKDAYS_INVALID", field="weekdays")
    for day, choices in weekdays.items():
        if str(day) not in {"1", "2", "3", "4", "5", "6", "7"} or not isinstance(choices, list | tuple):
            raise order_error("STANDING_WEEKDAYS_INVALID", field="weekdays")
        rows = []
        for choice in choices:
            try:
                dish_id, qty = int(choice[0]), int(choice[1])
            except (TypeError, ValueError, IndexError):
                raise order_error("STANDING_WEEKDAYS_INVALID", field="weekdays") from None
            if not 1 <= qty <= MAX_QUANTITY:
                raise order_error("STANDING_WEEKDAYS_INVALID", field="weekdays")
            rows.append([dish_id, qty])
        if rows:
            clean[str(day)] = rows
    if not clean:
        raise order_error("STANDING_WEEKDAYS_INVALID", field="weekdays")
    return clean


def standing_create(*, actor=None, account=None, elder_id: int, canteen_id: int, period: str, fulfilment: str,
                    weekdays: dict, address: str = "") -> StandingOrder:
    """A standing order: weekdays {"1": [[dish id, quantity], ...], ...} (1 = Monday)."""
    canteen = Canteen.objects.select_related("region").filter(pk=canteen_id).first()
    if canteen is None:
        raise NotFound("助餐点", "canteen")
    channel = (OrderChannel.FAMILY_PHONE if account is not None else
               OrderChannel.CANTEEN if actor is not None and actor.role in CANTEEN_ROLES else OrderChannel.STAFF)
    elder = _elder_for(actor=actor, account=account, elder_id=elder_id, channel=channel, canteen=canteen)
    if fulfilment not in Fulfilment.values:
        raise order_error("ORDER_LINE_INVALID", field="fulfilment")
    _meal_period(canteen, period)
    clean = _clean_weekdays(weekdays)
    dish_ids = {d for rows in clean.values() for d, _q in rows}
    known = set(Dish.objects.filter(canteen=canteen, pk__in=dish_ids).values_list("pk", flat=True))
    if dish_ids - known:
        raise order_error("MENU_DISH_UNKNOWN", field="weekdays", dish=sorted(dish_ids - known)[0])
    with transaction.atomic():
        standing = StandingOrder(elder=elder, canteen=canteen, period=period, fulfilment=fulfilment, weekdays=clean,
                                 created_by=actor if account is None else None, created_by_account=account,
                                 created_at=clock.now())
        standing.address = (address or "").strip()[:200]
        standing.save()
        audit_record(actor=actor, action="orders.standing_create", obj=standing, object_repr=f"长期订餐{standing.pk}",
                     region_path=canteen.region.path, after={"elder": elder.pk, "period": period, "weekdays": clean})
    return standing


def _standing_for(*, actor, account, standing_id: int) -> StandingOrder:
    qs = StandingOrder.objects.select_related("canteen__region")
    if account is not None:
        found = qs.filter(pk=standing_id, elder__phone_bindings__account=account,
                          elder__phone_bindings__revoked_at__isnull=True).first()
    elif actor is not None:
        found = restrict(qs, actor, "place").filter(pk=standing_id).first()
    else:
        found = qs.filter(pk=standing_id).first()
    if found is None:
        raise order_error("STANDING_NOT_FOUND")
    return found


def standing_pause(*, actor=None, account=None, standing_id: int, until: date | None) -> StandingOrder:
    """Pause until a date (inclusive: generation resumes the day after); None resumes now."""
    standing = _standing_for(actor=actor, account=account, standing_id=standing_id)
    with transaction.atomic():
        before = standing.paused_until
        StandingOrder.objects.filter(pk=standing.pk).update(paused_until=until)
        standing.paused_until = until
        audit_record(actor=actor, action="orders.standing_pause", obj=standing, object_repr=f"长期订餐{standing.pk}",
                     region_path=standing.canteen.region.path,
                     before={"paused_until": before.isoformat() if before else None},
                     after={"paused_until": until.isoformat() if until else None})
    return standing


def standing_skip(*, actor=None, account=None, standing_id: int, day: date) -> StandingSkip:
    """Cancel one occurrence; it stays cancelled. An order already generated for it is cancelled
    (before its cut-off)."""
    standing = _standing_for(actor=actor, account=account, standing_id=standing_id)
    if day < clock.local_today():
        raise order_error("STANDING_SKIP_PAST", field="day")
    generated = Order.objects.filter(standing=standing, local_date=day, status=OrderStatus.PLACED).first()
    with transaction.atomic():
        if generated is not None:
            order_cancel(actor=actor, account=account, order_id=generated.pk, reason="长期订餐取消当日")
        skip, _created = StandingSkip.objects.get_or_create(standing=standing, date=day,
                                                            defaults={"created_at": clock.now()})
        audit_record(actor=actor, action="orders.standing_skip", obj=standing, object_repr=f"长期订餐{standing.pk}",
                     region_path=standing.canteen.region.path, after={"date": day.isoformat()})
    return skip


def standing_stop(*, actor=None, account=None, standing_id: int) -> StandingOrder:
    standing = _standing_for(actor=actor, account=account, standing_id=standing_id)
    with transaction.atomic():
        StandingOrder.objects.filter(pk=standing.pk).update(active=False)
        standing.active = False
        audit_record(actor=actor, action="orders.standing_stop", obj=standing, object_repr=f"长期订餐{standing.pk}",
                     region_path=standing.canteen.region.path)
    return standing


FINAL_ATTEMPT = timedelta(hours=1)  # a day whose menu is still missing this close to the cut-off is noted closed


def _note(standing: StandingOrder, day: date, outcome: str, note: str = "", order: Order | None = None) -> None:
    StandingRun.objects.get_or_create(standing=standing, date=day, defaults={
        "outcome": outcome, "note": note[:200], "order": order, "created_at": clock.now()})


def standing_generate(*, day: date, now: datetime | None = None) -> int:
    """Place the day's orders of the active standing orders before the cut-off; the count placed.
    Each standing order and day is decided once (a `StandingRun`): paused, skipped, sold out or
    closed days are noted, not retried; a menu not published yet is retried until an hour before
    the cut-off."""
    now = now or clock.now()
    weekday = str(day.isoweekday())
    placed = 0
    done = set(StandingRun.objects.filter(date=day).values_list("standing_id", flat=True))
    for standing in (StandingOrder.objects.filter(active=True).exclude(pk__in=done)
                     .select_related("canteen", "elder").order_by("pk")):
        choices = standing.weekdays.get(weekday)
        if not choices:
            continue
        if standing.paused_until and standing.paused_until >= day:
            _note(standing, day, "paused", f"暂停至{standing.paused_until:%m月%d日}")
            continue
        if StandingSkip.objects.filter(standing=standing, date=day).exists():
            _note(standing, day, "skipped", "当日已取消")
            continue
        closes = cutoff_at(standing.canteen, day, standing.period)
        if closes is None or now >= closes:
            _note(standing, day, "closed", "当日不接受订餐" if closes is None else "已过截止时间")
            continue
        offers = {o.dish_id: o for o in MenuOffer.objects.filter(canteen=standing.canteen, local_date=day,
                                                                   period=standing.period)}
        if not offers:
            if closes - now <= FINAL_ATTEMPT:
                _note(standing, day, "closed", "当日未发布菜单")
            continue
        lines = [(offers[d].pk, q) for d, q in choices if d in offers]
        if not lines:
            _note(standing, day, "closed", "所选菜品当日未供应")
            continue
        try:
            order = order_place(elder_id=standing.elder_id, canteen_id=standing.canteen_id, local_date=day,
                                period=standing.period, lines=lines, fulfilment=standing.fulfilment,
                                address=standing.address, channel=OrderChannel.STANDING, expected_payable_fen=None,
                                idempotency_key=f"standing-{standing.pk}-{day.isoformat()}", standing=standing)
        except DomainError as exc:
            outcome = "sold_out" if exc.code == "ORDER_SOLD_OUT" else "refused"
            _note(standing, day, outcome, exc.message_zh)
            continue
        _note(standing, day, "placed", order=order)
        placed += 1
    return placed


def standing_generate_due(*, now: datetime | None = None) -> int:
    """The periodic job: today's and tomorrow's occurrences (each decided once)."""
    now = now or clock.now()
    today = clock.local_date(now)
    return standing_generate(day=today, now=now) + standing_generate(day=today + timedelta(days=1), now=now)
