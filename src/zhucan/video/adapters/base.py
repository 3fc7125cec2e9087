"""One small interface over the ways a canteen's video reaches the platform (HLS, RTSP, a video
platform's OpenAPI such as Hikvision iSecure Center, a GB/T 28181 platform's HTTP API).

Every network call an adapter makes has a timeout; a failure is an `AdapterError` with a stable
code and a Chinese sentence for the screens, never a hung worker."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from zhucan.video.models import Channel, Device

DEFAULT_TIMEOUT = 5.0  # seconds, for one HTTP exchange with a device or platform


class AdapterError(Exception):
    """The device or platform did not give what was asked. `code` is stable (unreachable, timeout,
    bad_credentials, bad_answer, not_found, unsupported); `message` is Chinese for the screens."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ProbeResult:
    online: bool
    detail: str  # Chinese, short: what was found ("直播正常", "播放列表停止更新"…)
    checked_at: datetime
    code: str = ""  # the AdapterError code when offline
    extra: dict = field(default_factory=dict)


class Adapter(Protocol):
    def live_source(self, channel: Channel) -> str:
        """URL of the live stream (HLS or RTSP) for the relay / viewer; server side only (it may
        carry a token from the platform)."""

    def recordings(self, channel: Channel, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """The recorded intervals (aware datetimes) overlapping [start, end], as the recorder reports them."""

    def playback_source(self, channel: Channel, start: datetime, end: datetime) -> str:
        """URL of the recorded footage between two times (HLS or RTSP)."""

    def probe(self, channel: Channel, *, timeout: float) -> ProbeResult:
        """Is the channel live now? Never raises for the device's faults: they are an offline result."""

    def probe_playback(self, url: str, *, timeout: float) -> tuple[bool, str]:
        """Does a playback source (from `playback_source`) actually deliver video? (ok, Chinese detail)"""


def adapter_for(device: Device) -> Adapter:
    from zhucan.video.models import AccessMode

    mode = device.access_mode
    if mode == AccessMode.HLS:
        from zhucan.video.adapters.hls import HlsAdapter

        return HlsAdapter(device)
    if mode == AccessMode.RTSP:
        from zhucan.video.adapters.rtsp import RtspAdapter

        return RtspAdapter(device)
    if mode == AccessMode.ISC:
        from zhucan.video.adapters.isc import IscAdapter

        return IscAdapter(device)
    if mode == AccessMode.GB28181:
        from zhucan.video.adapters.gb28181 import Gb28181Adapter

        return Gb28181Adapter(device)
    raise AdapterError("unsupported", f"不支持的接入方式：{mode}")
