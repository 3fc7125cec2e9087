"""The items the platform scores from its own data. Each source answers (score, basis) for a
canteen's year, or (None, "暂无数据") when the platform has nothing to go on: the item then says so
and the assessor scores it by the item's guidance.

Satisfaction, complaint timeliness and video uptime come from other apps of the same floor through
providers registered here (see `AssessmentConfig.ready`); until a provider is there the item has no
data. Meals come from the ledger (the same count the LC-5 reward uses), inspection findings from
`zhucan.inspections`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from zhucan.assessment.models import Indicator, Source
from zhucan.canteens.models import Canteen
from zhucan.core import clock

NO_DATA = "暂无数据"
ONE = Decimal("0.1")

# Providers by source code: satisfaction(canteen_id, start, end) -> (Decimal 0–100 | None, n);
# complaints(canteen_id, start, end) -> (closed on time, received); video(canteen_id, start, end)
# -> Decimal 0–1 | None.
PROVIDERS: dict[str, Callable] = {}


def register_provider(source: str, provider: Callable) -> None:
    PROVIDERS[source] = provider


def _q(value: Decimal) -> Decimal:
    return value.quantize(ONE, rounding=ROUND_HALF_UP)


def _year_range(year: int) -> tuple[date, date]:
    start, end = date(year, 1, 1), date(year, 12, 31)
    return start, min(end, clock.local_today())


def _meals(ind: Indicator, canteen: Canteen, year: int) -> tuple[Decimal | None, str]:
    from zhucan.funds.selectors import meal_counts

    meals = meal_counts(canteen_ids=[canteen.pk], year=year).get(canteen.pk, 0)
    target = int(ind.params.get(canteen.area) or ind.params.get("target") or 0)
    if target <= 0:
        return None, NO_DATA
    share = min(Decimal(1), Decimal(meals) / Decimal(target))
    return _q(share * ind.max_score), f"年度就餐 {meals} 人次（目标 {target} 人次）"


def _satisfaction(ind: Indicator, canteen: Canteen, year: int) -> tuple[Decimal | None, str]:
    provider = PROVIDERS.get(Source.SATISFACTION)
    if provider is None:
        return None, NO_DATA
    mean, count = provider(canteen.pk, *_year_range(year))
    if mean is None or not count:
        return None, NO_DATA
    mean = Decimal(mean)
    return _q(mean / 100 * ind.max_score), f"{count} 条评价，满意度 {_q(mean)} 分（百分制）"


def _complaints(ind: Indicator, canteen: Canteen, year: int) -> tuple[Decimal | None, str]:
    provider = PROVIDERS.get(Source.COMPLAINTS)
    if provider is None:
        return None, NO_DATA
    on_time, received = provider(canteen.pk, *_year_range(year))
    if not received:
        return ind.max_score, "全年无投诉"
    return _q(Decimal(on_time) / Decimal(received) * ind.max_score), f"收到投诉 {received} 件，按期办结 {on_time} 件"


def _inspections(ind: Indicator, canteen: Canteen, year: int) -> tuple[Decimal | None, str]:
    from zhucan.inspections.selectors import findings_summary

    done, failed, overdue = findings_summary(canteen.pk, *_year_range(year))
    if not done:
        return ind.max_score, "本年度未被抽中检查"
    per_failed = Decimal(str(ind.params.get("per_failed", 3)))
    per_overdue = Decimal(str(ind.params.get("per_overdue", 5)))
    score = max(Decimal(0), ind.max_score - per_failed * failed - per_overdue * overdue)
    return _q(score), f"检查 {done} 次，不合格项 {failed} 个，逾期未整改 {overdue} 项"


def _video(ind: Indicator, canteen: Canteen, year: int) -> tuple[Decimal | None, str]:
    provider = PROVIDERS.get(Source.VIDEO)
    uptime = provider(canteen.pk, *_year_range(year)) if provider else None
    if uptime is None:
        return None, NO_DATA
    uptime = Decimal(uptime)
    return _q(uptime * ind.max_score), f"视频在线率 {_q(uptime * 100)}%"


_SOURCES = {Source.MEALS: _meals, Source.SATISFACTION: _satisfaction, Source.COMPLAINTS: _complaints,
            Source.INSPECTIONS: _inspections, Source.VIDEO: _video}


def compute(ind: Indicator, canteen: Canteen, year: int) -> tuple[Decimal | None, str]:
    """The platform's score for an automatic item, or (None, 暂无数据)."""
    fn = _SOURCES.get(ind.source)
    if fn is None:
        return None, ""
    return fn(ind, canteen, year)
