"""Writes of watching video (issue #19 item 6, HZ-F8): opening a viewing session (who, which
channel, live or which recorded range, why), its heartbeat, and its end. Each opening is audited in
the same transaction; the session is the view log the district reads."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction

from zhucan.core import clock
from zhucan.core.audit import audit_record
from zhucan.core.errors import NotFound
from zhucan.video.errors_viewing import view_error
from zhucan.video.models import Channel, Zone
from zhucan.video.models_viewing import ViewPurpose, ViewSession
from zhucan.video.relay import playback_span

PLAYBACK_DAYS = 7  # HZ-F8: at least 7 days of playback


def view_session_open(*, actor, channel: Channel, purpose: str, start: datetime | None = None,
                      ip: str | None = None) -> ViewSession:
    """Open a viewing of `channel` (already fetched within the actor's jurisdiction by the
    selector): live when `start` is None, else the recorded footage from `start` (within the last
    7 days, HZ-F8) for the relay's playback span."""
    if purpose not in ViewPurpose.values:
        raise view_error("VIEW_PURPOSE_REQUIRED", field="purpose")
    now = clock.now()
    if start is not None:
        if start.tzinfo is None:
            raise view_error("VIEW_PLAYBACK_TIME_INVALID", field="start")
        if start > now:
            raise view_error("VIEW_PLAYBACK_FUTURE", field="start")
        if start < now - timedelta(days=PLAYBACK_DAYS):
            raise view_error("VIEW_PLAYBACK_TOO_OLD", field="start", days=PLAYBACK_DAYS)
        start = start.replace(microsecond=0)
    with transaction.atomic():
        channel = Channel.objects.select_related("canteen__region", "device").get(pk=channel.pk)
        if not channel.active or not channel.device.active:
            raise view_error("VIEW_CHANNEL_INACTIVE")
        session = ViewSession.objects.create(
            user=actor, channel=channel, canteen=channel.canteen, region_path=channel.canteen.region.path,
            dining=channel.zone == Zone.DINING, live=start is None, range_start=start,
            range_end=start + playback_span() if start is not None else None, purpose=purpose,
            started_at=now, last_seen_at=now, ip=ip)
        what = "实时" if start is None else f"回放 {clock.local_date(start)} {start.astimezone(clock.LOCAL_TZ):%H:%M}"
        audit_record(actor=actor, action="video.view", obj=session,
                     object_repr=f"{channel.canteen.name} · {channel.name}"[:200],
                     region_path=channel.canteen.region.path,
                     after={"channel": channel.pk, "live": start is None,
                            "range_start": start.isoformat() if start else None, "purpose": purpose},
                     note=f"{ViewPurpose(purpose).label}；{what}", ip=ip)
    return session


def _own_open(actor, session: ViewSession) -> ViewSession:
    session = ViewSession.objects.select_for_update().filter(pk=session.pk, user=actor).first()
    if session is None:
        raise NotFound("查看记录", "viewing")
    if session.ended_at is not None:
        raise view_error("VIEW_SESSION_ENDED")
    return session


def view_session_beat(*, actor, session: ViewSession) -> ViewSession:
    """The player is still showing the video: the session lasts at least until now."""
    with transaction.atomic():
        session = _own_open(actor, session)
        session.last_seen_at = clock.now()
        session.save(update_fields=["last_seen_at"])
    return session


def view_session_end(*, actor, session: ViewSession) -> ViewSession:
    """The viewer closed the player. Ending twice is harmless (the first end stands)."""
    with transaction.atomic():
        current = ViewSession.objects.select_for_update().filter(pk=session.pk, user=actor).first()
        if current is None:
            raise NotFound("查看记录", "viewing")
        if current.ended_at is None:
            current.ended_at = current.last_seen_at = clock.now()
            current.save(update_fields=["ended_at", "last_seen_at"])
    return current
