"""The daily 7-day playback check of a canteen (HZ-F8): ask the recorder for its recordings of a
dining-area channel over the last 7 days, merge them, pass only when the oldest reaches back to
now − 7 days and no gap exceeds the tolerance; then fetch one randomly chosen moment's footage and
probe it. Each check is stored (`PlaybackCheck`); a failure raises `video.playback_failing`."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from zhucan.core import clock
from zhucan.core.audit import audit_record
from zhucan.video.adapters import AdapterError, adapter_for
from zhucan.video.models import Channel, PlaybackCheck, PlaybackOutcome, Zone

FAILING_RULE = "video.playback_failing"
SAMPLE_SECONDS = 60


def playback_days() -> int:
    return int(getattr(settings, "ZHUCAN_VIDEO_PLAYBACK_DAYS", 7))


def gap_tolerance() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "ZHUCAN_VIDEO_PLAYBACK_GAP_SECONDS", 60)))


def recording_lag() -> timedelta:
    """How far behind now the newest recording may end (the segment being written)."""
    return timedelta(seconds=int(getattr(settings, "ZHUCAN_VIDEO_RECORDING_LAG_SECONDS", 300)))


def merge(spans: list[tuple[datetime, datetime]], *, touch: timedelta = timedelta(seconds=1)):
    """Sorted, overlapping or touching intervals joined."""
    out: list[list[datetime]] = []
    for start, end in sorted((s, e) for s, e in spans if e > s):
        if out and start <= out[-1][1] + touch:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(s, e) for s, e in out]


@dataclass
class Verdict:
    outcome: str
    merged: list[tuple[datetime, datetime]]
    oldest: datetime | None = None
    largest_gap: timedelta = timedelta(0)
    gap_start: datetime | None = None


def judge(spans, *, window_start: datetime, now: datetime, tolerance: timedelta) -> Verdict:
    """Whether the recordings cover [window_start, now] without a gap longer than `tolerance`
    (the newest may end up to the recording lag before now)."""
    merged = merge([(max(s, window_start - tolerance), min(e, now)) for s, e in spans
                    if e > window_start - tolerance and s < now])
    if not merged:
        return Verdict(PlaybackOutcome.TOO_SHORT, merged)
    verdict = Verdict(PlaybackOutcome.PASSED, merged, oldest=merged[0][0])
    gaps = [(e, s2 - e) for (_s, e), (s2, _e2) in itertools.pairwise(merged)]
    tail = now - merged[-1][1] - recording_lag()  # the newest recording may lag a little behind now
    if tail > timedelta(0):
        gaps.append((merged[-1][1], tail))
    if gaps:
        verdict.gap_start, verdict.largest_gap = max(gaps, key=lambda g: g[1])
    if verdict.oldest > window_start:
        verdict.outcome = PlaybackOutcome.TOO_SHORT
    elif verdict.largest_gap > tolerance:
        verdict.outcome = PlaybackOutcome.GAP
    return verdict


def _local(moment: datetime) -> str:
    return f"{moment.astimezone(clock.LOCAL_TZ):%Y-%m-%d %H:%M}"


def _duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds >= 86400:
        return f"{seconds / 86400:.1f}天"
    if seconds >= 3600:
        return f"{seconds // 3600}小时{seconds % 3600 // 60}分钟"
    if seconds >= 60:
        return f"{seconds // 60}分{seconds % 60}秒"
    return f"{seconds}秒"


def sample_moment(merged, *, rng: random.Random, window_start: datetime) -> datetime | None:
    """A random moment inside the recordings (weighted by length), leaving room for a minute's clip."""
    usable = [(max(s, window_start), e - timedelta(seconds=SAMPLE_SECONDS)) for s, e in merged]
    usable = [(s, e) for s, e in usable if e > s]
    total = sum((e - s).total_seconds() for s, e in usable)
    if total <= 0:
        return None
    point = rng.uniform(0, total)
    for s, e in usable:
        length = (e - s).total_seconds()
        if point <= length:
            return (s + timedelta(seconds=point)).replace(microsecond=0)
        point -= length
    return usable[-1][0]


def _dining_channel(canteen) -> Channel | None:
    qs = Channel.objects.filter(canteen=canteen, zone=Zone.DINING, active=True, device__active=True)
    return qs.select_related("device").order_by("-online", "pk").first()


