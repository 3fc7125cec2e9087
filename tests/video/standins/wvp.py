"""A stand-in WVP-GB28181-pro platform (its REST API): login with the MD5 of the password giving an
access token; a device with keepalive state; its channels' status; RecordInfo-backed record queries;
play and playback starts returning the media server's stream URLs. Answers are
`{"code": 0, "msg": "成功", "data": …}`; times "yyyy-MM-dd HH:mm:ss" local (Asia/Shanghai).

Devices: 34020000001320000001 online (keepalive 30 s ago), …0002 offline, …0003 online but its
last keepalive 10 minutes ago, …0009 answers after 30 s. Channels of …0001: …1310000001 on with
8 days of records, …1310000002 off, …1310000003 on with 5 days of records."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.video.standins.base import Answer, StandIn, json_answer

USER, PASSWORD = "admin", "wvp-Pa55"
LOCAL = ZoneInfo("Asia/Shanghai")
FMT = "%Y-%m-%d %H:%M:%S"
DEV_OK, DEV_OFF, DEV_STALE, DEV_SLOW = ("34020000001320000001", "34020000001320000002",
                                        "34020000001320000003", "34020000001320000009")
CH_FULL, CH_OFF, CH_FIVE = "34020000001310000001", "34020000001310000002", "34020000001310000003"


def _ok(data) -> Answer:
    return json_answer({"code": 0, "msg": "成功", "data": data})


class WvpStandIn(StandIn):
    def __init__(self, hls, now):
        self.hls, self.now = hls, now
        self.tokens: set[str] = set()
        super().__init__(self.app)

    def app(self, request) -> Answer:
        path, q = request.path, request.query
        if path == "/api/user/login":
            if q.get("username") == USER and q.get("password") == hashlib.md5(PASSWORD.encode()).hexdigest():
                token = uuid.uuid4().hex
                self.tokens.add(token)
                return _ok({"username": USER, "accessToken": token})
            return json_answer({"code": 1, "msg": "用户名或密码错误", "data": None})
        if request.headers.get("access-token") not in self.tokens:
            return json_answer({"code": 401, "msg": "请登录后重新请求"}, 401)
        parts = path.strip("/").split("/")
        if DEV_SLOW in parts:
            return Answer(200, b"{}", delay=30)
        now = self.now().astimezone(LOCAL)
        if parts[:4] == ["api", "device", "query", "devices"] and len(parts) == 5:
            device = parts[4]
            keepalive = now - (timedelta(minutes=10) if device == DEV_STALE else timedelta(seconds=30))
            return _ok({"deviceId": device, "name": "NVR", "onLine": device != DEV_OFF,
                        "keepaliveTime": keepalive.strftime(FMT), "keepaliveIntervalTime": 60})
        if parts[:4] == ["api", "device", "query", "devices"] and parts[5:] == ["channels"]:
            return _ok({"total": 3, "list": [
                {"channelId": CH_FULL, "name": "就餐区", "status": 1},
                {"channelId": CH_OFF, "name": "烹饪", "status": 0},
                {"channelId": CH_FIVE, "name": "清洗", "status": 1}]})
        if parts[:3] == ["api", "gb_record", "query"]:
            return self._records(parts[4], q, now)
        if parts[:3] == ["api", "play", "start"]:
            return _ok({"app": "rtp", "stream": f"{parts[3]}_{parts[4]}", "hls": self.hls.url + "/live/ok-gb.m3u8",
                        "rtsp": "rtsp://127.0.0.1:554/rtp/stream"})
        if parts[:3] == ["api", "playback", "start"]:
            start = datetime.strptime(q["startTime"], FMT).replace(tzinfo=LOCAL)
            end = datetime.strptime(q["endTime"], FMT).replace(tzinfo=LOCAL)
            return _ok({"app": "rtp", "stream": "playback", "hls":
                        f"{self.hls.url}/record/full.m3u8?start={int(start.timestamp())}&end={int(end.timestamp())}"})
        return json_answer({"code": 404, "msg": "not found"}, 404)

    def _records(self, channel: str, q: dict, now: datetime) -> Answer:
        try:
            start = datetime.strptime(q["startTime"], FMT).replace(tzinfo=LOCAL)
            end = datetime.strptime(q["endTime"], FMT).replace(tzinfo=LOCAL)
        except (KeyError, ValueError):
            return json_answer({"code": -1, "msg": "startTime error, format is yyyy-MM-dd HH:mm:ss"})
        kept = timedelta(days=5) if channel == CH_FIVE else timedelta(days=8)
        t, items = max(start, now - kept), []
        while t < end:
            e = min(t + timedelta(hours=2), end)
            items.append({"deviceId": channel, "name": "录像", "filePath": f"/rec/{t:%Y%m%d%H%M}.mp4",
                          "startTime": t.strftime(FMT), "endTime": e.strftime(FMT), "secrecy": 0, "type": "time"})
            t = e
        return _ok({"deviceId": DEV_OK, "channelId": channel, "sumNum": len(items), "recordList": items})
