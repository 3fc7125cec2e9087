import shutil
import subprocess

import pytest

from zhucan.core import clock


@pytest.fixture(scope="session")
def ts_segment(tmp_path_factory) -> bytes:
    """One real second of H.264 in MPEG-TS (what a recorder's segment is), made by ffmpeg."""
    out = tmp_path_factory.mktemp("video") / "seg.ts"
    subprocess.run([shutil.which("ffmpeg") or "/usr/bin/ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc=size=160x120:rate=5", "-t", "1", "-c:v", "libx264", "-preset", "ultrafast",
                    "-f", "mpegts", str(out)], check=True, timeout=30)
    return out.read_bytes()


@pytest.fixture(scope="session")
def hls_origin(ts_segment):
    from tests.video.standins.hls import HlsStandIn

    server = HlsStandIn(ts_segment, now=lambda: clock.real_now())
    yield server
    server.close()


@pytest.fixture(scope="session")
def isc_platform(hls_origin):
    from tests.video.standins.isc import IscStandIn

    server = IscStandIn(hls_origin, now=lambda: clock.real_now())
    yield server
    server.close()


@pytest.fixture(scope="session")
def wvp_platform(hls_origin):
    from tests.video.standins.wvp import WvpStandIn

    server = WvpStandIn(hls_origin, now=lambda: clock.real_now())
    yield server
    server.close()


@pytest.fixture(autouse=True)
def _video_settings(settings):
    settings.ZHUCAN_VIDEO_PROBE_INTERVAL = 0  # the stand-in moves its live playlist on every read
    settings.ZHUCAN_VIDEO_HTTP_TIMEOUT = 2
    settings.ZHUCAN_VIDEO_PROBE_TIMEOUT = 1


def make_device(world, mode, address, *, actor=None, canteen=None, **values):
    from zhucan.video.services import device_create

    actor = actor or world.users["district_admin"]
    canteen = canteen or world.canteen
    values = {"name": values.pop("name", f"{mode}设备"), "access_mode": mode, "address": address, **values}
    return device_create(actor=actor, canteen_id=canteen.pk, values=values)


def make_channel(world, device, zone, remote_id, *, actor=None, **values):
    from zhucan.video.services import channel_create

    actor = actor or world.users["district_admin"]
    values = {"name": values.pop("name", f"{zone}-{remote_id[-12:]}"), "zone": zone, "remote_id": remote_id,
              "public": values.pop("public", zone != "dining"), **values}
    return channel_create(actor=actor, device_id=device.pk, values=values)
