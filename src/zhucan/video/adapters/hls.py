"""Generic HLS: a live playlist (checked by its media sequence advancing and its last
EXT-X-PROGRAM-DATE-TIME being recent) and a recorder's playback playlist whose segments carry
EXT-X-PROGRAM-DATE-TIME over the days it keeps (the recordings are read from those times).

A channel's `remote_id` is the live playlist's path under the device's address (or a full URL);
its `record_path` the playback playlist, where `{start}` and `{end}` (Unix seconds) are filled in."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urljoin

from django.conf import settings

from zhucan.core import clock
from zhucan.video.adapters.base import DEFAULT_TIMEOUT, AdapterError, ProbeResult
from zhucan.video.adapters.ffprobe import ffprobe_video
from zhucan.video.adapters.http import Session, fetch


@dataclass
class Segment:
    uri: str
    duration: float
    start: datetime | None  # from EXT-X-PROGRAM-DATE-TIME (carried forward over the following segments)


@dataclass
class Playlist:
    media_sequence: int = 0
    target_duration: float = 0
    ended: bool = False
    segments: list[Segment] = field(default_factory=list)
    variants: list[str] = field(default_factory=list)  # a master playlist's stream URIs

    @property
    def last_end(self) -> datetime | None:
        """When the last segment's picture ends, by its program date-time."""
        for seg in reversed(self.segments):
            if seg.start is not None:
                return seg.start + timedelta(seconds=seg.duration)
        return None


