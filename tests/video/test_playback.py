"""The 7-day playback check against the stand-in recorder: passing, failing on a gap, on 5 days,
on footage that cannot be played, on an unreachable recorder; and stored with its alert."""

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.video.conftest import make_channel, make_device
from tests.video.standins import isc as isc_standin
from tests.video.standins import wvp as wvp_standin
from zhucan.alerts.models import Alert
from zhucan.video.models import PlaybackOutcome
from zhucan.video.playback import judge, merge, playback_check

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 7, 3, 0, tzinfo=SH)


def _hls_dining(world, origin, case):
    device = make_device(world, "hls", origin.url, name=f"录像机-{case}")
    return make_channel(world, device, "dining", "/live/ok-p.m3u8",
                        record_path=f"/record/{case}.m3u8?start={{start}}&end={{end}}")


@pytest.mark.parametrize(("case", "outcome", "passed"), [
    ("full", PlaybackOutcome.PASSED, True),
    ("gap", PlaybackOutcome.GAP, False),
    ("five", PlaybackOutcome.TOO_SHORT, False),
    ("noseg", PlaybackOutcome.SAMPLE_FAILED, False),
    ("garbage", PlaybackOutcome.UNREACHABLE, False),
])
def test_playback_check_against_the_recorder(world, hls_origin, frozen_clock, case, outcome, passed):
    frozen_clock(NOW)
    _hls_dining(world, hls_origin, case)
    check = playback_check(world.canteen, rng=random.Random(7), timeout=5)
    assert (check.outcome, check.passed) == (outcome, passed), check.detail
    assert check.local_date == NOW.date() and check.pk
    if case == "full":
        assert check.sample_ok and NOW - timedelta(days=7) <= check.sample_at < NOW
        assert check.detail.startswith("录像自2026-11-30 03:00起连续")
        assert not Alert.objects.filter(rule="video.playback_failing").exists()
    else:
        alert = Alert.objects.get(rule="video.playback_failing")
        assert alert.details["说明"] == check.detail
    if case == "gap":
        assert check.largest_gap_seconds == 20 * 60 and "中断20分0秒" in check.detail
    if case == "five":
        assert check.detail.startswith("最早录像2026-12-02 03:00，不足7天")


def test_playback_check_through_the_platforms(world, isc_platform, wvp_platform, frozen_clock):
    frozen_clock(NOW)
    device = make_device(world, "isc", isc_platform.url, username=isc_standin.APP_KEY, secret=isc_standin.APP_SECRET)
    channel = make_channel(world, device, "dining", "cam-gap")
    check = playback_check(world.canteen, rng=random.Random(1), timeout=5)
    assert check.outcome == PlaybackOutcome.GAP and check.largest_gap_seconds == 3600
    channel.active = False
    channel.save()
    gb = make_device(world, "gb28181", wvp_platform.url, remote_id=wvp_standin.DEV_OK, username=wvp_standin.USER,
                     secret=wvp_standin.PASSWORD)
    make_channel(world, gb, "dining", wvp_standin.CH_FULL)
    check = playback_check(world.canteen, rng=random.Random(1), timeout=5)
    assert check.passed, check.detail


def test_no_dining_channel(world, frozen_clock):
    frozen_clock(NOW)
    check = playback_check(world.canteen)
    assert check.outcome == PlaybackOutcome.NO_CHANNEL and not check.passed


def test_judging_merged_recordings():
    t0 = NOW - timedelta(days=7)
    spans = [(t0 - timedelta(minutes=1), t0 + timedelta(days=3)), (t0 + timedelta(days=3, seconds=30), NOW)]
    assert len(merge(spans)) == 2
    verdict = judge(spans, window_start=t0, now=NOW, tolerance=timedelta(seconds=60))
    assert verdict.outcome == PlaybackOutcome.PASSED and verdict.largest_gap == timedelta(seconds=30)
    stale = [(t0 - timedelta(minutes=1), NOW - timedelta(hours=1))]  # the recorder stopped an hour ago
    assert judge(stale, window_start=t0, now=NOW, tolerance=timedelta(seconds=60)).outcome == PlaybackOutcome.GAP
    late = [(t0 + timedelta(seconds=5), NOW)]
    assert judge(late, window_start=t0, now=NOW, tolerance=timedelta(seconds=60)).outcome == PlaybackOutcome.TOO_SHORT
