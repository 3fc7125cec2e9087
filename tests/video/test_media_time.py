"""Media time vs business time: cameras, recorders and ffmpeg stamp their streams with the real
time, while a demo or training session may run the business clock (`clock.now()`) hours away. The
probe, the 7-day playback check and a picked playback moment compare media with `clock.real_now()`
and still show people the business clock. And the 7-day uptime as charts matching the figures."""

import json
import random
import re
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.conftest import login
from tests.video.conftest import make_channel, make_device
from zhucan.core import clock
from zhucan.video.adapters import ProbeResult
from zhucan.video.health import probe_all, status_record, uptime_by
from zhucan.video.models import PlaybackOutcome
from zhucan.video.playback import playback_check
from zhucan.video.relay import resolve_source
from zhucan.video.selectors import percent

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def shifted_clock(monkeypatch):
    """The business clock moved `hours` away from the real one (as ZHUCAN_CLOCK_START does);
    `clock.real_now()` stays the real time the stand-ins stamp their media with."""
    def shift(hours: float) -> timedelta:
        delta = timedelta(hours=hours)
        monkeypatch.setattr(clock, "now", lambda: timezone.now() + delta)
        return delta
    return shift


@pytest.mark.parametrize("hours", [-11, 3])
def test_a_live_playlist_stamped_with_real_time_is_online_on_a_shifted_clock(world, hls_origin, shifted_clock, hours):
    shifted_clock(hours)
    device = make_device(world, "hls", hls_origin.url)
    live = make_channel(world, device, "cooking", f"/live/ok-mt{hours}.m3u8")
    late = make_channel(world, device, "washing", f"/live/behind-mt{hours}.m3u8")  # really 10 minutes late
    summary = probe_all(concurrency=2)
    assert (summary.online, summary.offline) == (1, 1), summary.offline_channels
    live.refresh_from_db()
    late.refresh_from_db()
    assert live.online is True and live.last_detail == "直播正常"
    assert late.online is False and late.last_detail.startswith("画面时间落后") and "秒" in late.last_detail
    lag = int(re.search(r"落后(\d+)秒", late.last_detail)[1])
    assert 590 <= lag <= 620  # ten minutes behind the real time, not hours
    # The history is kept on the business clock people see.
    assert abs(live.status_since - clock.now()) < timedelta(minutes=1)


def test_the_playback_check_judges_media_time_and_speaks_business_time(world, hls_origin, shifted_clock):
    shift = shifted_clock(5)  # ahead of the recorder by five hours: judged on it, the newest 5 h look missing
    device = make_device(world, "hls", hls_origin.url, name="录像机")
    make_channel(world, device, "dining", "/live/ok-mt.m3u8", record_path="/record/full.m3u8?start={start}&end={end}")
    check = playback_check(world.canteen, rng=random.Random(3), timeout=5)
    assert (check.outcome, check.passed) == (PlaybackOutcome.PASSED, True), check.detail
    now = clock.now()
    assert abs(check.checked_at - now) < timedelta(minutes=1) and check.local_date == clock.local_date(now)
    assert abs(check.window_start - (now - timedelta(days=7))) < timedelta(minutes=1)
    assert check.window_start <= check.sample_at < now
    assert f"抽查{check.sample_at.astimezone(SH):%Y-%m-%d %H:%M}的录像可播放" in check.detail
    # Only five days kept: the oldest recording is said on the business clock.
    device.channels.update(record_path="/record/five.m3u8?start={start}&end={end}")
    check = playback_check(world.canteen, rng=random.Random(3), timeout=5)
    assert check.outcome == PlaybackOutcome.TOO_SHORT
    assert abs(check.oldest - (now - timedelta(days=5))) < timedelta(minutes=11)  # segments on a 10-minute grid
    assert check.detail.startswith(f"最早录像{check.oldest.astimezone(SH):%Y-%m-%d %H:%M}，不足7天")
    assert abs((check.oldest - shift) - (clock.real_now() - timedelta(days=5))) < timedelta(minutes=11)


def test_a_picked_playback_moment_is_asked_of_the_recorder_in_real_time(world, hls_origin, shifted_clock):
    shift = shifted_clock(-11)
    device = make_device(world, "hls", hls_origin.url, name="录像机")
    channel = make_channel(world, device, "dining", "/live/ok-mt.m3u8",
                           record_path="/record/full.m3u8?start={start}&end={end}")
    picked = (clock.now() - timedelta(hours=2)).replace(microsecond=0)  # two hours ago on the business clock
    url, seconds = resolve_source(channel.pk, int(picked.timestamp()))
    asked = int(parse_qs(urlsplit(url).query)["start"][0])
    assert asked == int((picked - shift).timestamp()) and seconds > 0
    assert abs(datetime.fromtimestamp(asked, SH) - (clock.real_now() - timedelta(hours=2))) < timedelta(minutes=1)


def _charts(response) -> dict:
    page = response.content.decode()
    found = re.search(r'<script id="dash-charts" type="application/json">(.*?)</script>', page, re.S)
    assert found, "the page embeds no chart data"
    return json.loads(found[1])


def test_uptime_charts_match_the_figures_and_the_wall_shows_seven_days(client, world, hls_origin, frozen_clock):
    device = make_device(world, "hls", hls_origin.url)
    channel = make_channel(world, device, "cooking", "/live/ok-ch.m3u8")
    for online, at in [(True, datetime(2026, 12, 5, 0, 0, tzinfo=SH)), (False, datetime(2026, 12, 6, 6, 0, tzinfo=SH)),
                       (True, datetime(2026, 12, 6, 12, 0, tzinfo=SH))]:
        status_record(channel, ProbeResult(online, "直播正常" if online else "无法连接", at), at=at)
        channel.refresh_from_db()
    frozen_clock(datetime(2026, 12, 7, 20, 0, tzinfo=SH))
    login(client, world.users["district_admin"])
    response = client.get("/video/devices/health/")
    assert response.status_code == 200
    charts = _charts(response)
    days = [datetime(2026, 12, d).date() for d in range(1, 8)]
    assert charts["district"]["categories"] == [f"12月{d}日" for d in range(1, 8)]
    expected = [None, None, None, None, 100.0, 75.0, 100.0]  # unknown before the first probe: a gap, not a zero
    assert [percent(uptime_by(d).get(world.canteen.pk)) for d in days] == expected
    assert charts["canteen"]["series"] == [{"name": world.canteen.name, "data": expected}]
    assert charts["district"]["series"] == [{"name": world.xihu.name, "data": expected}]
    assert charts["district"]["kind"] == "line" and charts["district"]["percent"] is True
    page = response.content.decode()
    assert 'data-chart="canteen"' in page and 'data-chart="district"' in page and "75%" in page
    assert "analytics/vendor/echarts.min.js" in page
    wall = client.get("/video/").content.decode()
    assert "近7天在线率 91.2%" in wall  # 62 of 68 known hours online
