"""The filing's automatic checks of HZ-F2 and HZ-F8, installed by VideoConfig.ready() through
`zhucan.filing.checks.register_check` (the filing app cannot import this one).

F2 (阳光厨房): public kitchen channels online for every kitchen zone (清洗, 切配, 烹饪, 消毒, 专间).
F8 (就餐区监控): a dining-area channel online, and the last 7-day playback check passed."""

from __future__ import annotations

from datetime import date

from zhucan.core import clock
from zhucan.video.models import KITCHEN_ZONES, Channel, PlaybackCheck, Zone


def _local(moment) -> str:
    return f"{moment.astimezone(clock.LOCAL_TZ):%Y-%m-%d %H:%M}"


def check_sunshine_kitchen(item, on: date):
    from zhucan.filing.checks import CheckOutcome
    from zhucan.filing.models import CheckResult

    canteen = item.filing.canteen
    channels = list(Channel.objects.filter(canteen=canteen, active=True, device__active=True,
                                           zone__in=[z.value for z in KITCHEN_ZONES]).order_by("zone", "name"))
    lines, ok = [], True
    for zone in KITCHEN_ZONES:
        mine = [c for c in channels if c.zone == zone]
        shown = [c for c in mine if c.public]
        live = [c for c in shown if c.online]
        if not mine:
            ok = False
            lines.append(f"{zone.label}：未接入视频")
        elif not shown:
            ok = False
            lines.append(f"{zone.label}：画面未设为可公开展示")
        elif not live:
            ok = False
            since = max((c.status_since for c in shown if c.status_since), default=None)
            lines.append(f"{zone.label}：画面离线" + (f"（自{_local(since)}起）" if since else "（尚未探测）"))
        else:
            lines.append(f"{zone.label}：{'、'.join(c.name for c in live)}在线")
    return CheckOutcome(CheckResult.PASSED if ok else CheckResult.FAILED, lines)


def check_dining_video(item, on: date):
    from zhucan.filing.checks import CheckOutcome
    from zhucan.filing.models import CheckResult

    canteen = item.filing.canteen
    channels = list(Channel.objects.filter(canteen=canteen, zone=Zone.DINING, active=True,
                                           device__active=True).order_by("name"))
    lines, ok = [], True
    live = [c for c in channels if c.online]
    if not channels:
        ok = False
        lines.append("就餐区未接入视频监控")
    elif not live:
        ok = False
        lines.append("就餐区画面离线")
    else:
        lines.append(f"就餐区{'、'.join(c.name for c in live)}在线，市级平台可调看")
    check = PlaybackCheck.objects.filter(canteen=canteen).order_by("-checked_at", "-pk").first()
    if check is None:
        ok = False
        lines.append("尚未进行录像回放核验")
    else:
        lines.append(f"{_local(check.checked_at)} 回放核验{'通过' if check.passed else '未通过'}：{check.detail}")
        ok = ok and check.passed
    return CheckOutcome(CheckResult.PASSED if ok else CheckResult.FAILED, lines)
