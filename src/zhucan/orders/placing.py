"""Placing and cancelling orders (issue 17 items 2-3): every channel ends in `order_place`.

An order's benefit is held by a `checkout.Reservation` with source "order:<id>", taken in the same
transaction as the order under the day-usage row lock the counter uses; the offers' portions are
taken by a conditional update after the usage lock, in the order a cancellation takes them (no
overselling, no deadlock). Cancelling before the cut-off gives both
back and runs the registered cancel hooks (the payments app's refund)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import F, OuterRef, Subquery
from django.db.models.expressions import RawSQL

from zhucan.accounts.models import CANTEEN_ROLES
from zhucan.accounts.permissions import has_perm
from zhucan.accounts.scoping import get_scoped, restrict
from zhucan.canteens.models import Canteen, CanteenStatus
from zhucan.checkout import reservations
from zhucan.checkout.services import OrderLine as CheckoutLine
from zhucan.core import clock
from zhucan.core.audit import audit_record
from zhucan.core.errors import DomainError, NotFound, PermissionDenied
from zhucan.core.money import fen_to_yuan
from zhucan.elderphone.models import Binding, PhoneAccount
from zhucan.elders.models import Elder, ElderStatus
from zhucan.identity.lookup import attach_tags, tags_sql
from zhucan.orders.common import DAYS_AHEAD, MAX_QUANTITY, order_state, period_zh
from zhucan.orders.coverage import covering_canteens, covers
from zhucan.orders.errors import order_error
from zhucan.orders.handover import code_hash, handover_code
from zhucan.orders.menus import cutoff_at
from zhucan.orders.models import (
    Fulfilment,
    MenuOffer,
    Order,
    OrderChannel,
    OrderStatus,
    PeriodCutoff,
    StandingOrder,
    StandingSkip,
)
from zhucan.orders.models import OrderLine as OrderLineRow
from zhucan.regions.models import Region

NEAREST_SHOWN = 3

# Called inside the cancellation's transaction for an order paid online: the payments app registers
# its refund here from its AppConfig.ready() (`register_cancel_hook(payment_refund_for_order)`).
CANCEL_HOOKS: list = []


def register_cancel_hook(fn) -> None:
    """fn(*, order) -> Any; raising refuses the cancellation (nothing is released)."""
    if fn not in CANCEL_HOOKS:
        CANCEL_HOOKS.append(fn)


@dataclass
class Quote:
    gross_fen: int
    benefit_fen: int
    delivery_fee_fen: int
    delivery_subsidy_fen: int
    payable_fen: int
    explanation_zh: str


def _placer(actor, account, standing) -> str:
    if standing is not None:
        return f"standing:{standing.pk}"
    if account is not None:
        return f"account:{account.pk}"
    if actor is not None:
        return f"user:{actor.pk}"
    raise PermissionDenied("下单", "place an order")


def elder_for(*, actor, account: PhoneAccount | None, elder_id: int, channel: str, canteen: Canteen,
              usage_on: date | None = None) -> Elder:
    """The elder this placer may order for, read in one statement with the address's community,
    the household district and the tags (what the policy reads) and, with `usage_on`, that day's
    usage (`elder.usage_read`, what a quote rates against)."""
    elders = Elder.objects.select_related("community", "hukou_district").annotate(
        tag_rows=RawSQL(tags_sql(connection.vendor, '"elders_elder"."id"'), ()))
    if usage_on is not None:
        elders = elders.annotate(usage_row=RawSQL(
            'SELECT u.usage FROM checkout_elderdayusage u WHERE u.elder_id = "elders_elder"."id" AND u.local_date = %s',
            (usage_on,)))
    if account is not None:
        if channel not in (OrderChannel.ELDER_PHONE, OrderChannel.FAMILY_PHONE):
            raise order_error("ORDER_CHANNEL_INVALID", field="channel")
        if not account.is_active or not Binding.objects.filter(account=account, elder_id=elder_id,
                                                               revoked_at__isnull=True).exists():
            raise order_error("ORDER_ELDER_NOT_BOUND", field="elder_id")
        elder = elders.filter(pk=elder_id).first()
    elif actor is not None:
        if not has_perm(actor, "order", "place"):
            raise PermissionDenied("代为订餐", "place orders")
        if actor.role in CANTEEN_ROLES and not actor.is_superuser:
            if channel != OrderChannel.CANTEEN:
                raise order_error("ORDER_CHANNEL_INVALID", field="channel")
            if actor.canteen_id != canteen.pk:
                raise order_error("ORDER_WRONG_CANTEEN", field="canteen_id")
            elder = elders.filter(pk=elder_id).first()
        else:
            if channel != OrderChannel.STAFF:
                raise order_error("ORDER_CHANNEL_INVALID", field="channel")
            elder = restrict(elders, actor, "view").filter(pk=elder_id).first()
    else:
        elder = elders.filter(pk=elder_id).first()
    if elder is None:
        raise NotFound("老人", "elder")
    attach_tags(elder, elder.tag_rows)
    if usage_on is not None:
        usage = elder.usage_row
        elder.usage_read = (usage_on, json.loads(usage) if isinstance(usage, str) else usage)
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


def _offers_and_cutoff(canteen: Canteen, local_date: date, period: str, wanted) -> tuple[dict, object]:
    """The wanted offers of that day and period, read with the period's order cut-off in the same
    statement (the cut-off alone when none of them is on the menu). Read, not locked: the portions
    are taken later by a conditional update, and an order line's foreign key keeps the offer."""
    cutoff = PeriodCutoff.objects.filter(canteen=OuterRef("canteen"), period=OuterRef("period")).values("cutoff")
    offers = {o.pk: o for o in MenuOffer.objects.filter(pk__in=[i for i, _q in wanted], canteen=canteen,
                                                       local_date=local_date, period=period)
              .annotate(order_cutoff=Subquery(cutoff[:1]))}
    if offers:
        found = next(iter(offers.values())).order_cutoff
        return offers, None if found is None else datetime.combine(local_date, found, clock.LOCAL_TZ)
    return offers, cutoff_at(canteen, local_date, period)


