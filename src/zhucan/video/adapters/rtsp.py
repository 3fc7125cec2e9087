"""RTSP pulled from a camera or recorder: the live address goes to the media relay (browsers do not
play RTSP); a probe is ffprobe answering within the timeout. RTSP itself cannot list recordings;
a recorder's playback stream (e.g. Hikvision's `/Streaming/tracks/101?starttime=…&endtime=…`) is
the channel's `record_path` with `{start}` and `{end}` filled as 20240101T080000Z (UTC)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote, urlsplit, urlunsplit

from zhucan.video.adapters.base import AdapterError, ProbeResult
from zhucan.video.adapters.ffprobe import ffprobe_video


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


class RtspAdapter:
    def __init__(self, device):
        self.device = device

    def _url(self, path: str) -> str:
        base = path if path.lower().startswith("rtsp://") else self.device.address.rstrip("/") + "/" + path.lstrip("/")
        parts = urlsplit(base)
        if parts.scheme.lower() != "rtsp" or not parts.hostname:
            raise AdapterError("bad_address", "RTSP 地址应形如 rtsp://主机:端口/路径")
        user, secret = self.device.username, self.device.secret
        if user and "@" not in parts.netloc:
            creds = quote(user, safe="") + (":" + quote(secret, safe="") if secret else "")
            parts = parts._replace(netloc=f"{creds}@{parts.netloc}")
        return urlunsplit(parts)

    def live_source(self, channel) -> str:
        return self._url(channel.remote_id)

    def recordings(self, channel, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        raise AdapterError("unsupported", "RTSP 直连不能查询录像，请经录像机的平台接口接入")

    def playback_source(self, channel, start: datetime, end: datetime) -> str:
        if not channel.record_path:
            raise AdapterError("unsupported", "该通道未登记回放地址")
        return self._url(channel.record_path.replace("{start}", _stamp(start)).replace("{end}", _stamp(end)))

    def probe(self, channel, *, timeout: float) -> ProbeResult:
        from zhucan.core import clock

        try:
            url = self.live_source(channel)
        except AdapterError as exc:
            return ProbeResult(False, exc.message, clock.now(), exc.code)
        ok, detail = ffprobe_video(url, timeout=timeout)
        return ProbeResult(ok, "直播正常（" + detail + "）" if ok else detail, clock.now(), "" if ok else "no_stream")

    def probe_playback(self, url: str, *, timeout: float) -> tuple[bool, str]:
        return ffprobe_video(url, timeout=timeout)
