"""F7 as an automatic check of the filing (HZ-F7): the canteen's delivery coverage includes its own
community and the canteen accepts orders (a delivering period with a cut-off, and offers published for
the last or next 7 days)."""

from __future__ import annotations

from datetime import date, timedelta

from zhucan.filing.checks import CheckOutcome
from zhucan.filing.models import CheckResult


def check_online_ordering(item, on: date) -> CheckOutcome:
    from zhucan.orders.coverage import includes_own_community
    from zhucan.orders.models import CoverageArea, MenuOffer, PeriodCutoff

    canteen = item.filing.canteen
    detail: list[str] = []
    ok = True
    coverage = CoverageArea.objects.filter(canteen=canteen).first()
    if coverage is None:
        ok = False
        detail.append("未设置配送范围")
    elif not includes_own_community(canteen, list(coverage.communities.all())):
        ok = False
        detail.append(f"配送范围未包含本食堂所在社区（{canteen.region.name}）")
    else:
        names = "、".join(coverage.communities.order_by("path").values_list("name", flat=True)[:10])
        extra = f"，半径{coverage.radius_m}米" if coverage.radius_m else ""
        detail.append(f"配送范围：{names}{extra}")
    delivering = list(PeriodCutoff.objects.filter(canteen=canteen, delivers=True).order_by("cutoff"))
    if not delivering:
        ok = False
        detail.append("没有设置送餐时段及订餐截止时间")
    else:
        detail.append("送餐时段：" + "、".join(f"{c.get_period_display()}（{c.cutoff:%H:%M}截止）" for c in delivering))
    offered = MenuOffer.objects.filter(canteen=canteen, local_date__gte=on - timedelta(days=7),
                                       local_date__lte=on + timedelta(days=7)).count()
    if not offered:
        ok = False
        detail.append("前后7天内没有发布预订菜单")
    else:
        detail.append(f"前后7天内发布了{offered}项预订菜品")
    return CheckOutcome(CheckResult.PASSED if ok else CheckResult.FAILED, detail)
