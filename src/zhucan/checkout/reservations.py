"""Benefits held for orders (issue 17: online ordering and delivery).

An order placed ahead reserves the benefit it will get on the elder's city-wide day-usage row — the
row a counter sale locks — under the same lock, so a counter checkout and an order for the same elder
and period can never both be discounted (HZ-3, HZ-4, HZ-5, LC-4). The row's policy counters (the
`usage` JSON) then hold the ledger's meals plus the held reservations; its `meals` and `benefit_fen`
columns stay the ledger's own figures (the dashboards' roll-ups count ledger meals), which is what
`usage_verification` holds them against.

- `benefit_reserve`: lock, rate for a moment inside the period on that date, add the delta, write a
  held reservation (idempotent on `source`, e.g. "order:123"); its steps `benefit_prepare` (no
  lock), `benefit_hold` (lock and rate) and `hold_write` for a caller that works in between.
- `reservation_release`: give back exactly the delta (cancellation, or the period ended).
- `reservation_handover`: the meal enters the ledger carrying the reservation's benefit lines and
  delta (not rated again), through the ledger's own write path (chain, roll-ups) in one transaction.
- `reservations_expire`: the periodic job releasing reservations whose period has ended.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time

from django.db import IntegrityError, transaction

from zhucan.canteens.models import Canteen, CanteenStatus
from zhucan.checkout.context import canteen_context
from zhucan.checkout.errors import checkout_error
from zhucan.checkout.models import (
    Channel,
    ElderDayUsage,
    IdentifiedBy,
    Meal,
    MealKind,
    Mode,
    Reservation,
    ReservationStatus,
)
from zhucan.checkout.services import (
    OrderLine,
    PricedOrder,
    TenderIn,
    UsageUpdate,
    _evaluate,
    _lock_sale,
    _lock_usage,
    _replay,
    _tenders,
    _usage_of,
    _write,
    price_order,
)
from zhucan.core import clock
from zhucan.elders.models import Elder
from zhucan.policy import DayUsage, ElderFacts
from zhucan.policy.engine import delivery_terms
from zhucan.rules.facts import elder_facts

DELIVERY_FEE_ITEM = "配送费"


def _period_window(canteen: Canteen, period: str) -> tuple[time, time]:
    for name, _label, start, end in canteen_context(canteen).periods:
        if name == period:
            return start, end
    raise checkout_error("RESERVATION_PERIOD_UNKNOWN", field="period", period=period)


def reservation_moment(canteen: Canteen, local_date: date, period: str) -> datetime:
    """The moment an order for `period` on `local_date` is rated at: the first minute of the
    canteen's announced period that the policy counts as that period (its start when the policy has
    no periods, as in Liaocheng, or when the two do not overlap: no period benefit then)."""
    start, end = _period_window(canteen, period)
    context = canteen_context(canteen)
    version = context.policy.version_on(local_date)
    index = next((i for i, p in enumerate(version.periods) if p.name == period), None)
    if index is not None:
        facts = context.facts_on(local_date)
        table = version.period_table if facts.periods is None else version.table_for(facts.periods)
        for minute in range(start.hour * 60 + start.minute, end.hour * 60 + end.minute + 1):
            if table[minute] == index:
                return datetime.combine(local_date, time(minute // 60, minute % 60), clock.LOCAL_TZ)
    return datetime.combine(local_date, start, clock.LOCAL_TZ)


def period_end(canteen: Canteen, local_date: date, period: str) -> datetime:
    """When the period of an order ends (its reservation is released if not handed over by then)."""
    try:
        _start, end = _period_window(canteen, period)
    except Exception:  # the canteen dropped the period since: the end of that day
        end = time(23, 59)
    return datetime.combine(local_date, end, clock.LOCAL_TZ)


def _set_usage(row: ElderDayUsage, usage: DayUsage) -> None:
    ElderDayUsage.objects.filter(pk=row.pk).update(usage=usage.to_dict(), updated_at=clock.now())


@dataclass(frozen=True)
class ReservationQuote:
    """What an order would hold and cost, rated against the day's usage: the food (`gross_fen`),
    the benefit (meal benefit + delivery subsidy), the delivery fee and what the elder pays."""

    items: list[tuple[int | None, str, int, int]]
    gross_fen: int
    benefit_fen: int
    delivery_fee_fen: int
    delivery_subsidy_fen: int
    payable_fen: int
    lines: list[dict]
    usage_delta: DayUsage
    policy_period: str
    explanation_zh: str
    explanation_en: str
    policy_id: str
    policy_version: str
    reason_code: str | None


def _rate(canteen: Canteen, facts, at: datetime, order, usage: DayUsage, delivery: bool) -> ReservationQuote:
    quote = _evaluate(canteen, facts, at, order.gross_fen, usage)
    lines = [{"rule_id": ln.rule_id, "layer_id": ln.layer_id, "funder": ln.funder, "amount_fen": ln.amount_fen}
             for ln in quote.lines]
    delta = quote.usage_delta
    fee = subsidy = 0
    zh, en = quote.explanation_zh, quote.explanation_en
    if delivery:
        context = canteen_context(canteen)
        terms = delivery_terms(context.policy, facts, context.facts_on(clock.local_date(at)), at,
                               usage=usage.apply(delta))
        fee, subsidy = terms.fee_fen, terms.subsidy_fen
        lines += [{"rule_id": ln.rule_id, "layer_id": ln.layer_id, "funder": ln.funder, "amount_fen": ln.amount_fen}
                  for ln in terms.lines]
        if terms.lines:
            delta = delta.apply(terms.usage_delta) if delta.layers else terms.usage_delta
        if terms.explanation_zh:
            zh, en = f"{zh}；{terms.explanation_zh}", f"{en}; {terms.explanation_en}"
    benefit = quote.benefit_fen + subsidy
    return ReservationQuote(order.items, order.gross_fen, benefit, fee, subsidy, order.gross_fen + fee - benefit,
                            lines, delta, quote.period_name or "", zh, en, quote.policy_id, quote.version_id,
                            quote.reason_code)


@dataclass(frozen=True)
class Prepared:
    """An order priced, its canteen checked open and its rating moment and elder facts found:
    everything a reservation needs that does not depend on the day's usage, computed before any
    lock is taken."""

    canteen: Canteen
    elder: Elder
    priced: PricedOrder
    at: datetime
    facts: ElderFacts
    local_date: date
    period: str
    delivery: bool


def benefit_prepare(*, canteen: Canteen, elder: Elder, lines: list[OrderLine], local_date: date, period: str,
                    delivery: bool) -> Prepared:
    """Price the order against the menu and find what the rating needs (no usage read, no lock)."""
    priced = price_order(canteen=canteen, lines=lines, mode=Mode.LIVE)
    if canteen_context(canteen).status != CanteenStatus.OPEN:
        raise checkout_error("CANTEEN_NOT_OPEN")
    return Prepared(canteen, elder, priced, reservation_moment(canteen, local_date, period), elder_facts(elder),
                    local_date, period, delivery)


def prepared_quote(prepared: Prepared) -> ReservationQuote:
    """Rate a prepared order against the day's usage as it stands (read, not locked)."""
    p = prepared
    return _rate(p.canteen, p.facts, p.at, p.priced, _usage_of(p.elder, p.local_date), p.delivery)


