"""A stand-in Hikvision iSecure Center OpenAPI gateway (Artemis): checks the AK/SK signature as the
gateway documents it (HMAC-SHA256 over method, Accept, Content-MD5, Content-Type, Date, the signed
X-Ca-* headers and the path, Base64), then answers previewURLs, playbackURLs (paged by uuid) and
the cameras' online status in the platform's `{"code": "0", "msg": "success", "data": …}` shape.

Camera codes: `cam-<case>` where the case is a recorder case of the HLS stand-in (full, gap, five,
noseg), `cam-off` (offline), `cam-slow` (answers after 30 s), `cam-garbage` (HTML)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta

from tests.video.standins.base import Answer, StandIn, json_answer

APP_KEY, APP_SECRET = "24890117", "Xk2NeyQc9s7R4iS1rTmB"
PAGE = 100


def _expected_signature(request, secret: str) -> str:
    h = request.headers
    text = request.method + "\n"
    for name in ("accept", "content-md5", "content-type", "date"):
        if name in h:
            text += h[name] + "\n"
    names = [n.strip().lower() for n in h.get("x-ca-signature-headers", "").split(",") if n.strip()]
    for name in sorted(names):
        text += f"{name}:{h.get(name, '').strip()}\n"
    text += request.path
    return base64.b64encode(hmac.new(secret.encode(), text.encode(), hashlib.sha256).digest()).decode()


class IscStandIn(StandIn):
    def __init__(self, hls, now):
        self.hls, self.now = hls, now
        self.pages: dict[str, list] = {}
        super().__init__(self.app)

    def app(self, request) -> Answer:
        h = request.headers
        if h.get("x-ca-key") != APP_KEY or "x-ca-key" not in h.get("x-ca-signature-headers", ""):
            return json_answer({"code": "0x02401003", "msg": "AppKey not found"}, 401)
        if not hmac.compare_digest(h.get("x-ca-signature", ""), _expected_signature(request, APP_SECRET)):
            return json_answer({"code": "0x02401007", "msg": "signature mismatch"}, 401)
        try:
            body = json.loads(request.body)
        except ValueError:
            return json_answer({"code": "0x02400001", "msg": "bad body"}, 400)
        camera = str(body.get("cameraIndexCode") or (body.get("indexCodes") or [""])[0])
        if camera == "cam-slow":
            return Answer(200, b"{}", delay=30)
        if camera == "cam-garbage":
            return Answer(200, b"<html>502 Bad Gateway</html>")
        if request.path.endswith("/previewURLs"):
            return json_answer({"code": "0", "msg": "success", "data": {"url": self.hls.url + "/live/ok-isc.m3u8"}})
        if request.path.endswith("/playbackURLs"):
            return self._playback(camera, body)
        if request.path.endswith("/online/camera/get"):
            online = 0 if camera == "cam-off" else 1
            item = {"indexCode": camera, "online": online, "collectTime": self.now().isoformat()}
            return json_answer({"code": "0", "msg": "success",
                                "data": {"total": 1, "pageNo": 1, "pageSize": 1, "list": [item]}})
        return json_answer({"code": "0x02400404", "msg": "api not found"}, 404)

    def _playback(self, camera: str, body: dict) -> Answer:
        case = camera.removeprefix("cam-")
        page_uuid = body.get("uuid") or ""
        begin = datetime.fromisoformat(body["beginTime"])
        end = datetime.fromisoformat(body["endTime"])
        if not page_uuid:
            now = self.now()
            kept = timedelta(days=5) if case == "five" else timedelta(days=8)
            start = max(begin, now - kept)
            items, t = [], start
            while t < end:
                e = min(t + timedelta(hours=1), end)
                if case == "gap" and now - timedelta(days=3) <= t < now - timedelta(days=3) + timedelta(hours=1):
                    t = e  # an hour the recorder lost
                    continue
                items.append({"lockType": 0, "beginTime": t.isoformat(timespec="milliseconds"),
                              "endTime": e.isoformat(timespec="milliseconds"), "size": 1024})
                t = e
            self.pages[camera] = items
            page_uuid = f"{camera}-0"
        index = int(page_uuid.rsplit("-", 1)[1])
        items = self.pages.get(camera, [])
        chunk = items[index * PAGE:(index + 1) * PAGE]
        qs = f"start={int(begin.timestamp())}&end={int(end.timestamp())}"
        record = "noseg" if case == "noseg" else "full"
        return json_answer({"code": "0", "msg": "success", "data": {
            "list": chunk, "uuid": f"{camera}-{index + 1}", "url": f"{self.hls.url}/record/{record}.m3u8?{qs}"}})
