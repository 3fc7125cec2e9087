"""POST /api/v1/video/events: a kitchen AI box's event, signed like a terminal's call, filed as an
alert with its snapshot; idempotent on the box's event id; refusals precise."""

import base64
import io

import pytest

from tests.api.conftest import Signed
from tests.video.conftest import make_channel, make_device
from zhucan.alerts.models import Alert
from zhucan.core import clock
from zhucan.video.models import AiEvent


def _jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (32, 24), (120, 30, 30)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def box(client, world, frozen_clock):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from zhucan.api.services import terminal_register

    frozen_clock(datetime(2026, 12, 7, 11, 5, tzinfo=ZoneInfo("Asia/Shanghai")))
    reg = terminal_register(actor=None, canteen=world.canteen, name="后厨AI盒子", vendor="某视觉科技")
    return Signed(client, reg.terminal.key_id, reg.secret, lambda: clock.now())


@pytest.fixture
def kitchen(world):
    device = make_device(world, "hls", "http://127.0.0.1:9")
    return make_channel(world, device, "cooking", "/live/cook.m3u8", name="烹饪间")


def _event(channel, **over):
    return {"channel_id": channel.pk, "event_id": "box7-0042", "type": "no_hat",
            "occurred_at": "2026-12-07T11:02:13+08:00", "snapshot_b64": base64.b64encode(_jpeg()).decode(),
            "note": "3号灶台", **over}


def test_an_event_becomes_an_alert_with_its_snapshot_once(box, kitchen, world):
    response = box.post("/api/v1/video/events", _event(kitchen))
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["type_label"], body["channel"], body["replayed"]) == ("未戴厨师帽", "烹饪间", False)
    alert = Alert.objects.get(pk=body["alert_id"])
    assert alert.rule == "video.ai_event" and alert.canteen_id == world.canteen.pk
    assert alert.title == "北山长者食堂烹饪：未戴厨师帽" and alert.snapshot_content_type == "image/jpeg"
    assert bytes(alert.snapshot) == _jpeg() and alert.details["发生时间"] == "2026-12-07 11:02:13"
    again = box.post("/api/v1/video/events", _event(kitchen))  # a resend (new nonce, same event)
    assert again.status_code == 200 and again.json()["replayed"] is True
    assert again.json()["alert_id"] == body["alert_id"]
    assert Alert.objects.filter(rule="video.ai_event").count() == 1 and AiEvent.objects.count() == 1
    conflict = box.post("/api/v1/video/events", _event(kitchen, type="smoking"))
    assert conflict.status_code == 409 and conflict.json()["code"] == "VIDEO_EVENT_CONFLICT"


def test_refusals_write_nothing(box, kitchen, world):
    other_device = make_device(world, "hls", "http://127.0.0.1:9", canteen=world.other_canteen,
                               actor=world.other["district_admin"])
    other = make_channel(world, other_device, "cooking", "/live/x.m3u8", actor=world.other["district_admin"])
    cases = [
        (_event(other), 404, "VIDEO_CHANNEL_UNKNOWN"),
        (_event(kitchen, snapshot_b64="not base64!"), 400, "VIDEO_SNAPSHOT_INVALID"),
        (_event(kitchen, snapshot_b64=base64.b64encode(b"GIF89a" + b"0" * 40).decode()), 400, "VIDEO_SNAPSHOT_INVALID"),
        (_event(kitchen, snapshot_b64=base64.b64encode(b"\xff\xd8\xff" + b"0" * 1100 * 1024).decode()), 413,
         "VIDEO_SNAPSHOT_TOO_LARGE"),
        (_event(kitchen, occurred_at="2026-12-07T13:00:00+08:00"), 400, "VIDEO_EVENT_TIME"),
        (_event(kitchen, type="sleeping"), 400, "INPUT_INVALID"),
    ]
    for body, status, code in cases:
        response = box.post("/api/v1/video/events", body)
        assert (response.status_code, response.json()["code"]) == (status, code), body.get("type")
    assert not Alert.objects.exists() and not AiEvent.objects.exists()


def test_bad_signature_and_replayed_nonce(box, kitchen):
    forged = box.post("/api/v1/video/events", _event(kitchen), sign_with="not-the-secret")
    assert forged.status_code == 401 and forged.json()["code"] == "SIGNATURE_INVALID"
    first = box.post("/api/v1/video/events", _event(kitchen), nonce="n" * 20)
    assert first.status_code == 200
    replay = box.post("/api/v1/video/events", _event(kitchen), nonce="n" * 20)
    assert replay.status_code == 401 and replay.json()["code"] == "NONCE_REUSED"
