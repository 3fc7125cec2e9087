"""Hikvision iSecure Center (综合安防管理平台) through its OpenAPI gateway, Artemis.

Every call is a POST of JSON under `/artemis`, signed with the platform's AppKey / AppSecret:
X-Ca-Signature = Base64(HMAC-SHA256(AppSecret, stringToSign)) where stringToSign is

    METHOD \\n Accept \\n Content-MD5 \\n Content-Type \\n Date \\n      (each header only when sent)
    x-ca-key:… \\n x-ca-nonce:… \\n x-ca-timestamp:… \\n                 (the X-Ca-* headers signed, sorted)
    /artemis/api/…                                                       (path, then ?query sorted)

and X-Ca-Signature-Headers names the X-Ca-* headers signed. Answers are
`{"code": "0", "msg": "success", "data": …}`; any other code is a refusal.

The device's `username` holds the AppKey, its `secret` the AppSecret; a channel's `remote_id` the
camera's cameraIndexCode."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import datetime

from django.conf import settings

from zhucan.core import clock
from zhucan.video.adapters.base import DEFAULT_TIMEOUT, AdapterError, ProbeResult
from zhucan.video.adapters.ffprobe import ffprobe_video
from zhucan.video.adapters.http import fetch_json

PREFIX = "/artemis"
PREVIEW = "/api/video/v2/cameras/previewURLs"
PLAYBACK = "/api/video/v2/cameras/playbackURLs"
ONLINE = "/api/nms/v1/online/camera/get"
MAX_PAGES = 50


def string_to_sign(method: str, path: str, headers: dict[str, str]) -> tuple[str, str]:
    """(stringToSign, X-Ca-Signature-Headers) for `headers` (names as sent, any case)."""
    lower = {k.lower(): v for k, v in headers.items()}
    out = method.upper() + "\n"
    for name in ("accept", "content-md5", "content-type", "date"):
        if name in lower:
            out += lower[name] + "\n"
    signed = sorted(k for k in lower if k.startswith("x-ca-") and k not in ("x-ca-signature",
                                                                              "x-ca-signature-headers"))
    out += "".join(f"{k}:{lower[k].strip()}\n" for k in signed)
    return out + path, ",".join(signed)


def sign(secret: str, text: str) -> str:
    return base64.b64encode(hmac.digest(secret.encode(), text.encode(), hashlib.sha256)).decode()


def _iso(moment: datetime) -> str:
    """2024-01-01T08:00:00.000+08:00, as the platform takes times."""
    return moment.astimezone(clock.LOCAL_TZ).isoformat(timespec="milliseconds")


def _parse(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise AdapterError("bad_answer", "平台返回的录像时间格式不对") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.LOCAL_TZ)
    return moment


class IscAdapter:
    def __init__(self, device, *, timeout: float | None = None):
        self.device = device
        self.timeout = timeout or float(getattr(settings, "ZHUCAN_VIDEO_HTTP_TIMEOUT", DEFAULT_TIMEOUT))

    def call(self, path: str, payload: dict, *, timeout: float | None = None) -> dict:
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = {
            "Accept": "*/*",
            "Content-Type": "application/json",
            "X-Ca-Key": self.device.username,
            "X-Ca-Nonce": str(uuid.uuid4()),
            "X-Ca-Timestamp": str(int(clock.real_now().timestamp() * 1000)),
        }
        text, signed = string_to_sign("POST", PREFIX + path, headers)
        headers["X-Ca-Signature-Headers"] = signed
        headers["X-Ca-Signature"] = sign(self.device.secret, text)
        url = self.device.address.rstrip("/") + PREFIX + path
        status, data = fetch_json(url, timeout=timeout or self.timeout, method="POST", body=body, headers=headers)
        if status in (401, 403):
            raise AdapterError("bad_credentials", "视频平台拒绝了接入密钥（AppKey/AppSecret）")
        if status != 200:
            raise AdapterError("bad_answer", f"视频平台应答 HTTP {status}")
        if str(data.get("code")) != "0":
            raise AdapterError("refused", f"视频平台拒绝：{str(data.get('msg') or data.get('code'))[:80]}")
        return data.get("data") if isinstance(data.get("data"), dict) else {}

    def live_source(self, channel) -> str:
        data = self.call(PREVIEW, {"cameraIndexCode": channel.remote_id, "streamType": 0, "protocol": "hls",
                                   "transmode": 1, "expand": "transcode=0"})
        url = data.get("url")
        if not isinstance(url, str) or not url:
            raise AdapterError("bad_answer", "视频平台没有给出直播地址")
        return url

    def _playback(self, channel, start: datetime, end: datetime, page_uuid: str = "") -> dict:
        return self.call(PLAYBACK, {"cameraIndexCode": channel.remote_id, "recordLocation": "1",
                                    "protocol": "hls", "transmode": 1, "beginTime": _iso(start),
                                    "endTime": _iso(end), "uuid": page_uuid, "expand": "streamform=ps"})

    def recordings(self, channel, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        spans: list[tuple[datetime, datetime]] = []
        page_uuid = ""
        for _ in range(MAX_PAGES):
            data = self._playback(channel, start, end, page_uuid)
            items = data.get("list") or []
            if not isinstance(items, list):
                raise AdapterError("bad_answer", "视频平台返回的录像列表格式不对")
            for item in items:
                if not isinstance(item, dict):
                    raise AdapterError("bad_answer", "视频平台返回的录像列表格式不对")
                spans.append((_parse(item.get("beginTime")), _parse(item.get("endTime"))))
            # A recorder's segments come in pages: the answer's uuid asks for the next, until one is empty.
            next_uuid = str(data.get("uuid") or "")
            if not items or not next_uuid or next_uuid == page_uuid:
                break
            page_uuid = next_uuid
        return spans

    def playback_source(self, channel, start: datetime, end: datetime) -> str:
        url = self._playback(channel, start, end).get("url")
        if not isinstance(url, str) or not url:
            raise AdapterError("bad_answer", "视频平台没有给出回放地址")
        return url

    def probe(self, channel, *, timeout: float) -> ProbeResult:
        try:
            data = self.call(ONLINE, {"indexCodes": [channel.remote_id], "pageNo": 1, "pageSize": 1},
                             timeout=timeout)
        except AdapterError as exc:
            return ProbeResult(False, exc.message, clock.now(), exc.code)
        found = [i for i in data.get("list") or [] if isinstance(i, dict) and i.get("indexCode") == channel.remote_id]
        if not found:
            return ProbeResult(False, "视频平台上没有这个监控点", clock.now(), "not_found")
        if str(found[0].get("online")) != "1":
            return ProbeResult(False, "视频平台报告监控点离线", clock.now(), "offline")
        return ProbeResult(True, "视频平台报告在线", clock.now())

    def probe_playback(self, url: str, *, timeout: float) -> tuple[bool, str]:
        return ffprobe_video(url, timeout=timeout)