@dataclass(frozen=True)
class Hold:
    """The elder's day-usage row, locked in the caller's transaction, and the order rated against
    it. Nothing is written yet: the caller may still refuse (a price the person did not see) and
    roll back, or write the reservation with `hold_write`."""

    prepared: Prepared
    row: ElderDayUsage
    usage: DayUsage
    rated: ReservationQuote


def benefit_hold(prepared: Prepared) -> Hold:
    """Lock the elder's day-usage row (the row and the lock a counter sale takes) and rate the order
    against it. Call inside a transaction, as late as the caller can: the lock lasts until commit."""
    row = _lock_usage(prepared.elder, prepared.local_date)
    usage = DayUsage.from_dict(row.usage)
    p = prepared
    return Hold(p, row, usage, _rate(p.canteen, p.facts, p.at, p.priced, usage, p.delivery))


def hold_write(hold: Hold, *, source: str) -> Reservation:
    """Add the held delta to the usage row and write the held reservation (same transaction as
    `benefit_hold`). `source` must be new (an order's own id): the idempotent entry is
    `benefit_reserve`."""
    p, rated = hold.prepared, hold.rated
    if rated.usage_delta.layers:
        _set_usage(hold.row, hold.usage.apply(rated.usage_delta))
    return Reservation.objects.create(
        elder=p.elder, canteen=p.canteen, local_date=p.local_date, period=p.period,
        policy_period=rated.policy_period, delivery=p.delivery, status=ReservationStatus.HELD,
        items=[list(item) for item in rated.items], gross_fen=rated.gross_fen, benefit_fen=rated.benefit_fen,
        delivery_fee_fen=rated.delivery_fee_fen, delivery_subsidy_fen=rated.delivery_subsidy_fen,
        payable_fen=rated.payable_fen, lines=rated.lines,
        usage_delta=rated.usage_delta.to_dict() if rated.usage_delta.layers else {},
        explanation_zh=rated.explanation_zh[:500], explanation_en=rated.explanation_en[:500],
        policy_id=rated.policy_id, policy_version=rated.policy_version, source=source, created_at=clock.now())


