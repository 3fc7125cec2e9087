"""GB/T 28181 devices, reached through an external GB28181 platform's HTTP API — the REST API of
WVP-GB28181-pro (the devices register to it over SIP; it keeps their keepalives, answers RecordInfo
queries and starts streams on its media server):

    GET /api/user/login?username=…&password=<md5 hex>          → data.accessToken (header access-token)
    GET /api/device/query/devices/{deviceId}                  → data.onLine, data.keepaliveTime
    GET /api/device/query/devices/{deviceId}/channels?page&count → data.list[{channelId, status}]
    GET /api/gb_record/query/{deviceId}/{channelId}?startTime&endTime → data.recordList[{startTime, endTime}]
    GET /api/play/start/{deviceId}/{channelId}                → data.hls / data.rtsp
    GET /api/playback/start/{deviceId}/{channelId}?startTime&endTime → data.hls / data.rtsp

Answers are `{"code": 0, "msg": …, "data": …}`; times are "yyyy-MM-dd HH:mm:ss" in local time.
The device's address is the platform's base URL, its `remote_id` the device's 20-digit code,
`username`/`secret` the platform account; a channel's `remote_id` the channel's code."""

from __future__ import annotations

import hashlib
from datetime import datetime
from urllib.parse import quote, urlencode

from django.conf import settings

from zhucan.core import clock
from zhucan.video.adapters.base import DEFAULT_TIMEOUT, AdapterError, ProbeResult
from zhucan.video.adapters.ffprobe import ffprobe_video
from zhucan.video.adapters.http import fetch_json

KEEPALIVE_SECONDS = 60  # GB/T 28181: a device is offline after three keepalives missed
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def _fmt(moment: datetime) -> str:
    return moment.astimezone(clock.LOCAL_TZ).strftime(TIME_FORMAT)


def _parse(text) -> datetime:
    try:
        return datetime.strptime(str(text), TIME_FORMAT).replace(tzinfo=clock.LOCAL_TZ)
    except ValueError:
        raise AdapterError("bad_answer", "国标平台返回的时间格式不对") from None


class Gb28181Adapter:
    def __init__(self, device, *, timeout: float | None = None):
        self.device = device
        self.timeout = timeout or float(getattr(settings, "ZHUCAN_VIDEO_HTTP_TIMEOUT", DEFAULT_TIMEOUT))
        self._token: str | None = None

    def _get(self, path: str, query: dict | None = None, *, timeout: float | None = None, auth: bool = True):
        url = self.device.address.rstrip("/") + path + ("?" + urlencode(query) if query else "")
        headers = {"Accept": "application/json"}
        if auth:
            headers["access-token"] = self._login(timeout=timeout)
        status, data = fetch_json(url, timeout=timeout or self.timeout, headers=headers)
        if status in (401, 403):
            raise AdapterError("bad_credentials", "国标平台拒绝了账号或密码")
        if status != 200:
            raise AdapterError("bad_answer", f"国标平台应答 HTTP {status}")
        if data.get("code") != 0:
            raise AdapterError("refused", f"国标平台拒绝：{str(data.get('msg') or data.get('code'))[:80]}")
        return data.get("data")

    def _login(self, *, timeout: float | None = None) -> str:
        if self._token is None:
            password = hashlib.md5(self.device.secret.encode()).hexdigest()
            try:
                data = self._get("/api/user/login", {"username": self.device.username, "password": password},
                                 timeout=timeout, auth=False)
            except AdapterError as exc:
                if exc.code == "refused":
                    raise AdapterError("bad_credentials", "国标平台拒绝了账号或密码") from None
                raise
            token = data.get("accessToken") if isinstance(data, dict) else None
            if not isinstance(token, str) or not token:
                raise AdapterError("bad_answer", "国标平台登录没有返回令牌")
            self._token = token
        return self._token

    def _ids(self, channel) -> str:
        return f"/{quote(self.device.remote_id, safe='')}/{quote(channel.remote_id, safe='')}"

    @staticmethod
    def _stream_url(data) -> str:
        if isinstance(data, dict):
            for key in ("hls", "rtsp"):
                if isinstance(data.get(key), str) and data[key]:
                    return data[key]
        raise AdapterError("bad_answer", "国标平台没有给出播放地址")

    def live_source(self, channel) -> str:
        return self._stream_url(self._get("/api/play/start" + self._ids(channel)))

    def playback_source(self, channel, start: datetime, end: datetime) -> str:
        return self._stream_url(self._get("/api/playback/start" + self._ids(channel),
                                          {"startTime": _fmt(start), "endTime": _fmt(end)}))

    def recordings(self, channel, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        data = self._get("/api/gb_record/query" + self._ids(channel), {"startTime": _fmt(start), "endTime": _fmt(end)})
        items = data.get("recordList") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise AdapterError("bad_answer", "国标平台返回的录像列表格式不对")
        spans = []
        for item in items:
            if not isinstance(item, dict):
                raise AdapterError("bad_answer", "国标平台返回的录像列表格式不对")
            spans.append((_parse(item.get("startTime")), _parse(item.get("endTime"))))
        return spans

    def probe(self, channel, *, timeout: float) -> ProbeResult:
        """Online when the platform has the device online with a keepalive within three periods,
        and lists the channel as on."""
        try:
            device = self._get("/api/device/query/devices/" + quote(self.device.remote_id, safe=""), timeout=timeout)
            if not isinstance(device, dict):
                raise AdapterError("bad_answer", "国标平台返回的设备信息格式不对")
            if not device.get("onLine"):
                return ProbeResult(False, "国标平台报告设备离线", clock.now(), "offline")
            keepalive = device.get("keepaliveTime")
            if keepalive:
                age = (clock.real_now() - _parse(keepalive)).total_seconds()  # the platform's real time
                if age > 3 * KEEPALIVE_SECONDS:
                    return ProbeResult(False, f"设备已{int(age // 60)}分钟没有心跳", clock.now(), "no_keepalive")
            channels = self._get("/api/device/query/devices/" + quote(self.device.remote_id, safe="") + "/channels",
                                 {"page": 1, "count": 500}, timeout=timeout)
        except AdapterError as exc:
            return ProbeResult(False, exc.message, clock.now(), exc.code)
        items = channels.get("list") if isinstance(channels, dict) else None
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and channel.remote_id in (item.get("channelId"), item.get("deviceId")):
                if str(item.get("status")).upper() in ("1", "ON", "TRUE"):
                    return ProbeResult(True, "国标平台报告在线", clock.now())
                return ProbeResult(False, "国标平台报告通道离线", clock.now(), "offline")
        return ProbeResult(False, "国标平台上没有这个通道", clock.now(), "not_found")

    def probe_playback(self, url: str, *, timeout: float) -> tuple[bool, str]:
        return ffprobe_video(url, timeout=timeout)


