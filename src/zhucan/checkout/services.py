"""Quote → commit → void/refund (HZ-3..HZ-5, HZ-F4, HZ-10).

`meal_quote` is read-only. `meal_commit` is one transaction: lock the elder's usage row for the day
(city-wide, HZ-5), re-evaluate the policy against it, write meal + items + benefit lines + tenders,
update the usage, extend the canteen's hash chain. Two cashiers committing the same elder at the
same moment are serialised on that row, so the period's discount and the daily cap hold.

Every write carries an idempotency key, enforced by a unique constraint on (canteen, key): a retry
with the same body returns the original meal; the same key with another body is refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import IntegrityError, connection, transaction
from django.db.models import F

from zhucan.accounts.models import Terminal
from zhucan.canteens.models import Canteen, CanteenStatus
from zhucan.checkout import fastpath, ledger, rollups
from zhucan.checkout.context import canteen_context
from zhucan.checkout.errors import INELIGIBLE_REASONS, REASON_ZH, checkout_error
from zhucan.checkout.locks import is_locked, open_settle_month
from zhucan.checkout.models import (
    BenefitLine,
    CanteenChain,
    ElderDayUsage,
    IdentifiedBy,
    Meal,
    MealItem,
    MealKind,
    Mode,
    ReportMismatch,
    Tender,
    TenderKind,
)
from zhucan.core import clock, rows
from zhucan.core.hotcursor import hot_cursor
from zhucan.core.money import fen_to_yuan
from zhucan.elders.models import Elder
from zhucan.policy import DayUsage, ElderFacts, PolicyError, Quote, evaluate
from zhucan.policy.engine import CANTEEN_NOT_DESIGNATED
from zhucan.rules.facts import elder_facts

MAX_QUANTITY = 99
NON_ELDER_EXPLANATION = ("非老人顾客，按原价", "not an elder: full price")


@dataclass(frozen=True)
class OrderLine:
    """A dish ordered: by menu id (live mode) or by name and price (report mode)."""

    quantity: int
    dish_id: int | None = None
    name: str = ""
    unit_price_fen: int | None = None


@dataclass(frozen=True)
class TenderIn:
    kind: str
    amount_fen: int
    reference: str = ""


@dataclass
class PricedOrder:
    items: list[tuple[int | None, str, int, int]]  # (dish id, name, quantity, unit price fen)
    gross_fen: int


@dataclass
class MealQuote:
    """What the cashier and the API see before committing."""

    canteen: Canteen
    elder: Elder | None
    order: PricedOrder
    at: datetime
    quote: Quote | None
    remaining: list[dict] = field(default_factory=list)

    @property
    def benefit_fen(self) -> int:
        return self.quote.benefit_fen if self.quote else 0

    @property
    def payable_fen(self) -> int:
        return self.order.gross_fen - self.benefit_fen

    @property
    def explanation_zh(self) -> str:
        if self.quote is None:
            return NON_ELDER_EXPLANATION[0]
        if self.quote.reason_code == CANTEEN_NOT_DESIGNATED:
            return designation_notice(self.canteen, self.at) or self.quote.explanation_zh
        return self.quote.explanation_zh

    @property
    def explanation_en(self) -> str:
        return self.quote.explanation_en if self.quote else NON_ELDER_EXPLANATION[1]


# ---------------------------------------------------------------------------------------------
# Pricing the order


def price_order(*, canteen: Canteen, lines: list[OrderLine], mode: str = Mode.LIVE) -> PricedOrder:
    """Resolve dishes against the canteen's menu (live) or take the vendor's prices (report)."""
    if not lines:
        raise checkout_error("EMPTY_ORDER")
    for line in lines:
        qty = line.quantity
        if isinstance(qty, bool) or not isinstance(qty, int) or not 1 <= qty <= MAX_QUANTITY:
            raise checkout_error("BAD_QUANTITY", field="items")
    items: list[tuple[int | None, str, int, int]] = []
    if mode == Mode.LIVE:
        menu = canteen_context(canteen).dishes
        for line in lines:
            dish = menu.get(line.dish_id) if isinstance(line.dish_id, int) else None
            if dish is None:
                raise checkout_error("DISH_NOT_ON_MENU", field="items", dish=line.dish_id or line.name or "?")
            items.append((line.dish_id, dish[0], line.quantity, dish[1]))
    else:
        for line in lines:
            price = line.unit_price_fen
            if not line.name.strip() or price is None or isinstance(price, bool) or not isinstance(price, int) \
                    or price < 0:
                raise checkout_error("AMOUNT_INVALID", field="items")
            items.append((None, line.name.strip()[:60], line.quantity, price))
    return PricedOrder(items=items, gross_fen=sum(q * p for _d, _n, q, p in items))


def _check_canteen_open(canteen: Canteen, at: datetime) -> None:
    context = canteen_context(canteen)
    if context.status != CanteenStatus.OPEN:
        raise checkout_error("CANTEEN_NOT_OPEN")
    local = at.astimezone(clock.LOCAL_TZ).time().replace(second=0, microsecond=0)
    periods = context.periods
    if periods and not any(start <= local <= end for _n, _label, start, end in periods):
        hours = "、".join(f"{label}{start:%H:%M}–{end:%H:%M}" for _n, label, start, end in periods)
        raise checkout_error("OUTSIDE_OPENING_HOURS", hours=hours)


def designation_notice(canteen: Canteen, at: datetime) -> str | None:
    """Why the canteen's meals carry no benefit on `at`'s local date, in the cashier's words; None
    while it is designated."""
    context = canteen_context(canteen)
    day = clock.local_date(at)
    if context.facts_on(day).designated:
        return None
    if context.designation_lapsed(day):
        return "本助餐点已暂停定点，本餐不享受优惠，按原价收费"
    return "本助餐点未定点，本餐不享受优惠，按原价收费"


def _evaluate(canteen: Canteen, elder: Elder | ElderFacts, at: datetime, gross_fen: int, usage: DayUsage) -> Quote:
    context = canteen_context(canteen)
    facts = elder if isinstance(elder, ElderFacts) else elder_facts(elder)
    try:
        return evaluate(context.policy, facts, context.facts_on(usage.date or clock.local_date(at)), at,
                        amount_fen=gross_fen, usage=usage)
    except PolicyError as exc:
        raise checkout_error("INPUT_INVALID", detail=str(exc)) from exc


def remaining_allowance(quote: Quote) -> list[dict]:
    """What is left today per layer after this meal: cap in fen and/or subsidised meals."""
    out = []
    for outcome in quote.outcomes:
        limits = outcome.layer.limits
        entry: dict = {"layer": outcome.layer.id, "name_zh": outcome.layer.name_zh}
        if limits.daily_cap_fen is not None:
            entry["cap_fen"] = limits.daily_cap_fen
            entry["remaining_fen"] = max(0, limits.daily_cap_fen - outcome.usage_after.benefit_fen)
        if limits.per_day is not None:
            entry["remaining_meals"] = max(0, limits.per_day - outcome.usage_after.meals)
        if len(entry) > 2:
            out.append(entry)
    return out


_USAGE_SQL = "SELECT usage FROM checkout_elderdayusage WHERE elder_id = %s AND local_date = %s"


def _usage_of(elder: Elder, day) -> DayUsage:
    """The day's usage, read (not locked). The API's identify step may have read it already in its
    statement (`elder.usage_read`, see zhucan.identity.lookup)."""
    read = getattr(elder, "usage_read", None)
    if read is not None and read[0] == day:
        usage = read[1]
    else:
        with connection.cursor() as cur:
            cur.execute(_USAGE_SQL, [elder.pk, day])
            row = cur.fetchone()
        usage = row[0] if row else None
        if isinstance(usage, str):
            usage = json.loads(usage)
    return DayUsage.from_dict(usage) if usage else DayUsage.empty(day)


def meal_quote(*, canteen: Canteen, elder: Elder | None, lines: list[OrderLine], at: datetime | None = None,
               mode: str = Mode.LIVE) -> MealQuote:
    """Price and rate an order without writing anything (the usage is read, not locked)."""
    at = at or clock.now()
    order = price_order(canteen=canteen, lines=lines, mode=mode)
    if mode == Mode.LIVE:
        _check_canteen_open(canteen, at)
    if elder is None:
        return MealQuote(canteen, None, order, at, None)
    quote = _evaluate(canteen, elder, at, order.gross_fen, _usage_of(elder, clock.local_date(at)))
    return MealQuote(canteen, elder, order, at, quote, remaining_allowance(quote))


# ---------------------------------------------------------------------------------------------
# Committing


@dataclass
class CommitResult:
    meal: Meal
    replayed: bool
    remaining: list[dict] = field(default_factory=list)
    reason_code: str | None = None  # why the meal carries no benefit (the policy's stable code)


_REPLAY_SQL = "SELECT id, request_digest FROM checkout_meal WHERE canteen_id = %s AND idempotency_key = %s"


def _replay(canteen: Canteen, key: str, digest: str) -> Meal | None:
    """The meal an earlier request with this key recorded (probing only id and digest; the whole
    meal is loaded only for a real replay)."""
    cur = hot_cursor()
    cur.execute(_REPLAY_SQL, [canteen.pk, key])
    found = cur.fetchone()
    if found is None:
        return None
    if found[1] != digest:
        raise checkout_error("IDEMPOTENCY_KEY_REUSED")
    return Meal.objects.get(pk=found[0])


def _usage_row(row_id: int, elder: Elder, day, usage: dict, meals: int) -> ElderDayUsage:
    row = rows.loaded(ElderDayUsage, ("id", "elder_id", "local_date", "usage", "meals"),
                      (row_id, elder.pk, day, usage, meals))
    row._state.fields_cache["elder"] = elder
    return row


def _chain_head(canteen: Canteen, seq: int, head: str) -> CanteenChain:
    chain = rows.loaded(CanteenChain, ("canteen_id", "seq", "head_hash"), (canteen.pk, seq, head))
    chain._state.fields_cache["canteen"] = canteen
    return chain


def _lock_sale(canteen: Canteen, elder: Elder | None, day) -> tuple[ElderDayUsage | None, CanteenChain]:
    """Lock the elder's usage row for the day (if an elder) and the canteen's chain head, in that
    order (as a reversal does); on PostgreSQL in one statement."""
    if elder is None:
        return None, _lock_chain(canteen)
    if not fastpath.is_available():
        return _lock_usage(elder, day), _lock_chain(canteen)
    row_id, usage, meals, seq, head = fastpath.lock_sale(elder.pk, day, DayUsage.empty(day).to_dict(), clock.now(),
                                                         canteen.pk, ledger.GENESIS)
    return _usage_row(row_id, elder, day, usage, meals), _chain_head(canteen, seq, head)


def _lock_usage(elder: Elder, day) -> ElderDayUsage:
    """Create the day's usage row if missing, then lock it (SELECT … FOR UPDATE)."""
    if fastpath.is_available():
        row_id, usage, meals = fastpath.lock_usage(elder.pk, day, DayUsage.empty(day).to_dict(), clock.now())
        return _usage_row(row_id, elder, day, usage, meals)
    ElderDayUsage.objects.bulk_create(
        [ElderDayUsage(elder=elder, local_date=day, usage=DayUsage.empty(day).to_dict(), updated_at=clock.now())],
        ignore_conflicts=True,
    )
    return ElderDayUsage.objects.select_for_update().get(elder=elder, local_date=day)