def reservation_quote(*, canteen: Canteen, elder: Elder, lines: list[OrderLine], local_date: date, period: str,
                      delivery: bool) -> ReservationQuote:
    """Price and rate an order without holding anything (the day's usage is read, not locked):
    what the ordering page shows and what `expected_payable_fen` is checked against."""
    return prepared_quote(benefit_prepare(canteen=canteen, elder=elder, lines=lines, local_date=local_date,
                                          period=period, delivery=delivery))


def benefit_reserve(*, canteen: Canteen, elder: Elder, lines: list[OrderLine], local_date: date, period: str,
                    delivery: bool, source: str) -> Reservation:
    """Hold the benefit an order will get, on the elder's day-usage row under the commit's lock.
    A limit already used (the period, the daily meals, the cap) is not an error: the order is
    reserved at full price. The same `source` again returns the first reservation. Call it inside
    the caller's transaction to write the order and its reservation together (an order placement
    uses the steps, `benefit_prepare` → `benefit_hold` → `hold_write`, to do its own work between)."""
    if not source:
        raise checkout_error("INPUT_INVALID", field="source", detail="source")
    existing = Reservation.objects.filter(source=source).first()
    if existing is not None:
        return existing
    prepared = benefit_prepare(canteen=canteen, elder=elder, lines=lines, local_date=local_date, period=period,
                               delivery=delivery)  # before taking the row lock
    try:
        with transaction.atomic():
            return hold_write(benefit_hold(prepared), source=source)
    except IntegrityError:
        existing = Reservation.objects.filter(source=source).first()
        if existing is None:
            raise
        return existing


def _held(source: str) -> Reservation:
    found = Reservation.objects.filter(source=source).select_related("elder", "canteen").first()
    if found is None:
        raise checkout_error("RESERVATION_NOT_FOUND")
    return found


def reservation_release(*, source: str, reason: str) -> Reservation:
    """Give back exactly what the reservation took from the day's usage. Releasing a released
    reservation changes nothing; a consumed one (the meal was handed over) is refused: void the
    meal instead."""
    found = _held(source)
    with transaction.atomic():
        row = _lock_usage(found.elder, found.local_date)  # the order every writer locks in
        res = Reservation.objects.select_for_update().get(pk=found.pk)
        if res.status == ReservationStatus.RELEASED:
            return res
        if res.status == ReservationStatus.CONSUMED:
            raise checkout_error("RESERVATION_CONSUMED")
        if res.usage_delta:
            _set_usage(row, DayUsage.from_dict(row.usage).reverse(DayUsage.from_dict(res.usage_delta)))
        res.status = ReservationStatus.RELEASED
        res.released_at = clock.now()
        res.release_reason = (reason or "")[:200]
        res.save(update_fields=["status", "released_at", "release_reason"])
    res.elder, res.canteen = found.elder, found.canteen
    return res


