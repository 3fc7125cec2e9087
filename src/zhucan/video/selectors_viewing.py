"""Reads for watching video, scoped to the viewer: a canteen outside the official's jurisdiction,
its channels and their viewing sessions do not exist for them (dining-area video shows elders)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from zhucan.accounts.permissions import has_perm
from zhucan.accounts.scoping import get_scoped, restrict
from zhucan.canteens.models import Canteen, CanteenStatus
from zhucan.core import clock
from zhucan.core.errors import NotFound
from zhucan.regions.models import Level, Region
from zhucan.video.health import uptime_over
from zhucan.video.models import Channel, PlaybackCheck
from zhucan.video.models_viewing import ViewSession
from zhucan.video.selectors import percent

# Wall statuses, in the order the filter offers them.
WALL_STATUSES = {
    "online": _("在线"),
    "partial": _("部分离线"),
    "offline": _("离线"),
    "playback_failing": _("回放核验未通过"),
    "unchecked": _("尚未检测"),
    "none": _("未接入视频"),
}


def canteens_in_scope(*, user) -> QuerySet[Canteen]:
    if not has_perm(user, "video", "view"):
        return Canteen.objects.none()
    return restrict(Canteen.objects.select_related("region__parent"), user, "view")


def districts_in_scope(*, user) -> QuerySet[Region]:
    return restrict(Region.objects.filter(level=Level.DISTRICT), user, "view").order_by("path")


@dataclass
class WallRow:
    canteen: Canteen
    district: str
    channels: list[Channel] = field(default_factory=list)
    playback: PlaybackCheck | None = None
    uptime7: float | None = None  # percent of known time online over the last 7 days

    @property
    def online(self) -> int:
        return sum(1 for c in self.channels if c.online)

    @property
    def status(self) -> str:
        if not self.channels:
            return "none"
        if all(c.online is None for c in self.channels):
            return "unchecked"
        if self.online == len(self.channels):
            return "online"
        return "offline" if self.online == 0 else "partial"

    @property
    def status_label(self) -> str:
        return WALL_STATUSES[self.status]

    @property
    def playback_failing(self) -> bool:
        return self.playback is not None and not self.playback.passed


def wall(*, user, district_id: int | None = None, status: str = "", q: str = "",
         with_uptime: bool = False) -> list[WallRow]:
    """The canteens of the viewer's jurisdiction with their channels' status and the latest 7-day
    playback check (and, `with_uptime`, their uptime over the last 7 days), filtered by district,
    status (`WALL_STATUSES`) and a part of the name; those needing attention first, then by place."""
    result = _wall(user=user, district_id=district_id, status=status, q=q)
    if with_uptime:
        today = clock.local_today()
        uptime = uptime_over([today - timedelta(days=i) for i in range(7)],
                             channels=[c for row in result for c in row.channels])
        for row in result:
            row.uptime7 = percent(uptime.get(row.canteen.pk))
    return result


def _wall(*, user, district_id: int | None, status: str, q: str) -> list[WallRow]:
    canteens = canteens_in_scope(user=user).exclude(status=CanteenStatus.CLOSED)
    if district_id:
        district = Region.objects.filter(pk=district_id).first()
        canteens = canteens.filter(region__path__startswith=district.path) if district else canteens.none()
    if q:
        canteens = canteens.filter(name__icontains=q.strip())
    rows = {c.pk: WallRow(canteen=c, district=_district_name(c.region))
            for c in canteens.order_by("region__path", "name")}
    for channel in (Channel.objects.filter(canteen_id__in=rows, active=True, device__active=True)
                    .order_by("canteen_id", "zone", "name")):
        rows[channel.canteen_id].channels.append(channel)
    for check in PlaybackCheck.objects.filter(canteen_id__in=rows).order_by("canteen_id", "-checked_at", "-id"):
        row = rows[check.canteen_id]
        if row.playback is None:
            row.playback = check
    # What needs attention first: dark canteens, partly dark ones, failing playback, then the rest.
    rank = {"offline": 0, "partial": 1, "online": 3, "unchecked": 4, "none": 5}
    result = sorted(rows.values(), key=lambda r: 2 if r.status == "online" and r.playback_failing else rank[r.status])
    if status == "playback_failing":
        return [r for r in result if r.playback_failing]
    if status in WALL_STATUSES:
        return [r for r in result if r.status == status]
    return result


def _district_name(region: Region) -> str:
    while region is not None and region.level not in (Level.DISTRICT, Level.CITY):
        region = region.parent
    return region.name if region is not None else ""


def canteen_get(*, user, canteen_id: int) -> Canteen:
    if not has_perm(user, "video", "view"):
        raise NotFound("助餐点", "canteen")
    return get_scoped(Canteen.objects.select_related("region"), user, "view", pk=canteen_id,
                      what_zh="助餐点", what_en="canteen")


def channels_of(*, canteen: Canteen) -> QuerySet[Channel]:
    return Channel.objects.filter(canteen=canteen, active=True, device__active=True).order_by("zone", "name")


def channel_get(*, user, channel_id: int) -> Channel:
    """A channel of a canteen in the viewer's jurisdiction (else the same NotFound as a missing id)."""
    channel = (Channel.objects.select_related("canteen__region", "device")
               .filter(pk=channel_id, canteen__in=canteens_in_scope(user=user)).first())
    if channel is None:
        raise NotFound("视频通道", "channel")
    return channel


def session_get(*, user, session_id: int) -> ViewSession:
    """The viewer's own session (nobody watches through another's)."""
    session = (ViewSession.objects.select_related("channel__canteen", "user")
               .filter(pk=session_id, user=user).first())
    if session is None:
        raise NotFound("查看记录", "viewing")
    return session


def view_log(*, user, start: date | None = None, end: date | None = None, canteen_id: int | None = None,
             dining_only: bool = False) -> QuerySet[ViewSession]:
    """Who watched what, within the reader's jurisdiction, newest first; dates are local days."""
    qs = restrict(ViewSession.objects.select_related("user", "channel", "canteen"), user, "view")
    if start:
        qs = qs.filter(started_at__gte=datetime.combine(start, time.min, clock.LOCAL_TZ))
    if end:
        qs = qs.filter(started_at__lt=datetime.combine(end + timedelta(days=1), time.min, clock.LOCAL_TZ))
    if canteen_id:
        qs = qs.filter(canteen_id=canteen_id)
    if dining_only:
        qs = qs.filter(dining=True)
    return qs.order_by("-started_at", "-id")


def session_end_shown(session: ViewSession) -> datetime | None:
    """When the session ended: its end, or the last heartbeat once the player has gone quiet."""
    if session.ended_at is not None:
        return session.ended_at
    if clock.now() - session.last_seen_at > timedelta(seconds=90):
        return session.last_seen_at
    return None


def kiosk_canteen(*, canteen_id: int) -> Canteen:
    canteen = Canteen.objects.filter(pk=canteen_id).exclude(status=CanteenStatus.CLOSED).first()
    if canteen is None:
        raise NotFound("助餐点", "canteen")
    return canteen


def kiosk_channels(*, canteen: Canteen) -> QuerySet[Channel]:
    """The public screen shows kitchen channels marked public, never the dining area."""
    return (Channel.objects.filter(canteen=canteen, public=True, active=True, device__active=True)
            .exclude(zone="dining").order_by("zone", "name"))