def _lock_chain(canteen: Canteen) -> CanteenChain:
    if fastpath.is_available():
        seq, head = fastpath.lock_chain(canteen.pk, ledger.GENESIS)
        return _chain_head(canteen, seq, head)
    CanteenChain.objects.bulk_create([CanteenChain(canteen=canteen)], ignore_conflicts=True)
    return CanteenChain.objects.select_for_update().get(canteen=canteen)


def _tenders(tenders: list[TenderIn] | None, payable_fen: int) -> list[TenderIn]:
    if not tenders:
        return [TenderIn(TenderKind.CASH, payable_fen)] if payable_fen else []
    for t in tenders:
        if t.kind not in TenderKind.values or isinstance(t.amount_fen, bool) or not isinstance(t.amount_fen, int) \
                or t.amount_fen < 0:
            raise checkout_error("INPUT_INVALID", field="tenders", detail="tender")
    total = sum(t.amount_fen for t in tenders)
    if total != payable_fen:
        raise checkout_error("TENDER_MISMATCH", field="tenders", tendered=fen_to_yuan(total),
                             payable=fen_to_yuan(payable_fen))
    return tenders


def _write(*, canteen: Canteen, chain: CanteenChain, kind: str, mode: str, reverses: Meal | None,
           elder: Elder | None, identified_by: str, terminal: Terminal | None, cashier, at: datetime,
           period: str, items: list[tuple[int | None, str, int, int]], lines: list[tuple[str, str, str, int]],
           tenders: list[TenderIn], gross: int, benefit: int, policy_id: str, policy_version: str,
           explanation: tuple[str, str], usage_delta: dict, key: str, digest: str,
           usage: UsageUpdate | None, settle_month: date | None = None, channel: str = "counter") -> Meal:
    """Append one record to the canteen's chain, with its usage update and its share of the
    roll-ups (checkout/rollups.py), in the caller's transaction."""
    seq = chain.seq + 1
    receipt_no = f"C{canteen.pk:05d}-{seq:08d}"
    at_iso = at.astimezone(clock.LOCAL_TZ).isoformat(timespec="seconds")
    content = ledger.meal_record(
        receipt_no=receipt_no, canteen_id=canteen.pk, chain_seq=seq, kind=kind,
        reverses=reverses.receipt_no if reverses else None, elder_id=elder.pk if elder else None, at_iso=at_iso,
        gross_fen=gross, benefit_fen=benefit, payable_fen=gross - benefit,
        items=[(name, qty, price) for _d, name, qty, price in items],
        lines=[(rule, funder, amt) for rule, _layer, funder, amt in lines],
        tenders=[(t.kind, t.amount_fen, t.reference) for t in tenders], policy_version=policy_version,
        usage_delta=usage_delta,
    )
    digest_hash = ledger.record_hash(chain.head_hash, content)
    now = clock.now()
    by_funder = funder_split(lines)
    local_date = clock.local_date(at)
    values = {
        "canteen_id": canteen.pk, "terminal_id": terminal.pk if terminal else None,
        "cashier_id": cashier.pk if cashier else None, "elder_id": elder.pk if elder else None, "kind": kind,
        "mode": mode, "reverses_id": reverses.pk if reverses else None, "identified_by": identified_by,
        "receipt_no": receipt_no, "at": at, "local_date": local_date, "period": period, "channel": channel,
        "gross_fen": gross,
        "benefit_fen": benefit, "payable_fen": gross - benefit, "benefit_city_fen": by_funder["city"],
        "benefit_district_fen": by_funder["district"], "benefit_canteen_fen": by_funder["canteen"],
        "benefit_other_fen": by_funder["other"], "settle_month": settle_month or local_date.replace(day=1),
        "policy_id": policy_id, "policy_version": policy_version, "explanation_zh": explanation[0][:500],
        "explanation_en": explanation[1][:500], "usage_delta": usage_delta, "idempotency_key": key,
        "request_digest": digest, "chain_seq": seq, "prev_hash": chain.head_hash, "record_hash": digest_hash,
        "created_at": now,
    }
    related = {"canteen": canteen, "terminal": terminal, "cashier": cashier, "elder": elder, "reverses": reverses}
    share = rollups.share(values, lines, region_id=canteen.region_id,
                          community_id=elder.community_id if elder else None,
                          counted_day=reverses.local_date if reverses else local_date,
                          meals_before=usage.row.meals if usage else None, meals_change=usage.meals if usage else 0)
    if fastpath.is_available():
        pk = fastpath.write(values, items, lines, [(t.kind, t.amount_fen, t.reference) for t in tenders],
                            (usage.row.pk, usage.usage, usage.benefit_fen, usage.meals) if usage else None, share)
        meal = rows.loaded(Meal, ("id", *values), (pk, *values.values()))  # as stored, without Model.__init__
        meal._state.fields_cache.update(related)
        _remember_rows(
            meal,
            [rows.loaded(MealItem, _ITEM, (None, pk, d, n, q, p, q * p)) for d, n, q, p in items],
            [rows.loaded(BenefitLine, _LINE, (None, pk, r, layer, f, a)) for r, layer, f, a in lines],
            [rows.loaded(Tender, _TENDER, (None, pk, t.kind, t.amount_fen, t.reference)) for t in tenders])
        return meal
    written_items = [MealItem(dish_id=d, name=n, quantity=q, unit_price_fen=p, line_fen=q * p) for d, n, q, p in items]
    written_lines = [BenefitLine(rule_id=r, layer_id=layer, funder=f, amount_fen=a) for r, layer, f, a in lines]
    written_tenders = [Tender(kind=t.kind, amount_fen=t.amount_fen, reference=t.reference) for t in tenders]
    meal = Meal(**values)
    for name, obj in related.items():
        setattr(meal, name, obj)
    meal.save(force_insert=True)
    for row in written_items + written_lines + written_tenders:
        row.meal = meal
    MealItem.objects.bulk_create(written_items)
    BenefitLine.objects.bulk_create(written_lines)
    Tender.objects.bulk_create(written_tenders)
    _remember_rows(meal, written_items, written_lines, written_tenders)
    chain.seq, chain.head_hash = seq, digest_hash
    chain.save(update_fields=["seq", "head_hash"])
    if usage is not None:
        ElderDayUsage.objects.filter(pk=usage.row.pk).update(
            usage=usage.usage, benefit_fen=F("benefit_fen") + usage.benefit_fen, meals=F("meals") + usage.meals,
            updated_at=now)
    rollups.apply(share, values)
    return meal


