"""Watching video (issue #19 items 3 and 6): signed addresses on every playlist and segment, the
jurisdiction of dining-area video, the view log, the public kiosk's channels, the relay's
supervisor giving up a stream nobody watches."""

from __future__ import annotations

import json
import os
import re
import time
from datetime import timedelta

import pytest

from tests.conftest import login
from tests.video.viewing_helpers import register_cameras, relay_output
from zhucan.core import clock
from zhucan.core.models import AuditLog
from zhucan.video.models_viewing import ViewSession
from zhucan.video.relay import Relay, relay_want, stream_dir
from zhucan.video.services import channel_update
from zhucan.video.tokens import token_issue


@pytest.fixture
def cams(world, settings, tmp_path):
    settings.ZHUCAN_VIDEO_DIR = tmp_path / "video"
    return register_cameras(world)


def _open(client, channel, purpose="complaint", **extra):
    return client.post(f"/video/channels/{channel.pk}/open/", {"purpose": purpose, "mode": "live", **extra})


def _token_of(response) -> str:
    return re.search(r'data-token="([^"]+)"', response.content.decode())[1]


def test_signed_addresses_are_checked_on_every_playlist_and_segment(client, world, cams, frozen_clock):
    now = frozen_clock(clock.now())
    district = world.users["district_admin"]
    login(client, district)
    player = client.get(_open(client, cams.dining)["Location"])
    assert player.status_code == 200
    token = _token_of(player)
    key = f"live-{cams.dining.pk}"
    relay_output(key)
    playlist = client.get(f"/video/hls/{key}/index.m3u8", {"t": token})
    assert playlist.status_code == 200
    assert playlist["Content-Type"] == "application/vnd.apple.mpegurl"
    assert f"seg-00001.ts?t={token}" in playlist.content.decode()  # the segments carry the token too
    segment = client.get(f"/video/hls/{key}/seg-00001.ts", {"t": token})
    assert segment.status_code == 200 and b"".join(segment.streaming_content)[:1] == b"G"

    def refused(t, path="index.m3u8", who=client):
        answer = who.get(f"/video/hls/{key}/{path}", {"t": t})
        return answer.status_code == 403

    # No token, a forged one, one for another channel (the kitchen), one of another user.
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    other_channel = token_issue(channel_id=cams.kitchen.pk, user_id=district.pk, session_id=None)
    for bad in ("", forged, other_channel):
        assert refused(bad) and refused(bad, "seg-00001.ts")
    from django.test import Client

    city = login(Client(), world.users["city_admin"])
    assert refused(token, who=city) and refused(token, "seg-00001.ts", who=city)
    anonymous = Client()
    assert refused(token, who=anonymous) and refused(token, "seg-00002.ts", who=anonymous)
    # Expired: five minutes later the same token opens nothing; the heartbeat gives a fresh one.
    frozen_clock(now + timedelta(minutes=5, seconds=1))
    assert refused(token) and refused(token, "seg-00001.ts")
    session = ViewSession.objects.get()
    beat = client.post(f"/video/sessions/{session.pk}/beat/")
    assert beat.status_code == 200
    fresh = beat.json()["token"]
    assert client.get(f"/video/hls/{key}/index.m3u8", {"t": fresh}).status_code == 200
    # Once the viewing is ended, its token no longer opens the playlist.
    client.post(f"/video/sessions/{session.pk}/end/")
    assert refused(fresh)


def test_dining_video_only_within_the_jurisdiction(client, world, cams):
    outsider = world.other["district_admin"]  # 上城区
    login(client, outsider)
    wall = client.get("/video/")
    assert wall.status_code == 200 and world.canteen.name not in wall.content.decode()
    assert client.get(f"/video/canteens/{world.canteen.pk}/").status_code == 404
    audits = AuditLog.objects.count()
    assert _open(client, cams.dining).status_code == 404
    assert not ViewSession.objects.exists() and AuditLog.objects.count() == audits
    for role in ("subdistrict_staff", "canteen_manager", "cashier"):  # no video console for them
        login(client, world.users[role])
        assert client.get("/video/").status_code == 403
        assert _open(client, cams.dining).status_code == 403
    assert not ViewSession.objects.exists()
    login(client, world.users["city_admin"])  # 杭州市 sees its districts' canteens
    assert world.canteen.name in client.get("/video/").content.decode()
    page = client.get(f"/video/canteens/{world.canteen.pk}/").content.decode()
    assert "就餐大厅" in page and "查看将被记录" in page


