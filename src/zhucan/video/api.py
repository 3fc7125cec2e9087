"""API v1 for vendors' kitchen AI boxes (`POST /api/v1/video/events`), signed like the terminals'
calls (the box is registered as a terminal of its canteen). The platform claims no detection: it
files the box's event with its snapshot into the district's alert list."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timedelta
from typing import Literal

from django.db import IntegrityError, transaction
from ninja import Router
from pydantic import AwareDatetime, Field

from zhucan.api.openapi import errors, signed
from zhucan.api.schemas import CanteenId, ErrorOut, Id, In, Schema, Text
from zhucan.core import clock
from zhucan.video.errors import video_error

router = Router(tags=["video"])
SNAPSHOT_MAX_KB = 1024
AI_RULE = "video.ai_event"


EVENT_LABELS = {
    "no_hat": "未戴厨师帽", "no_mask": "未戴口罩", "no_uniform": "未穿工作服", "smoking": "吸烟",
    "phone": "操作时玩手机", "rodent": "发现老鼠", "bare_hands": "未戴手套", "other": "其他异常",
}


EventType = Literal["no_hat", "no_mask", "no_uniform", "smoking", "phone", "rodent", "bare_hands", "other"]


class EventIn(In):
    canteen_id: CanteenId
    channel_id: Id = Field(..., description="平台上的视频通道编号（通道列表中可见）")
    event_id: Text = Field(..., min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$",
                           description="盒子自己的事件编号；同一通道同一编号只记一次（重发即返回原结果）")
    type: EventType = Field(..., description="事件类型：no_hat 未戴厨师帽、no_mask 未戴口罩、no_uniform 未穿工作服、"
                                             "smoking 吸烟、phone 玩手机、rodent 老鼠、bare_hands 未戴手套、other 其他")
    occurred_at: AwareDatetime = Field(..., description="发生时刻（带时区）")
    # The text may be longer than the limit allows (the decoded size is what is refused, with its own code).
    snapshot_b64: Text = Field(..., min_length=1, max_length=2 * (SNAPSHOT_MAX_KB * 1024 * 4) // 3 + 8,
                               description=f"抓拍图片（JPEG 或 PNG，base64，不超过{SNAPSHOT_MAX_KB}KB）")
    note: Text = Field("", max_length=200, description="盒子给出的说明")


class EventOut(Schema):
    event_id: str
    alert_id: int
    channel: str
    type: str
    type_label: str
    occurred_at: datetime
    replayed: bool


_MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))


def _snapshot(text: str) -> bytes:
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise video_error("VIDEO_SNAPSHOT_INVALID", field="snapshot_b64") from None
    if len(data) > SNAPSHOT_MAX_KB * 1024:
        raise video_error("VIDEO_SNAPSHOT_TOO_LARGE", field="snapshot_b64", limit=SNAPSHOT_MAX_KB)
    if not any(data.startswith(magic) for magic, _t in _MAGIC):
        raise video_error("VIDEO_SNAPSHOT_INVALID", field="snapshot_b64")
    return data


def ai_event_record(*, terminal, channel_id: int, event_id: str, event_type: str, occurred_at: datetime,
                    snapshot: bytes, note: str = ""):
    """Record the box's event once and raise its alert; a resent event returns the first (replayed)."""
    from zhucan.alerts.services import alert_raise
    from zhucan.video.models import AiEvent, Channel

    channel = (Channel.objects.filter(pk=channel_id, canteen_id=terminal.canteen_id)
               .select_related("canteen__region").first())
    if channel is None:
        raise video_error("VIDEO_CHANNEL_UNKNOWN", field="channel_id", channel_id=channel_id)
    existing = AiEvent.objects.filter(channel=channel, event_id=event_id).first()
    if existing is not None:
        if existing.event_type != event_type or existing.occurred_at != occurred_at:
            raise video_error("VIDEO_EVENT_CONFLICT", field="event_id", event_id=event_id)
        return channel, existing, True
    if occurred_at > clock.real_now() + timedelta(minutes=5):  # the box's clock is real time, not the demo's
        raise video_error("VIDEO_EVENT_TIME", field="occurred_at")
    label = EVENT_LABELS.get(event_type, event_type)
    local = occurred_at.astimezone(clock.LOCAL_TZ)
    try:
        with transaction.atomic():
            alert = alert_raise(
                rule=AI_RULE, occurred_at=occurred_at, canteen=channel.canteen,
                title=f"{channel.canteen.name}{channel.get_zone_display()}：{label}",
                details={"通道": channel.name, "区域": channel.get_zone_display(), "事件": label,
                         "发生时间": f"{local:%Y-%m-%d %H:%M:%S}", "上报设备": terminal.name,
                         **({"说明": note} if note else {})},
                dedupe_key=f"{AI_RULE}:{channel.pk}:{event_id}", snapshot=snapshot)
            event = AiEvent.objects.create(channel=channel, event_id=event_id, event_type=event_type,
                                           occurred_at=occurred_at, received_at=clock.now(), alert_id=alert.pk)
    except IntegrityError:  # the same event arrived twice at once: the first stands
        event = AiEvent.objects.get(channel=channel, event_id=event_id)
        return channel, event, True
    return channel, event, False


@router.post("/video/events", response={200: EventOut, errors(404, 409): ErrorOut},
             openapi_extra=signed(), summary="上报后厨智能分析事件")
def video_event(request, payload: EventIn):
    """A kitchen AI box (registered as a terminal of its canteen) reports what it detected on one
    of the canteen's channels, with a snapshot. The event goes to the district's alert list; the
    same event id on the same channel is recorded once (a resend answers `replayed: true`)."""
    terminal = request.auth
    snapshot = _snapshot(payload.snapshot_b64)
    channel, event, replayed = ai_event_record(
        terminal=terminal, channel_id=payload.channel_id, event_id=payload.event_id,
        event_type=payload.type, occurred_at=payload.occurred_at, snapshot=snapshot, note=payload.note)
    return {"event_id": event.event_id, "alert_id": event.alert_id, "channel": channel.name,
            "type": event.event_type, "type_label": EVENT_LABELS.get(event.event_type, event.event_type),
            "occurred_at": event.occurred_at.astimezone(clock.LOCAL_TZ), "replayed": replayed}


_installed = False


def install() -> None:
    """Mount the router on API v1 (called once from VideoConfig.ready(), before the URLs are built)."""
    global _installed
    if _installed:
        return
    from zhucan.api.main import api

    api.add_router("", router)
    _installed = True
