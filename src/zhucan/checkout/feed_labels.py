"""How the live feed names the way a meal reached the elder.

A counter meal: how the elder was identified (市民卡, 长者码, 人脸 …). A meal ordered ahead and handed
over is written to the ledger as identified by the elder's record (the order already named the
elder), which on the feed would read 档案号; the feed says 送餐上门 or 到店自提 instead (`Meal.channel`),
with what proved the handover: the ordering app tells it through a hook (交付码, 拍照), or the
elder's own code or card when one was scanned. The ledger keeps what it recorded."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.utils.translation import gettext as _

from zhucan.checkout.models import Channel, IdentifiedBy, Meal

# fn(sale meal ids) -> {meal id: the handover's proof, as a short label} for the meals it handed
# over, in one query for all. The orders app registers one from its AppConfig.ready().
HANDOVER_PROOF_SOURCES: list[Callable[[list[int]], dict[int, str]]] = []

# Recorded when an order's handover named the elder; not how anyone presented themself.
_NO_PRESENTATION = (IdentifiedBy.ELDER_ID, IdentifiedBy.NONE)


def register_handover_proofs(fn: Callable[[list[int]], dict[int, str]]) -> None:
    if fn not in HANDOVER_PROOF_SOURCES:
        HANDOVER_PROOF_SOURCES.append(fn)


def _sale_id(meal: Meal) -> int:
    """A void or refund is labelled like the sale it reverses."""
    return meal.reverses_id or meal.pk


def handover_proofs(meals: Iterable[Meal]) -> dict[int, str]:
    """{sale meal id: proof label} for the handed-over meals among `meals` (no query when none is)."""
    ids = sorted({_sale_id(m) for m in meals if m.channel != Channel.COUNTER})
    proofs: dict[int, str] = {}
    if ids:
        for source in HANDOVER_PROOF_SOURCES:
            proofs.update(source(ids))
    return proofs


def _where(channel: str) -> str:
    return _("送餐上门") if channel == Channel.DELIVERY else _("到店自提")


def meal_how(meal: Meal, proofs: dict[int, str]) -> str:
    """堂食: the identification method; ordered: 送餐上门 / 到店自提, ·and the proof where known."""
    if meal.channel == Channel.COUNTER:
        return meal.get_identified_by_display()
    proof = proofs.get(_sale_id(meal), "")
    if not proof and meal.identified_by not in _NO_PRESENTATION:
        proof = meal.get_identified_by_display()
    return f"{_where(meal.channel)}·{proof}" if proof else _where(meal.channel)


def method_counts(rows: Iterable[tuple[str, str, int]]) -> list[dict]:
    """The live page's 人次 by method from (channel, identified_by, count) rows: the identification
    methods in their usual order, then ordered meals handed over without one (到店自提, 送餐上门)."""
    counts: dict[str, int] = {}
    for channel, code, n in rows:
        key = channel if channel != Channel.COUNTER and code in _NO_PRESENTATION else code
        counts[key] = counts.get(key, 0) + n
    out = [{"label": IdentifiedBy(code).label, "meals": counts[code]}
           for code in IdentifiedBy.values if code != IdentifiedBy.NONE and counts.get(code)]
    return out + [{"label": _where(channel), "meals": counts[channel]}
                  for channel in (Channel.PICKUP, Channel.DELIVERY) if counts.get(channel)]