def test_view_log_records_who_what_why_and_when(client, world, cams, frozen_clock):
    start = frozen_clock(clock.now().replace(microsecond=0))
    district = world.users["district_admin"]
    district.display_name = "王建国"
    district.save()
    login(client, district)
    # A purpose is required; a playback older than 7 days is refused; nothing is written.
    _open(client, cams.dining, purpose="")
    when = (start - timedelta(days=7, minutes=5)).astimezone(clock.LOCAL_TZ)
    client.post(f"/video/channels/{cams.dining.pk}/open/", {"purpose": "incident", "mode": "playback",
                                                            "start": when.strftime("%Y-%m-%dT%H:%M")})
    assert not ViewSession.objects.exists()
    response = _open(client, cams.dining)
    session = ViewSession.objects.get()
    assert response["Location"] == f"/video/sessions/{session.pk}/"
    assert (session.user, session.dining, session.live, session.purpose) == (district, True, True, "complaint")
    assert AuditLog.objects.filter(action="video.view", actor=district, object_id=str(session.pk)).exists()
    player = client.get(f"/video/sessions/{session.pk}/").content.decode()
    assert "王建国 xihu_admin" in player and "nodownload" in player  # the watermark; no download
    frozen_clock(start + timedelta(minutes=3))
    assert client.post(f"/video/sessions/{session.pk}/beat/").status_code == 200
    frozen_clock(start + timedelta(minutes=4))
    client.post(f"/video/sessions/{session.pk}/end/")
    session.refresh_from_db()
    assert session.ended_at == start + timedelta(minutes=4)
    # A playback within the last 7 days: the range is recorded.
    back = (start - timedelta(days=2)).astimezone(clock.LOCAL_TZ)
    client.post(f"/video/channels/{cams.kitchen.pk}/open/", {"purpose": "incident", "mode": "playback",
                                                             "start": back.strftime("%Y-%m-%dT%H:%M")})
    playback = ViewSession.objects.get(live=False)
    assert playback.range_start == back.replace(second=0, microsecond=0) and playback.range_end > playback.range_start
    # Another user cannot beat or end someone's session.
    login(client, world.users["city_admin"])
    assert client.post(f"/video/sessions/{playback.pk}/beat/").status_code == 404

    page = client.get("/video/log/").content.decode()  # the city reads its districts' log
    assert page.count("王建国") == 2 and "投诉核查" in page and "事件调查" in page
    local_end = (start + timedelta(minutes=4)).astimezone(clock.LOCAL_TZ)
    assert local_end.strftime("%Y-%m-%d %H:%M:%S") in page
    login(client, world.users["auditor"])
    dining_only = client.get("/video/log/", {"dining": "1"}).content.decode()
    assert dining_only.count("王建国") == 1 and "就餐大厅" in dining_only
    login(client, world.other["district_admin"])
    assert "王建国" not in client.get("/video/log/").content.decode()


def test_wall_status_and_filter(client, world, cams):
    from zhucan.video.adapters import ProbeResult
    from zhucan.video.health import status_record

    login(client, world.users["city_admin"])
    assert "尚未检测" in client.get("/video/").content.decode()
    for channel in (cams.kitchen, cams.hidden, cams.dining):
        status_record(channel, ProbeResult(True, "直播正常", clock.now()))

    def names(status):
        page = client.get("/video/", {"status": status}).content.decode()
        return {n for n in (world.canteen.name, world.other_canteen.name) if n in page}

    assert names("online") == {world.canteen.name}
    assert names("none") == {world.other_canteen.name}  # 湖滨长者食堂 has no video
    status_record(cams.dining, ProbeResult(False, "无法连接", clock.now()))
    assert names("partial") == {world.canteen.name} and names("online") == set()
    page = client.get("/video/", {"district": world.shangcheng.pk}).content.decode()
    assert world.other_canteen.name in page and world.canteen.name not in page


