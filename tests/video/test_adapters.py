"""Each adapter against a local stand-in speaking its protocol: answers, refusals, slowness, garbage."""

import socket
import threading
import time
from datetime import timedelta

import pytest

from tests.video.conftest import make_channel, make_device
from tests.video.standins import isc as isc_standin
from tests.video.standins import wvp as wvp_standin
from zhucan.core import clock
from zhucan.video.adapters import AdapterError, adapter_for
from zhucan.video.adapters.hls import parse_playlist, probe_live_hls
from zhucan.video.adapters.isc import string_to_sign


@pytest.mark.parametrize(("case", "online", "code"), [
    ("ok", True, ""), ("master", True, ""), ("stalled", False, "stalled"), ("behind", False, "behind"),
    ("dark", False, "not_found"), ("garbage", False, "bad_answer"), ("auth", False, "bad_credentials"),
    ("ended", False, "not_live"),
])
def test_hls_live_probe(hls_origin, case, online, code):
    result = probe_live_hls(f"{hls_origin.url}/live/{case}-a.m3u8", timeout=1)
    assert (result.online, result.code) == (online, code), result.detail


def test_hls_probe_of_a_slow_origin_gives_up_at_its_timeout(hls_origin):
    started = time.monotonic()
    result = probe_live_hls(f"{hls_origin.url}/live/slow-a.m3u8", timeout=0.5)
    assert not result.online and result.code == "timeout"
    assert time.monotonic() - started < 2


def test_unreachable_address_is_offline_quickly():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens
    result = probe_live_hls(f"http://127.0.0.1:{port}/live.m3u8", timeout=1)
    assert not result.online and result.code == "unreachable"


def test_playlist_parsing_carries_program_date_time_over_segments():
    pl = parse_playlist("#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:7\n#EXT-X-TARGETDURATION:4\n"
                        "#EXT-X-PROGRAM-DATE-TIME:2026-12-01T08:00:00.000+08:00\n#EXTINF:4.0,\na.ts\n#EXTINF:4.0,\nb.ts\n"
                        "#EXT-X-DISCONTINUITY\n#EXTINF:4.0,\nc.ts\n")
    assert pl.media_sequence == 7 and [s.uri for s in pl.segments] == ["a.ts", "b.ts", "c.ts"]
    assert pl.segments[1].start - pl.segments[0].start == timedelta(seconds=4)
    assert pl.segments[2].start is None  # after a discontinuity only its own date-time counts
    with pytest.raises(AdapterError) as bad:
        parse_playlist("<html>")
    assert bad.value.code == "bad_answer"


def test_hls_recordings_from_the_recorder_playlist(world, hls_origin, frozen_clock):
    now = frozen_clock(clock.now().replace(microsecond=0))
    device = make_device(world, "hls", hls_origin.url)
    channel = make_channel(world, device, "dining", "/live/ok-r.m3u8",
                           record_path="/record/gap.m3u8?start={start}&end={end}")
    spans = adapter_for(device).recordings(channel, now - timedelta(days=7), now)
    assert len(spans) == 2  # the 20-minute hole splits them
    assert now - timedelta(days=7, minutes=10) <= spans[0][0] <= now - timedelta(days=7)
    assert spans[1][0] - spans[0][1] == timedelta(minutes=20)


# --- Hikvision iSecure Center -------------------------------------------------------------------------

def test_artemis_signature_matches_the_documented_string():
    text, signed = string_to_sign("POST", "/artemis/api/video/v2/cameras/previewURLs", {
        "Accept": "*/*", "Content-Type": "application/json", "X-Ca-Key": "1", "X-Ca-Timestamp": "5", "X-Ca-Nonce": "n"})
    assert text == ("POST\n*/*\napplication/json\nx-ca-key:1\nx-ca-nonce:n\nx-ca-timestamp:5\n"
                    "/artemis/api/video/v2/cameras/previewURLs")
    assert signed == "x-ca-key,x-ca-nonce,x-ca-timestamp"


def _isc(world, platform, secret=isc_standin.APP_SECRET):
    return make_device(world, "isc", platform.url, username=isc_standin.APP_KEY, secret=secret,
                       name=f"ISC-{secret[:4]}")


def test_isc_preview_playback_and_online(world, isc_platform, hls_origin, frozen_clock):
    now = frozen_clock(clock.now().replace(microsecond=0))
    device = _isc(world, isc_platform)
    channel = make_channel(world, device, "dining", "cam-full")
    adapter = adapter_for(device)
    assert adapter.live_source(channel) == hls_origin.url + "/live/ok-isc.m3u8"
    spans = adapter.recordings(channel, now - timedelta(days=7), now)
    assert len(spans) == 168  # hourly, over two pages of the platform's paging
    assert spans[0][0] == now - timedelta(days=7) and spans[-1][1] == now
    assert "/record/full.m3u8?start=" in adapter.playback_source(channel, now - timedelta(hours=1), now)
    assert adapter.probe(channel, timeout=1).online
    off = make_channel(world, device, "cooking", "cam-off")
    result = adapter.probe(off, timeout=1)
    assert not result.online and result.code == "offline"


