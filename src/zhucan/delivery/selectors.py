"""Reads of kitchen and dispatch: the board of one canteen, day and period; the production sheet
and labels; a courier's route."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from zhucan.canteens.models import Canteen
from zhucan.core import clock
from zhucan.core.sealed import mask_name
from zhucan.delivery.models import Courier, Route, Stop
from zhucan.orders.models import Fulfilment, Order, OrderLine, OrderStatus

LIVE = (OrderStatus.PLACED, OrderStatus.HANDED_OVER, OrderStatus.FAILED)


@dataclass
class Board:
    canteen: Canteen
    local_date: object
    period: str
    orders: list = field(default_factory=list)
    portions: list = field(default_factory=list)  # [(dish, portions)]
    pickup: int = 0
    delivery: int = 0
    routes: list = field(default_factory=list)
    unassigned: list = field(default_factory=list)
    awaiting_pickup: list = field(default_factory=list)  # pickup orders not handed over yet
    couriers: list = field(default_factory=list)


def periods_with_orders(canteen: Canteen, day) -> list[str]:
    return list(Order.objects.filter(canteen=canteen, local_date=day).values_list("period", flat=True)
                .distinct().order_by("period"))


def board(*, canteen: Canteen, local_date, period: str) -> Board:
    orders = list(Order.objects.filter(canteen=canteen, local_date=local_date, period=period, status__in=LIVE)
                  .select_related("elder").prefetch_related("lines").order_by("id"))
    result = Board(canteen=canteen, local_date=local_date, period=period, orders=orders)
    counts: Counter = Counter()
    for line in OrderLine.objects.filter(order__in=orders):
        counts[line.name] += line.quantity
    result.portions = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    result.awaiting_pickup = [o for o in orders if o.fulfilment == Fulfilment.PICKUP and o.status == OrderStatus.PLACED]
    result.pickup = sum(1 for o in orders if o.fulfilment == Fulfilment.PICKUP)
    result.delivery = sum(1 for o in orders if o.fulfilment == Fulfilment.DELIVERY)
    result.routes = list(Route.objects.filter(canteen=canteen, local_date=local_date, period=period)
                         .select_related("courier").prefetch_related("stops__order__elder"))
    on_route = set(Stop.objects.filter(route__in=result.routes).values_list("order_id", flat=True))
    result.unassigned = [o for o in orders if o.fulfilment == Fulfilment.DELIVERY and o.pk not in on_route
                         and o.status == OrderStatus.PLACED]
    result.couriers = list(Courier.objects.filter(canteen=canteen, active=True))
    return result


@dataclass
class Label:
    order_id: int
    name: str
    fulfilment: str
    address: str
    dishes: str
    diet: str
    route: str


def labels(*, canteen: Canteen, local_date, period: str) -> list[Label]:
    """One label per order (masked name, address, dishes, diet notes and allergies)."""
    stops = {s.order_id: s for s in Stop.objects.filter(order__canteen=canteen, order__local_date=local_date,
                                                        order__period=period).select_related("route")}
    out = []
    for order in (Order.objects.filter(canteen=canteen, local_date=local_date, period=period,
                                       status=OrderStatus.PLACED).select_related("elder")
                  .prefetch_related("lines").order_by("fulfilment", "id")):
        stop = stops.get(order.pk)
        out.append(Label(order_id=order.pk, name=mask_name(order.elder.name),
                         fulfilment=order.get_fulfilment_display(),
                         address=order.address if order.fulfilment == Fulfilment.DELIVERY else "到店自取",
                         dishes="、".join(f"{ln.name}×{ln.quantity}" for ln in order.lines.all()),
                         diet=order.elder.diet_summary,
                         route=f"{stop.route.name} 第{stop.seq}站" if stop else ""))
    return out


def courier_stops(courier: Courier) -> list[Stop]:
    return list(Stop.objects.filter(route__courier=courier, route__local_date=clock.local_today())
                .select_related("route", "order__elder").order_by("route__period", "route__name", "seq"))
