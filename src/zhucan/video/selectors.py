"""Reads of the video registry and health, scoped to the user (`restrict`): the canteens with their
devices and channels, status, uptime per day, the latest playback checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from zhucan.accounts.scoping import get_scoped, restrict
from zhucan.canteens.models import Canteen
from zhucan.core import clock
from zhucan.regions.models import Level, Region
from zhucan.video.health import uptime_by
from zhucan.video.models import Channel, Device, PlaybackCheck


@dataclass
class CanteenVideo:
    canteen: Canteen
    devices: list[Device] = field(default_factory=list)
    channels: list[Channel] = field(default_factory=list)
    uptime: float | None = None
    check: PlaybackCheck | None = None

    @property
    def online(self) -> int:
        return sum(1 for c in self.channels if c.online and c.active)

    @property
    def active(self) -> int:
        return sum(1 for c in self.channels if c.active)


def canteens(user, *, canteen_id: int | None = None):
    qs = restrict(Canteen.objects.select_related("region__parent"), user, "view").order_by("region__path", "name")
    if canteen_id:
        qs = qs.filter(pk=canteen_id)
    return qs


def registry(user, *, canteen_id: int | None = None, day: date | None = None) -> list[CanteenVideo]:
    """The canteens in the user's scope that have video devices (or all of them, filtered to one)."""
    day = day or clock.local_today()
    devices = list(restrict(Device.objects.select_related("canteen"), user, "view").order_by("canteen_id", "name"))
    channels = list(restrict(Channel.objects.select_related("device", "canteen__region"), user, "view")
                    .order_by("canteen_id", "zone", "name"))
    ids = {d.canteen_id for d in devices}
    if canteen_id:
        ids = {canteen_id}
    rows = {c.pk: CanteenVideo(c) for c in canteens(user).filter(pk__in=ids)}
    for d in devices:
        if d.canteen_id in rows:
            rows[d.canteen_id].devices.append(d)
    for ch in channels:
        if ch.canteen_id in rows:
            rows[ch.canteen_id].channels.append(ch)
    uptime = uptime_by(day, channels=[c for c in channels if c.canteen_id in rows])
    for cid, row in rows.items():
        row.uptime = uptime.get(cid)
        row.check = PlaybackCheck.objects.filter(canteen_id=cid).order_by("-checked_at", "-pk").first()
    return list(rows.values())


def device_get(user, device_id: int, action: str = "view") -> Device:
    return get_scoped(Device.objects.select_related("canteen__region"), user, action, pk=device_id,
                      what_zh="视频设备", what_en="device")


def channel_get(user, channel_id: int, action: str = "view") -> Channel:
    return get_scoped(Channel.objects.select_related("device", "canteen__region"), user, action, pk=channel_id,
                      what_zh="视频通道", what_en="channel")


def canteen_get(user, canteen_id: int) -> Canteen:
    return get_scoped(Canteen.objects.select_related("region"), user, "view", pk=canteen_id,
                      what_zh="助餐点", what_en="canteen")


def uptime_table(user, *, end: date | None = None, days: int = 7) -> dict:
    """Uptime per district and canteen for each of the last `days` local days (up to `end`)."""
    end = end or clock.local_today()
    dates = [end - timedelta(days=i) for i in range(days - 1, -1, -1)]
    channels = list(restrict(Channel.objects.filter(active=True).select_related("canteen__region"), user, "view"))
    by_canteen = {d: uptime_by(d, channels=channels) for d in dates}
    by_district = {d: uptime_by(d, key="district", channels=channels) for d in dates}
    canteen_rows = [_uptime_row("canteen", c, [by_canteen[d].get(c.pk) for d in dates])
                    for c in canteens(user).filter(pk__in={ch.canteen_id for ch in channels})]
    district_ids = {k for v in by_district.values() for k in v}
    district_rows = [_uptime_row("district", r, [by_district[d].get(r.pk) for d in dates])
                     for r in Region.objects.filter(pk__in=district_ids, level=Level.DISTRICT).order_by("path")]
    return {"dates": dates, "canteens": canteen_rows, "districts": district_rows}


def percent(fraction: float | None) -> float | None:
    """A fraction of time online as a percentage to one decimal, as the table and the chart show it."""
    return None if fraction is None else round(fraction * 100, 1)


def _uptime_row(what: str, obj, values: list[float | None]) -> dict:
    return {what: obj, "values": values, "percents": [percent(v) for v in values]}


def uptime_charts(table: dict, *, limit: int = 8) -> dict:
    """The uptime table as ECharts line specs (charts.js): one line per district and one per
    canteen — the `limit` canteens with the lowest uptime when there are more — a day without
    probes a gap, not a zero."""
    categories = [f"{d.month}月{d.day}日" for d in table["dates"]]

    def mean(row):
        known = [p for p in row["percents"] if p is not None]
        return sum(known) / len(known) if known else 101.0

    worst = sorted(table["canteens"], key=mean)[:limit]
    shown = [row for row in table["canteens"] if row in worst]
    return {
        "district": {"kind": "line", "percent": True, "categories": categories,
                     "series": [{"name": row["district"].name, "data": row["percents"]} for row in table["districts"]]},
        "canteen": {"kind": "line", "percent": True, "categories": categories,
                    "series": [{"name": row["canteen"].name, "data": row["percents"]} for row in shown]},
        "canteens_limited": len(shown) < len(table["canteens"]),
    }


def playback_checks(user, canteen_id: int, limit: int = 14):
    return list(restrict(PlaybackCheck.objects.filter(canteen_id=canteen_id).select_related("channel"), user, "view")
                .order_by("-checked_at", "-pk")[:limit])