def test_isc_wrong_secret_is_bad_credentials(world, isc_platform):
    device = _isc(world, isc_platform, secret="wrong-secret-0000")
    channel = make_channel(world, device, "dining", "cam-full")
    with pytest.raises(AdapterError) as refused:
        adapter_for(device).live_source(channel)
    assert refused.value.code == "bad_credentials"
    assert adapter_for(device).probe(channel, timeout=1).code == "bad_credentials"


@pytest.mark.parametrize(("camera", "code"), [("cam-slow", "timeout"), ("cam-garbage", "bad_answer")])
def test_isc_slow_or_garbage(world, isc_platform, settings, camera, code):
    settings.ZHUCAN_VIDEO_HTTP_TIMEOUT = 0.5
    device = _isc(world, isc_platform)
    channel = make_channel(world, device, "dining", camera)
    started = time.monotonic()
    with pytest.raises(AdapterError) as failed:
        adapter_for(device).live_source(channel)
    assert failed.value.code == code
    assert time.monotonic() - started < 2


# --- GB28181 through WVP-GB28181-pro -------------------------------------------------------------------

def _gb(world, platform, device_id=wvp_standin.DEV_OK, password=wvp_standin.PASSWORD):
    return make_device(world, "gb28181", platform.url, remote_id=device_id, username=wvp_standin.USER,
                       secret=password, name=f"NVR-{device_id[-2:]}-{password[:3]}")


def test_gb28181_through_wvp(world, wvp_platform, hls_origin, frozen_clock):
    now = frozen_clock(clock.now().replace(microsecond=0))
    device = _gb(world, wvp_platform)
    full = make_channel(world, device, "dining", wvp_standin.CH_FULL)
    adapter = adapter_for(device)
    assert adapter.live_source(full) == hls_origin.url + "/live/ok-gb.m3u8"
    spans = adapter.recordings(full, now - timedelta(days=7), now)
    assert spans[0][0] == now - timedelta(days=7) and spans[-1][1] == now
    assert adapter.probe(full, timeout=1).online
    off = make_channel(world, device, "cooking", wvp_standin.CH_OFF)
    assert adapter.probe(off, timeout=1).code == "offline"
    assert "/record/full.m3u8" in adapter.playback_source(full, now - timedelta(minutes=1), now)


@pytest.mark.parametrize(("device_id", "code"), [(wvp_standin.DEV_OFF, "offline"),
                                                 (wvp_standin.DEV_STALE, "no_keepalive")])
def test_gb28181_device_offline_or_keepalive_missed(world, wvp_platform, device_id, code):
    device = _gb(world, wvp_platform, device_id)
    channel = make_channel(world, device, "dining", wvp_standin.CH_FULL)
    assert adapter_for(device).probe(channel, timeout=1).code == code


def test_gb28181_wrong_password_and_slow_platform(world, wvp_platform, settings):
    device = _gb(world, wvp_platform, password="nope")
    channel = make_channel(world, device, "dining", wvp_standin.CH_FULL)
    assert adapter_for(device).probe(channel, timeout=1).code == "bad_credentials"
    settings.ZHUCAN_VIDEO_HTTP_TIMEOUT = 0.5
    slow = _gb(world, wvp_platform, device_id=wvp_standin.DEV_SLOW)
    channel = make_channel(world, slow, "dining", wvp_standin.CH_FULL)
    started = time.monotonic()
    assert adapter_for(slow).probe(channel, timeout=0.5).code == "timeout"
    assert time.monotonic() - started < 2


# --- RTSP --------------------------------------------------------------------------------------------

def test_rtsp_probe_refused_and_silent_server_time_out(world):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    device = make_device(world, "rtsp", f"rtsp://127.0.0.1:{closed}", username="admin", secret="p@ss:word")
    channel = make_channel(world, device, "cooking", "/Streaming/Channels/101")
    live = adapter_for(device).live_source(channel)
    assert live.startswith("rtsp://admin:p%40ss%3Aword@127.0.0.1:")
    result = adapter_for(device).probe(channel, timeout=1)
    assert not result.online and "p@ss" not in result.detail

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)
    accepted = []
    threading.Thread(target=lambda: accepted.append(silent.accept()), daemon=True).start()
    try:
        device2 = make_device(world, "rtsp", f"rtsp://127.0.0.1:{silent.getsockname()[1]}", name="静默摄像机")
        channel2 = make_channel(world, device2, "cooking", "/live")
        started = time.monotonic()
        result = adapter_for(device2).probe(channel2, timeout=1)
        assert not result.online
        assert time.monotonic() - started < 3  # ffprobe killed at the timeout, never hangs
    finally:
        silent.close()
    with pytest.raises(AdapterError):
        adapter_for(device).recordings(channel, clock.now() - timedelta(days=1), clock.now())
