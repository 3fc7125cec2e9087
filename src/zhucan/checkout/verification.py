"""`zhucan ledger verify`: every canteen's hash chain against the stored ledger, and every elder's
day-usage counters against the ledger and the policy's limits (usage_verification)."""

from __future__ import annotations

from collections.abc import Iterator

from zhucan.checkout import ledger
from zhucan.checkout.models import CanteenChain, Meal
from zhucan.checkout.usage_verification import CounterProblem, usage_verify
from zhucan.core import clock


def _content(meal: Meal) -> dict:
    return ledger.meal_record(
        receipt_no=meal.receipt_no, canteen_id=meal.canteen_id, chain_seq=meal.chain_seq, kind=meal.kind,
        reverses=meal.reverses.receipt_no if meal.reverses_id else None, elder_id=meal.elder_id,
        at_iso=meal.at.astimezone(clock.LOCAL_TZ).isoformat(timespec="seconds"),
        gross_fen=meal.gross_fen, benefit_fen=meal.benefit_fen, payable_fen=meal.payable_fen,
        items=[(i.name, i.quantity, i.unit_price_fen) for i in sorted(meal.items.all(), key=lambda x: x.pk)],
        lines=[(b.rule_id, b.funder, b.amount_fen) for b in sorted(meal.benefit_lines.all(), key=lambda x: x.pk)],
        tenders=[(t.kind, t.amount_fen, t.reference) for t in sorted(meal.tenders.all(), key=lambda x: x.pk)],
        policy_version=meal.policy_version, usage_delta=meal.usage_delta,
    )


def _records(canteen_id: int, batch: int = 2000) -> Iterator[tuple[int, str, str, str, dict]]:
    qs = (Meal.objects.filter(canteen_id=canteen_id).select_related("reverses")
          .prefetch_related("items", "benefit_lines", "tenders").order_by("chain_seq"))
    last = 0
    while True:
        chunk = list(qs.filter(chain_seq__gt=last)[:batch])
        if not chunk:
            return
        for meal in chunk:
            yield meal.chain_seq, meal.receipt_no, meal.prev_hash, meal.record_hash, _content(meal)
        last = chunk[-1].chain_seq


def chains_verify(*, canteen_ids: list[int] | None = None) -> tuple[int, list[ledger.ChainProblem]]:
    """(records checked, problems). Canteens with records or a chain head are all checked."""
    ids = set(Meal.objects.values_list("canteen_id", flat=True).distinct())
    heads = {c.canteen_id: (c.seq, c.head_hash) for c in CanteenChain.objects.all()}
    ids |= set(heads)
    if canteen_ids:
        ids &= set(canteen_ids)
    checked, problems = 0, []
    for canteen_id in sorted(ids):
        records = list(_records(canteen_id))
        checked += len(records)
        problems += ledger.verify_records(canteen_id, records, heads.get(canteen_id, (0, ledger.GENESIS)))
    return checked, problems


def ledger_verify(*, canteen_ids: list[int] | None = None
                  ) -> tuple[int, list[ledger.ChainProblem | CounterProblem]]:
    """(records checked, problems): the chains of the canteens (all by default) and, city-wide, the
    elders' usage counters against the ledger and the limits of the policy in force."""
    checked, problems = chains_verify(canteen_ids=canteen_ids)
    _, counters = usage_verify()
    return checked, [*problems, *counters]