def _parse_time(text: str) -> datetime | None:
    text = text.strip().replace("Z", "+00:00")
    if len(text) >= 5 and text[-5] in "+-" and text[-3] != ":":  # +0800 → +08:00
        text = text[:-2] + ":" + text[-2:]
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def parse_playlist(text: str) -> Playlist:
    """An M3U8 media or master playlist; AdapterError('bad_answer') when it is not one."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or lines[0] != "#EXTM3U":
        raise AdapterError("bad_answer", "应答不是 HLS 播放列表")
    pl = Playlist()
    duration: float | None = None
    pending_start: datetime | None = None
    next_start: datetime | None = None
    stream_inf = False
    for line in lines[1:]:
        if line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
            try:
                pl.media_sequence = int(line.split(":", 1)[1])
            except ValueError:
                raise AdapterError("bad_answer", "播放列表的媒体序号不是数字") from None
        elif line.startswith("#EXT-X-TARGETDURATION:"):
            try:
                pl.target_duration = float(line.split(":", 1)[1])
            except ValueError:
                raise AdapterError("bad_answer", "播放列表的目标时长不是数字") from None
        elif line.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
            pending_start = _parse_time(line.split(":", 1)[1])
        elif line.startswith("#EXT-X-DISCONTINUITY") and not line.startswith("#EXT-X-DISCONTINUITY-"):
            next_start = None  # the next segment's time is known only from its own date-time
        elif line.startswith("#EXTINF:"):
            try:
                duration = float(line.split(":", 1)[1].split(",", 1)[0])
            except ValueError:
                raise AdapterError("bad_answer", "播放列表的片段时长不是数字") from None
            if duration < 0:
                raise AdapterError("bad_answer", "播放列表的片段时长为负")
        elif line.startswith("#EXT-X-ENDLIST"):
            pl.ended = True
        elif line.startswith("#EXT-X-STREAM-INF"):
            stream_inf = True
        elif line.startswith("#"):
            continue
        elif stream_inf:
            pl.variants.append(line)
            stream_inf = False
        else:
            if duration is None:
                raise AdapterError("bad_answer", "播放列表的片段缺少时长")
            start = pending_start or next_start
            pl.segments.append(Segment(uri=line, duration=duration, start=start))
            next_start = start + timedelta(seconds=duration) if start else None
            duration, pending_start = None, None
    return pl


def read_playlist(url: str, *, timeout: float, follow: bool = True, session: Session | None = None,
                  ) -> tuple[str, Playlist]:
    status, body = fetch(url, timeout=timeout, session=session)
    if status in (401, 403):
        raise AdapterError("bad_credentials", f"设备拒绝访问（HTTP {status}）")
    if status == 404:
        raise AdapterError("not_found", "设备上没有这个播放列表（HTTP 404）")
    if status != 200:
        raise AdapterError("bad_answer", f"设备应答 HTTP {status}")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise AdapterError("bad_answer", "应答不是 HLS 播放列表") from None
    pl = parse_playlist(text)
    if pl.variants and follow:
        return read_playlist(urljoin(url, pl.variants[0]), timeout=timeout, follow=False, session=session)
    return url, pl



class HlsAdapter:
    def __init__(self, device):
        self.device = device

    # --- addresses -------------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        if path.lower().startswith(("http://", "https://")):
            return path
        return urljoin(self.device.address.rstrip("/") + "/", path.lstrip("/"))

    def live_source(self, channel) -> str:
        return self._url(channel.remote_id)

    def playback_source(self, channel, start: datetime, end: datetime) -> str:
        if not channel.record_path:
            raise AdapterError("unsupported", "该通道未登记回放地址")
        path = channel.record_path.replace("{start}", str(int(start.timestamp()))).replace(
            "{end}", str(int(end.timestamp())))
        return self._url(path)

    def recordings(self, channel, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        _url, pl = read_playlist(self.playback_source(channel, start, end), timeout=_timeout())
        spans: list[tuple[datetime, datetime]] = []
        for seg in pl.segments:
            if seg.start is None:
                continue
            s, e = seg.start, seg.start + timedelta(seconds=seg.duration)
            if e <= start or s >= end:
                continue
            if spans and s <= spans[-1][1] + timedelta(seconds=1):
                spans[-1] = (spans[-1][0], max(spans[-1][1], e))
            else:
                spans.append((s, e))
        return spans

    def probe(self, channel, *, timeout: float) -> ProbeResult:
        return probe_live_hls(self.live_source(channel), timeout=timeout)

    def probe_playback(self, url: str, *, timeout: float) -> tuple[bool, str]:
        return ffprobe_video(url, timeout=timeout)


def _timeout() -> float:
    return float(getattr(settings, "ZHUCAN_VIDEO_HTTP_TIMEOUT", DEFAULT_TIMEOUT))


def live_lag_seconds() -> int:
    return int(getattr(settings, "ZHUCAN_VIDEO_LIVE_LAG_SECONDS", 60))


def probe_live_hls(url: str, *, timeout: float, interval: float | None = None) -> ProbeResult:
    """Two reads of a live playlist: online when the media sequence (or the last segment) moved on
    between them and the last program date-time is within the allowed lag of now."""
    session = Session()
    try:
        media_url, first = read_playlist(url, timeout=timeout, session=session)
        if first.ended:
            return ProbeResult(False, "播放列表已结束，不是直播", clock.now(), "not_live")
        if not first.segments:
            return ProbeResult(False, "播放列表中没有片段", clock.now(), "empty")
        wait = interval if interval is not None else getattr(settings, "ZHUCAN_VIDEO_PROBE_INTERVAL", None)
        if wait is None:
            wait = min(first.target_duration or 2.0, 6.0)
        if wait > 0:
            time.sleep(wait)
        _u, second = read_playlist(media_url, timeout=timeout, follow=False, session=session)
    except AdapterError as exc:
        return ProbeResult(False, exc.message, clock.now(), exc.code)
    finally:
        session.close()
    now = clock.now()
    media_now = clock.real_now()  # the stream is stamped with real time, even on a simulated clock
    moved = second.media_sequence > first.media_sequence or (
        second.segments and first.segments and second.segments[-1].uri != first.segments[-1].uri)
    if not moved:
        return ProbeResult(False, "播放列表停止更新", now, "stalled")
    last = second.last_end
    if last is None:
        return ProbeResult(False, "播放列表缺少节目时间", now, "no_time")
    lag = (media_now - last).total_seconds()
    if lag > live_lag_seconds():
        return ProbeResult(False, f"画面时间落后{int(lag)}秒", now, "behind", {"lag": int(lag)})
    return ProbeResult(True, "直播正常", now, "", {"lag": max(0, int(lag))})