def reservation_handover(*, source: str, channel: str, tenders: list[TenderIn] | None, identified_by: str,
                         cashier=None, idempotency_key: str, at: datetime | None = None) -> Meal:
    """The order is handed over (picked up or delivered): the meal enters the ledger carrying the
    reservation's items, delivery fee, benefit lines and usage delta — not rated again, the usage
    already holds it — and the reservation is consumed, in one transaction with the hash chain and
    the roll-ups. A second handover of the same reservation returns its meal."""
    if channel not in (Channel.PICKUP, Channel.DELIVERY):
        raise checkout_error("INPUT_INVALID", field="channel", detail="channel")
    if identified_by not in IdentifiedBy.values:
        raise checkout_error("INPUT_INVALID", field="identified_by", detail="identified_by")
    if not idempotency_key:
        raise checkout_error("IDEMPOTENCY_KEY_REQUIRED")
    found = _held(source)
    if found.status == ReservationStatus.CONSUMED:
        return found.meal
    if found.status == ReservationStatus.RELEASED:
        raise checkout_error("RESERVATION_RELEASED")
    canteen, elder = found.canteen, found.elder
    digest = hashlib.sha256(f"handover:{source}".encode()).hexdigest()
    replay = _replay(canteen, idempotency_key, digest)
    if replay is not None:
        return replay
    at = at or clock.now()
    if clock.local_date(at) != found.local_date:
        raise checkout_error("RESERVATION_OTHER_DAY", day=found.local_date.isoformat())
    items = [tuple(item) for item in found.items]
    if found.delivery_fee_fen:
        items.append((None, DELIVERY_FEE_ITEM, 1, found.delivery_fee_fen))
    gross = found.gross_fen + found.delivery_fee_fen
    paid = _tenders(tenders, found.payable_fen)
    try:
        with transaction.atomic():
            usage_row, chain = _lock_sale(canteen, elder, found.local_date)
            res = Reservation.objects.select_for_update().get(pk=found.pk)
            if res.status == ReservationStatus.RELEASED:
                raise checkout_error("RESERVATION_RELEASED")
            if res.status == ReservationStatus.CONSUMED:
                return res.meal
            # The usage row's counters already hold the delta; its ledger columns take the meal now.
            update = UsageUpdate(usage_row, usage_row.usage, res.benefit_fen, 1)
            meal = _write(
                canteen=canteen, chain=chain, kind=MealKind.SALE, mode=Mode.LIVE, reverses=None, elder=elder,
                identified_by=identified_by, terminal=None, cashier=cashier, at=at, period=res.policy_period,
                items=items, lines=[(ln["rule_id"], ln["layer_id"], ln["funder"], ln["amount_fen"])
                                    for ln in res.lines],
                tenders=paid, gross=gross, benefit=res.benefit_fen, policy_id=res.policy_id,
                policy_version=res.policy_version, explanation=(res.explanation_zh, res.explanation_en),
                usage_delta=res.usage_delta, key=idempotency_key, digest=digest, usage=update, channel=channel)
            Reservation.objects.filter(pk=res.pk).update(status=ReservationStatus.CONSUMED, meal_id=meal.pk)
    except IntegrityError:
        replay = _replay(canteen, idempotency_key, digest)
        if replay is None:
            raise
        return replay
    return meal


def reservations_expire(*, now: datetime | None = None) -> int:
    """Release the held reservations whose period has ended without a handover; the count."""
    now = now or clock.now()
    today = clock.local_date(now)
    released = 0
    held = (Reservation.objects.filter(status=ReservationStatus.HELD, local_date__lte=today)
            .select_related("canteen").order_by("local_date", "id"))
    for res in held:
        if res.local_date < today or period_end(res.canteen, res.local_date, res.period) <= now:
            reservation_release(source=res.source, reason="expired")
            released += 1
    return released
