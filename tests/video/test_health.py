"""Health: transitions kept (only changes), dark channels raised once per spell inside the
announced hours, uptime per channel, canteen and district, all with an injected clock."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from tests.video.conftest import make_channel, make_device
from zhucan.alerts.models import Alert
from zhucan.video.adapters import ProbeResult
from zhucan.video.health import channel_uptime, dark_alerts, dark_in_hours, probe_all, status_record, uptime_by
from zhucan.video.models import ChannelStatusChange

SH = ZoneInfo("Asia/Shanghai")


def test_probe_round_records_transitions_only(world, hls_origin, frozen_clock):
    frozen_clock(datetime(2026, 12, 7, 9, 0, tzinfo=SH))
    device = make_device(world, "hls", hls_origin.url)
    live = make_channel(world, device, "cooking", "/live/ok-h1.m3u8")
    dark = make_channel(world, device, "washing", "/live/dark-h1.m3u8")
    summary = probe_all(concurrency=4)
    assert (summary.probed, summary.online, summary.offline, summary.changed) == (2, 1, 1, 2)
    summary = probe_all(concurrency=4)
    assert summary.changed == 0  # nothing changed: no new history rows
    assert ChannelStatusChange.objects.filter(channel=live).count() == 1
    live.refresh_from_db()
    dark.refresh_from_db()
    assert live.online is True and dark.online is False and dark.last_detail == "设备上没有这个播放列表（HTTP 404）"


def _status(channel, online, at):
    status_record(channel, ProbeResult(online, "直播正常" if online else "无法连接", at), at=at)
    channel.refresh_from_db()


def test_dark_channel_alerts_once_after_thirty_minutes_inside_the_hours(world, hls_origin, frozen_clock):
    device = make_device(world, "hls", hls_origin.url)
    channel = make_channel(world, device, "cooking", "/live/dark-h2.m3u8")
    # Lunch is 10:30–12:30 (the city's standard hours). Dark from 12:10: 20 minutes in the hours by 12:30.
    _status(channel, True, datetime(2026, 12, 7, 9, 0, tzinfo=SH))
    _status(channel, False, datetime(2026, 12, 7, 12, 10, tzinfo=SH))
    frozen_clock(datetime(2026, 12, 7, 15, 0, tzinfo=SH))  # 5 hours dark, but only 20 minutes in the hours
    assert dark_alerts([channel]) == 0
    frozen_clock(datetime(2026, 12, 7, 16, 39, tzinfo=SH))  # 20 + 9 minutes
    assert dark_alerts([channel]) == 0
    frozen_clock(datetime(2026, 12, 7, 16, 41, tzinfo=SH))  # 20 + 11 minutes
    assert dark_alerts([channel]) == 1
    alert = Alert.objects.get(rule="video.channel_dark")
    assert alert.canteen_id == world.canteen.pk and alert.details["中断起始"] == "2026-12-07 12:10"
    assert alert.details["供餐时段内中断"] == "31分钟"
    channel.refresh_from_db()
    frozen_clock(datetime(2026, 12, 7, 17, 30, tzinfo=SH))
    assert dark_alerts([channel]) == 0  # the same spell: no second alert
    _status(channel, True, datetime(2026, 12, 7, 17, 35, tzinfo=SH))
    _status(channel, False, datetime(2026, 12, 7, 17, 40, tzinfo=SH))
    frozen_clock(datetime(2026, 12, 7, 18, 20, tzinfo=SH))
    assert dark_alerts([channel]) == 1  # a new spell, a new alert
    assert Alert.objects.filter(rule="video.channel_dark").count() == 2


def test_announced_hours_of_the_canteen_are_used(world, hls_origin, frozen_clock):
    from zhucan.canteens.models import MealPeriod

    MealPeriod.objects.filter(canteen=world.canteen).delete()
    MealPeriod.objects.create(canteen=world.canteen, name="breakfast", start=time(7, 0), end=time(7, 40))
    device = make_device(world, "hls", hls_origin.url)
    channel = make_channel(world, device, "cooking", "/live/dark-h3.m3u8")
    _status(channel, False, datetime(2026, 12, 7, 6, 0, tzinfo=SH))
    frozen_clock(datetime(2026, 12, 7, 7, 25, tzinfo=SH))  # 85 minutes dark, 25 in the canteen's hours
    assert dark_alerts([channel]) == 0
    frozen_clock(datetime(2026, 12, 7, 7, 31, tzinfo=SH))
    assert dark_alerts([channel]) == 1
    since = datetime(2026, 12, 7, 6, 0, tzinfo=SH)
    hours = [(time(11, 0), time(13, 0))]
    assert dark_in_hours(since, since + timedelta(hours=8), hours) == timedelta(hours=2)
    assert dark_in_hours(since, since + timedelta(days=1, hours=6), hours) == timedelta(hours=3)


def test_uptime_per_channel_canteen_and_district(world, hls_origin, frozen_clock):
    device = make_device(world, "hls", hls_origin.url)
    a = make_channel(world, device, "cooking", "/live/ok-u1.m3u8")
    b = make_channel(world, device, "washing", "/live/ok-u2.m3u8")
    _status(a, True, datetime(2026, 12, 6, 23, 0, tzinfo=SH))
    _status(a, False, datetime(2026, 12, 7, 6, 0, tzinfo=SH))
    _status(a, True, datetime(2026, 12, 7, 12, 0, tzinfo=SH))
    _status(b, True, datetime(2026, 12, 7, 18, 0, tzinfo=SH))  # first probed at 18:00: before is unknown
    day = datetime(2026, 12, 7).date()
    end = datetime(2026, 12, 8, 0, 0, tzinfo=SH)
    per = channel_uptime([a.pk, b.pk], day, now=end)
    assert per[a.pk] == (18 * 3600.0, 24 * 3600.0)
    assert per[b.pk] == (6 * 3600.0, 6 * 3600.0)
    by_canteen = uptime_by(day, now=end)
    assert by_canteen[world.canteen.pk] == (24 * 3600 - 6 * 3600) / (30 * 3600) + 6 / 30
    by_district = uptime_by(day, key="district", now=end)
    assert by_district[world.xihu.pk] == by_canteen[world.canteen.pk]
    # Up to now during the day: at 09:00 channel a has been dark three hours of nine.
    assert channel_uptime([a.pk], day, now=datetime(2026, 12, 7, 9, 0, tzinfo=SH))[a.pk] == (6 * 3600.0, 9 * 3600.0)


def test_the_probe_command_and_the_periodic_jobs(world, hls_origin, frozen_clock):
    from io import StringIO

    from django.core.management import call_command

    from zhucan.core import scheduler

    frozen_clock(datetime(2026, 12, 7, 9, 0, tzinfo=SH))
    device = make_device(world, "hls", hls_origin.url)
    make_channel(world, device, "cooking", "/live/ok-cmd.m3u8", name="灶台")
    make_channel(world, device, "washing", "/live/stalled-cmd.m3u8", name="洗消间")
    out = StringIO()
    call_command("video", "probe", "--concurrency", "2", stdout=out)
    assert "离线 北山长者食堂 洗消间：播放列表停止更新" in out.getvalue()
    assert "2 channels probed" in out.getvalue() and "(concurrency 2): 1 online, 1 offline" in out.getvalue()
    jobs = {j.name: j for j in scheduler.jobs()}
    assert jobs["video-probe"].every.total_seconds() == 300
    assert jobs["video-playback"].task == "zhucan.video.tasks.video_playback_task"