# The fields of a meal's rows as the fast path wrote them (their own ids are not read back: None,
# as on an instance built with Model.__init__).
_ITEM = ("id", "meal_id", "dish_id", "name", "quantity", "unit_price_fen", "line_fen")
_LINE = ("id", "meal_id", "rule_id", "layer_id", "funder", "amount_fen")
_TENDER = ("id", "meal_id", "kind", "amount_fen", "reference")

FUNDER_COLUMNS = ("city", "district", "canteen")


def funder_split(lines: list[tuple[str, str, str, int]]) -> dict[str, int]:
    """Benefit by funder for the meal's denormalised columns; funders a policy may add beyond the
    three standard ones are summed as "other" (their lines keep the exact funder)."""
    out = {"city": 0, "district": 0, "canteen": 0, "other": 0}
    for _rule, _layer, funder, amount in lines:
        out[funder if funder in FUNDER_COLUMNS else "other"] += amount
    return out


def _remember_rows(meal: Meal, items: list, lines: list, tenders: list) -> None:
    """Keep the rows just written on the meal, so that the receipt and the API answer read them
    (`Meal.rows`) without another round trip. Plain lists, not prefetched querysets: building three
    querysets cost more than the rest of presenting the meal; `meal.items.all()` still queries."""
    meal._written_rows = {"items": items, "benefit_lines": lines, "tenders": tenders}


