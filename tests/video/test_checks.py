"""HZ-F2 and HZ-F8 in the filing, checked by the video app's registered checks."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.filing.rows import filing_of, item_of
from tests.video.conftest import make_channel, make_device
from zhucan.filing.checks import check_item
from zhucan.filing.models import CheckResult
from zhucan.video.adapters import ProbeResult
from zhucan.video.health import status_record
from zhucan.video.models import KITCHEN_ZONES, PlaybackCheck, PlaybackOutcome

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=SH)


def _online(channel, online=True):
    status_record(channel, ProbeResult(online, "直播正常" if online else "无法连接", NOW), at=NOW)


def test_f2_needs_every_kitchen_zone_public_and_online(world, frozen_clock):
    frozen_clock(NOW)
    filing = filing_of(world.canteen)
    device = make_device(world, "hls", "http://127.0.0.1:9")
    channels = {z.value: make_channel(world, device, z.value, f"/live/{z.value}.m3u8", name=f"{z.label}摄像机")
                for z in KITCHEN_ZONES}
    for zone, channel in channels.items():
        _online(channel, zone != "special_room")
    outcome = check_item(item_of(filing, "F2"))
    assert outcome.result == CheckResult.FAILED
    assert outcome.detail[-1] == "专间：画面离线（自2026-12-07 10:00起）"
    assert outcome.detail[0] == "清洗：清洗摄像机在线"
    _online(channels["special_room"])
    assert check_item(item_of(filing, "F2")).result == CheckResult.PASSED
    channels["cooking"].public = False
    channels["cooking"].save()
    outcome = check_item(item_of(filing, "F2"))
    assert outcome.result == CheckResult.FAILED and "烹饪：画面未设为可公开展示" in outcome.detail


def test_f8_needs_a_dining_channel_online_and_the_last_playback_check_passed(world, frozen_clock):
    frozen_clock(NOW)
    filing = filing_of(world.canteen)
    assert check_item(item_of(filing, "F8")).detail == ["就餐区未接入视频监控", "尚未进行录像回放核验"]
    device = make_device(world, "hls", "http://127.0.0.1:9")
    dining = make_channel(world, device, "dining", "/live/dining.m3u8", name="就餐区全景")
    _online(dining)

    def check(passed, at):
        return PlaybackCheck.objects.create(
            canteen=world.canteen, channel=dining, checked_at=at, local_date=at.date(), passed=passed,
            outcome=PlaybackOutcome.PASSED if passed else PlaybackOutcome.GAP, window_start=at - timedelta(days=7),
            detail="录像自2026-11-30 03:00起连续" if passed else "录像在2026-12-04 03:00起中断20分0秒")

    check(True, NOW - timedelta(days=1))
    outcome = check_item(item_of(filing, "F8"))
    assert outcome.result == CheckResult.PASSED
    assert outcome.detail[0] == "就餐区就餐区全景在线，市级平台可调看"
    check(False, NOW - timedelta(hours=1))  # the latest check counts
    outcome = check_item(item_of(filing, "F8"))
    assert outcome.result == CheckResult.FAILED and "回放核验未通过" in outcome.detail[1]