def _take_portions(offers: dict, wanted) -> None:
    """Take the portions of the offers that have a limit, each in one conditional update (never
    more than published, whatever runs at the same time); unlimited offers are not touched."""
    for offer_id, qty in wanted:
        offer = offers[offer_id]
        if offer.portions is None:
            continue
        taken = MenuOffer.objects.filter(pk=offer_id, portions_taken__lte=F("portions") - qty) \
            .update(portions_taken=F("portions_taken") + qty)
        if not taken:
            offer.refresh_from_db(fields=["portions", "portions_taken"])
            raise order_error("ORDER_SOLD_OUT", field="lines", dish=offer.name, left=offer.portions_left)


def _place(*, actor, account, elder_id, canteen_id, local_date, period, lines, fulfilment, address, channel,
           expected_payable_fen, idempotency_key, community_id=None, standing=None, quote_only=False):
    """Check and read everything first, outside the transaction; then, in it, write the order and
    its lines, lock the elder's day-usage row (the counter's lock), rate, take the portions and
    write the reservation, the amounts and the audit row: the lock is held for four statements."""
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
    canteens = Canteen.objects.select_related("region")
    if not quote_only:  # whether this key was used already, read with the canteen
        canteens = canteens.annotate(replay_id=Subquery(
            Order.objects.filter(placer=placer, idempotency_key=idempotency_key).order_by().values("pk")[:1]))
    canteen = canteens.filter(pk=canteen_id).first()
    replay_id = getattr(canteen, "replay_id", None)
    if not quote_only and (replay_id is not None or canteen is None):
        replay = Order.objects.filter(pk=replay_id) if replay_id is not None else \
            Order.objects.filter(placer=placer, idempotency_key=idempotency_key)
        replay = replay.first()
        if replay is not None:
            if replay.request_digest != digest:
                raise order_error("ORDER_DUPLICATE", field="idempotency_key")
            return replay
    if canteen is None:
        raise NotFound("助餐点", "canteen")
    elder = elder_for(actor=actor, account=account, elder_id=elder_id, channel=channel, canteen=canteen,
                      usage_on=local_date if quote_only and isinstance(local_date, date) else None)
    if canteen.status != CanteenStatus.OPEN:
        raise order_error("ORDER_CANTEEN_CLOSED")
    now = clock.now()
    today = clock.local_date(now)
    if not isinstance(local_date, date) or not today <= local_date <= today + timedelta(days=DAYS_AHEAD):
        raise order_error("ORDER_DATE_RANGE", field="local_date", days=DAYS_AHEAD)
    day_label, period_label = f"{local_date.month}月{local_date.day}日", period_zh(period)
    offers, closes = _offers_and_cutoff(canteen, local_date, period, wanted)
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
    prepared = reservations.benefit_prepare(
        canteen=canteen, elder=elder, local_date=local_date, period=period, delivery=delivery,
        lines=[CheckoutLine(quantity=qty, dish_id=offers[i].dish_id) for i, qty in wanted])
    if quote_only:  # rated against the day's usage as it stands: nothing locked, nothing written
        rated = reservations.prepared_quote(prepared)
        return Quote(rated.gross_fen, rated.benefit_fen, rated.delivery_fee_fen, rated.delivery_subsidy_fen,
                     rated.payable_fen, rated.explanation_zh)
    by_dish = {offers[i].dish_id: offers[i] for i, _q in wanted}
    order = Order(elder=elder, canteen=canteen, local_date=local_date, period=period, fulfilment=fulfilment,
                  community=community, channel=channel,
                  placed_by_user=actor if account is None and standing is None else None,
                  placed_by_account=account, standing=standing, cutoff_at=closes,
                  period_end_at=reservations.period_end(canteen, local_date, period), placer=placer,
                  idempotency_key=idempotency_key, request_digest=digest, gross_fen=prepared.priced.gross_fen,
                  payable_fen=prepared.priced.gross_fen, created_at=now)
    order.address = address if delivery else ""
    try:
        with transaction.atomic():
            order.save()
            OrderLineRow.objects.bulk_create([
                OrderLineRow(order=order, offer=by_dish[dish_id], name=name, quantity=qty, unit_price_fen=unit,
                             line_fen=qty * unit) for dish_id, name, qty, unit in prepared.priced.items])
            hold = reservations.benefit_hold(prepared)  # the lock: held from here to the commit
            rated = hold.rated
            if expected_payable_fen is not None and expected_payable_fen != rated.payable_fen:
                raise order_error("ORDER_PRICE_CHANGED", field="expected_payable_fen",
                                  payable=fen_to_yuan(rated.payable_fen))
            _take_portions(offers, wanted)
            reservations.hold_write(hold, source=order.reservation_source)
            order.gross_fen, order.benefit_fen = rated.gross_fen, rated.benefit_fen
            order.delivery_fee_fen, order.delivery_subsidy_fen = rated.delivery_fee_fen, rated.delivery_subsidy_fen
            order.payable_fen = rated.payable_fen
            order.handover_code_hash = code_hash(order, handover_code(order))
            order.save(update_fields=["gross_fen", "benefit_fen", "delivery_fee_fen", "delivery_subsidy_fen",
                                      "payable_fen", "handover_code_hash"])
            audit_record(actor=actor, action="orders.place", obj=order, region_path=canteen.region.path,
                         after={"elder": elder.pk, "date": local_date.isoformat(), "period": period,
                                "fulfilment": fulfilment, "channel": channel, "payable_fen": rated.payable_fen,
                                "account": account.pk if account else None},
                         note=f"{account.display_name}（手机账号）" if account else "")
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
    """What placing this order would cost now (the benefit and the delivery terms under the policy):
    the placement's own checks and rating, against the day's usage as it stands; nothing locked or
    written."""
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
            state = "已过截止时间" if order.status == OrderStatus.PLACED else order_state(order)[0]
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