@dataclass(frozen=True)
class UsageUpdate:
    """The elder's day usage after this record, and the change to the row's running totals."""

    row: ElderDayUsage
    usage: dict
    benefit_fen: int
    meals: int


def meal_commit(*, canteen: Canteen, elder: Elder | None, lines: list[OrderLine], idempotency_key: str,
                request_digest: str, identified_by: str = IdentifiedBy.NONE, terminal: Terminal | None = None,
                cashier=None, tenders: list[TenderIn] | None = None, at: datetime | None = None,
                expected_payable_fen: int | None = None, mode: str = Mode.LIVE,
                reported_benefit_fen: int | None = None, claim: Callable[[], object] | None = None) -> CommitResult:
    """Record one meal (HZ-F4). Refuses an ineligible elder (sell as a non-elder customer instead);
    a limit reached today (period used, cap) is not an error: the elder pays the full price.
    `claim` runs inside the transaction (e.g. using up a single-use elder QR code), so a refused
    sale gives it back; a replay never runs it."""
    if not idempotency_key:
        raise checkout_error("IDEMPOTENCY_KEY_REQUIRED")
    replay = _replay(canteen, idempotency_key, request_digest)
    if replay is not None:
        return CommitResult(replay, True)
    at = at or clock.now()
    order = price_order(canteen=canteen, lines=lines, mode=mode)
    if mode == Mode.LIVE:
        _check_canteen_open(canteen, at)
    day = clock.local_date(at)
    facts = elder_facts(elder) if elder is not None else None  # read before taking the row lock
    try:
        with transaction.atomic():
            if claim is not None:
                claim()
            quote = None
            usage_row, chain = _lock_sale(canteen, elder, day)
            if elder is not None:
                quote = _evaluate(canteen, facts, at, order.gross_fen, DayUsage.from_dict(usage_row.usage))
                # A reported meal has already happened at the vendor's till: it is recorded and, if
                # the vendor granted a benefit the policy does not, filed as a mismatch below.
                if mode == Mode.LIVE and quote.benefit_fen == 0 and quote.reason_code in INELIGIBLE_REASONS:
                    raise checkout_error("ELDER_NOT_ELIGIBLE", reason=REASON_ZH[quote.reason_code])
            benefit = quote.benefit_fen if quote else 0
            payable = order.gross_fen - benefit
            if expected_payable_fen is not None and expected_payable_fen != payable:
                raise checkout_error("QUOTE_CHANGED", field="expected_payable")
            # Report mode: the vendor's tenders follow the vendor's own pricing; the ledger's benefit
            # lines follow the platform's rating (what the funders owe), and a difference is filed.
            reported = benefit if reported_benefit_fen is None else reported_benefit_fen
            mismatch = mode == Mode.REPORT and reported != benefit
            paid = _tenders(tenders, order.gross_fen - reported if mode == Mode.REPORT else payable)
            # A reported meal may be late: it settles in the first month not yet finalised.
            settle_month = open_settle_month(canteen.pk, day) if mode == Mode.REPORT else None
            meal = _write(
                canteen=canteen, chain=chain, kind=MealKind.SALE, mode=mode, reverses=None, elder=elder,
                identified_by=identified_by if elder else IdentifiedBy.NONE, terminal=terminal, cashier=cashier,
                at=at, period=(quote.period_name or "") if quote else "", items=order.items,
                lines=[(ln.rule_id, ln.layer_id, ln.funder, ln.amount_fen) for ln in quote.lines] if quote else [],
                tenders=paid, gross=order.gross_fen, benefit=benefit,
                policy_id=quote.policy_id if quote else "", policy_version=quote.version_id if quote else "",
                explanation=(quote.explanation_zh, quote.explanation_en) if quote else NON_ELDER_EXPLANATION,
                usage_delta=quote.usage_delta.to_dict() if quote else {}, key=idempotency_key, digest=request_digest,
                usage=UsageUpdate(usage_row, quote.usage_after.to_dict(), quote.benefit_fen, 1)
                if usage_row is not None and quote is not None else None,
                settle_month=settle_month,
            )
            if mismatch:
                ReportMismatch.objects.create(
                    meal=meal, reported={"benefit_fen": reported, "payable_fen": order.gross_fen - reported},
                    rated={"benefit_fen": benefit, "payable_fen": payable,
                           "reason_code": quote.reason_code if quote else None})
    except IntegrityError:
        # A concurrent retry with the same key won the race: answer with its meal.
        replay = _replay(canteen, idempotency_key, request_digest)
        if replay is None:
            raise
        return CommitResult(replay, True)
    return CommitResult(meal, False, remaining_allowance(quote) if quote else [],
                        quote.reason_code if quote else None)