def playback_check(canteen, *, rng: random.Random | None = None, timeout: float | None = None,
                   actor=None) -> PlaybackCheck:
    """Run and store the check of one canteen now; raises the failing alert when it fails. Run by
    an official (`actor`), the stored check carries its audit row."""
    rng = rng or random.Random()
    timeout = timeout or float(getattr(settings, "ZHUCAN_VIDEO_PROBE_TIMEOUT", 5)) * 2
    # The recorder knows its footage by real time (media time); people see the business clock,
    # which a training session may run hours away. Judge in media time, store and say in business time.
    now, media_now = clock.now(), clock.real_now()
    shift = clock.media_shift()
    window_start = media_now - timedelta(days=playback_days())
    check = PlaybackCheck(canteen=canteen, checked_at=now, local_date=clock.local_date(now), passed=False,
                          window_start=window_start + shift)
    check._actor = actor
    channel = _dining_channel(canteen)
    if channel is None:
        check.outcome, check.detail = PlaybackOutcome.NO_CHANNEL, "本助餐点未登记就餐区视频通道"
        return _store(check)
    check.channel = channel
    adapter = adapter_for(channel.device)
    try:
        spans = adapter.recordings(channel, window_start, media_now)
    except AdapterError as exc:
        check.outcome, check.detail = PlaybackOutcome.UNREACHABLE, f"查询录像失败：{exc.message}"
        return _store(check)
    verdict = judge(spans, window_start=window_start, now=media_now, tolerance=gap_tolerance())
    check.oldest = verdict.oldest + shift if verdict.oldest else None
    check.gap_start = verdict.gap_start + shift if verdict.gap_start else None
    check.largest_gap_seconds = int(verdict.largest_gap.total_seconds())
    if verdict.outcome == PlaybackOutcome.TOO_SHORT:
        check.outcome = verdict.outcome
        check.detail = (f"最早录像{_local(check.oldest)}，不足{playback_days()}天（应早于{_local(check.window_start)}）"
                        if verdict.oldest else f"近{playback_days()}天没有录像")
        return _store(check)
    if verdict.outcome == PlaybackOutcome.GAP:
        check.outcome = verdict.outcome
        check.detail = (f"录像在{_local(check.gap_start)}起中断{_duration(verdict.largest_gap)}，"
                        f"超过允许的{_duration(gap_tolerance())}")
        return _store(check)
    moment = sample_moment(verdict.merged, rng=rng, window_start=window_start)
    check.sample_at = moment + shift
    try:
        url = adapter.playback_source(channel, moment, moment + timedelta(seconds=SAMPLE_SECONDS))
        ok, what = adapter.probe_playback(url, timeout=timeout)
    except AdapterError as exc:
        ok, what = False, exc.message
    check.sample_ok = ok
    if not ok:
        check.outcome = PlaybackOutcome.SAMPLE_FAILED
        check.detail = f"抽查{_local(check.sample_at)}的录像无法播放：{what}"
        return _store(check)
    check.passed, check.outcome = True, PlaybackOutcome.PASSED
    check.detail = (f"录像自{_local(check.oldest)}起连续，最大间隔{_duration(verdict.largest_gap)}；"
                    f"抽查{_local(check.sample_at)}的录像可播放（{what}）")
    return _store(check)


def _store(check: PlaybackCheck) -> PlaybackCheck:
    from zhucan.alerts.rules import enabled
    from zhucan.alerts.services import alert_raise

    with transaction.atomic():
        check.save()
        actor = getattr(check, "_actor", None)
        if actor is not None:
            audit_record(actor=actor, action="video.playback_check", obj=check, region_path=check.canteen.region.path,
                         after={"passed": check.passed, "outcome": check.outcome})
    if not check.passed and check.outcome != PlaybackOutcome.NO_CHANNEL and enabled(FAILING_RULE):
        alert_raise(rule=FAILING_RULE, occurred_at=check.checked_at, canteen=check.canteen,
                    title=f"{check.canteen.name}就餐区录像回放核验未通过",
                    details={"结果": check.get_outcome_display(), "说明": check.detail},
                    dedupe_key=f"{FAILING_RULE}:{check.canteen_id}:{check.local_date.isoformat()}")
    return check


def playback_check_all(*, canteen_ids=None) -> dict:
    """The daily run: every canteen with an active dining-area channel."""
    from zhucan.canteens.models import Canteen

    ids = set(Channel.objects.filter(zone=Zone.DINING, active=True).values_list("canteen_id", flat=True))
    if canteen_ids:
        ids &= set(canteen_ids)
    passed = failed = 0
    for canteen in Canteen.objects.filter(pk__in=ids).select_related("region").order_by("pk"):
        check = playback_check(canteen)
        passed += check.passed
        failed += not check.passed
    return {"checked": passed + failed, "passed": passed, "failed": failed}


def last_check(canteen_id: int) -> PlaybackCheck | None:
    return PlaybackCheck.objects.filter(canteen_id=canteen_id).order_by("-checked_at", "-pk").first()