def test_kiosk_shows_public_kitchen_channels_only(client, world, cams):
    page = client.get(f"/video/kitchen/{world.canteen.pk}/")  # no login: a public screen
    assert page.status_code == 200
    html = page.content.decode()
    assert world.canteen.name in html and "烹饪区" in html
    assert "就餐大厅" not in html and "库房" not in html
    streams = client.get(f"/video/kitchen/{world.canteen.pk}/streams.json").json()["streams"]
    assert [s["channel"] for s in streams] == [cams.kitchen.pk]
    key = f"live-{cams.kitchen.pk}"
    relay_output(key)
    assert client.get(f"/video/hls/{key}/index.m3u8", {"t": streams[0]["token"]}).status_code == 200
    # A kiosk token (nobody's) never opens the dining area or a kitchen channel kept off the screen.
    for channel in (cams.dining, cams.hidden):
        other = f"live-{channel.pk}"
        relay_output(other)
        token = token_issue(channel_id=channel.pk, user_id=None)
        assert client.get(f"/video/hls/{other}/index.m3u8", {"t": token}).status_code == 403
    # Taken off the public screen: the kiosk's token stops working at the next playlist.
    channel_update(actor=world.users["district_admin"], channel_id=cams.kitchen.pk, values={"public": False})
    assert client.get(f"/video/hls/{key}/index.m3u8", {"t": streams[0]["token"]}).status_code == 403
    assert client.get(f"/video/kitchen/{987654}/").status_code == 404


def test_relay_drops_an_unwatched_stream_and_tells_why_a_stream_does_not_open(client, world, cams):
    idle = f"live-{cams.hidden.pk}"
    relay_want(idle)
    old = time.time() - 600
    os.utime(stream_dir(idle) / "want.json", (old, old))
    channel_update(actor=world.users["district_admin"], channel_id=cams.dining.pk, values={"active": False})
    disabled = f"live-{cams.dining.pk}"
    relay_want(disabled)
    dark = f"live-{cams.kitchen.pk}"  # its recorder's address answers nothing
    relay_want(dark)
    relay = Relay(idle=60, retry=30)
    try:
        relay.tick()
        assert not stream_dir(idle).exists()  # nobody asked for it for a minute: gone
        assert "无法" in json.loads((stream_dir(disabled) / "error.json").read_text())["message"]
        assert relay.streams[disabled].proc is None
        relay.streams[dark].proc.wait(timeout=20)  # ffmpeg gives up on the refused connection
        relay.tick()
        token = token_issue(channel_id=cams.kitchen.pk, user_id=None)  # the kiosk's
        answer = client.get(f"/video/hls/{dark}/index.m3u8", {"t": token})
        assert answer.status_code == 502 and "摄像机暂时无法连接" in answer.content.decode()
    finally:
        relay.close()


def test_demo_video_live_dark_and_short_through_the_registry(world):
    from tests.conftest import make_canteen, make_region
    from zhucan.demo.video import seed_demo_video
    from zhucan.video.models import Channel, Device

    make_canteen(world.xihu_sub2, "西溪长者食堂")  # 330106002
    make_canteen(make_region("330106005", "翠苑街道", "subdistrict", world.xihu), "翠苑长者食堂")
    make_canteen(make_region("330106013", "文新街道", "subdistrict", world.xihu), "文新社区食堂")
    assert seed_demo_video() == 3
    assert seed_demo_video() == 0  # seeding again changes nothing
    devices = {d.canteen.name: d for d in Device.objects.select_related("canteen")}
    assert devices["西溪长者食堂"].address != devices["翠苑长者食堂"].address  # nothing listens for the dark one
    live = Channel.objects.filter(canteen__name="西溪长者食堂")
    assert sorted(live.filter(public=True).values_list("zone", flat=True)) == [
        "cooking", "cutting", "disinfection", "washing"]
    assert not live.get(zone="dining").public
    assert all("rec/short/" in c.record_path for c in Channel.objects.filter(canteen__name="文新社区食堂"))