def meal_reverse(*, canteen: Canteen, receipt_no: str, kind: str, idempotency_key: str, request_digest: str,
                 terminal: Terminal | None = None, cashier=None, at: datetime | None = None,
                 reason: str = "") -> CommitResult:
    """Void or refund a meal: a reversal entry that gives back exactly the usage it consumed."""
    if kind not in (MealKind.VOID, MealKind.REFUND):
        raise checkout_error("INPUT_INVALID", detail="kind")
    if not idempotency_key:
        raise checkout_error("IDEMPOTENCY_KEY_REQUIRED")
    replay = _replay(canteen, idempotency_key, request_digest)
    if replay is not None:
        return CommitResult(replay, True)
    at = at or clock.now()
    try:
        with transaction.atomic():
            original = Meal.objects.select_for_update().filter(canteen=canteen, receipt_no=receipt_no).first()
            if original is None:
                raise checkout_error("MEAL_NOT_FOUND")
            if original.kind != MealKind.SALE:
                raise checkout_error("MEAL_NOT_REVERSIBLE")
            if Meal.objects.filter(reverses=original).exists():
                raise checkout_error("MEAL_ALREADY_REVERSED")
            # A finalised month never changes: a void is refused, a refund settles in the next open
            # month, so a statement the city has paid stays true to the fen.
            if kind == MealKind.VOID and is_locked(canteen.pk, original.settle_month):
                raise checkout_error("MEAL_IN_FINALISED_MONTH")
            settle_month = open_settle_month(canteen.pk, clock.local_date(at))
            delta = DayUsage.from_dict(original.usage_delta) if original.usage_delta else None
            usage = None
            if original.elder_id is not None and delta is not None:
                row = _lock_usage(original.elder, original.local_date)
                usage = UsageUpdate(row, DayUsage.from_dict(row.usage).reverse(delta).to_dict(),
                                    -original.benefit_fen, -1)
            items = [(i.dish_id, i.name, -i.quantity, i.unit_price_fen) for i in original.items.all()]
            lines = [(b.rule_id, b.layer_id, b.funder, -b.amount_fen) for b in original.benefit_lines.all()]
            tenders = [TenderIn(t.kind, -t.amount_fen, t.reference) for t in original.tenders.all()]
            chain = _lock_chain(canteen)
            label = "撤销" if kind == MealKind.VOID else "退款"
            meal = _write(
                canteen=canteen, chain=chain, kind=kind, mode=original.mode, reverses=original,
                elder=original.elder, identified_by=original.identified_by, terminal=terminal, cashier=cashier,
                at=at, period=original.period, items=items, lines=lines, tenders=tenders,
                gross=-original.gross_fen, benefit=-original.benefit_fen, policy_id=original.policy_id,
                policy_version=original.policy_version,
                explanation=(f"{label} {original.receipt_no}{'：' + reason if reason else ''}",
                             f"{kind} of {original.receipt_no}{': ' + reason if reason else ''}"),
                usage_delta=original.usage_delta, key=idempotency_key, digest=request_digest, usage=usage,
                settle_month=settle_month, channel=original.channel,
            )
    except IntegrityError:
        replay = _replay(canteen, idempotency_key, request_digest)
        if replay is None:
            raise checkout_error("MEAL_ALREADY_REVERSED") from None
        return CommitResult(replay, True)
    return CommitResult(meal, False)
