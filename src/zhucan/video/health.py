"""Channel health: every active channel probed with bounded concurrency (a thread pool of
`concurrency` workers; each probe has its own timeout, ffprobe runs as a subprocess with one), the
online/offline transitions kept per channel, uptime per channel, canteen and district per day, and
a channel dark for longer than the threshold during its canteen's announced hours raised as the
alert `video.channel_dark` (once per dark spell)."""

from __future__ import annotations

import time as _time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction

from zhucan.canteens.models import STANDARD_PERIODS, MealPeriod
from zhucan.core import clock
from zhucan.video.adapters import AdapterError, ProbeResult, adapter_for
from zhucan.video.models import Channel, ChannelStatusChange

DARK_RULE = "video.channel_dark"


def probe_timeout() -> float:
    return float(getattr(settings, "ZHUCAN_VIDEO_PROBE_TIMEOUT", 5))


def probe_concurrency() -> int:
    return int(getattr(settings, "ZHUCAN_VIDEO_PROBE_CONCURRENCY", 200))


@dataclass
class ProbeSummary:
    probed: int = 0
    online: int = 0
    offline: int = 0
    changed: int = 0
    alerts: int = 0
    seconds: float = 0.0
    probe_seconds: float = 0.0  # of which the probing itself (the rest: loading, writing, alerts)
    concurrency: int = 0
    offline_channels: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"probed": self.probed, "online": self.online, "offline": self.offline, "changed": self.changed,
                "alerts": self.alerts, "seconds": round(self.seconds, 2), "concurrency": self.concurrency}


def _probe_one(adapter, channel: Channel, timeout: float) -> ProbeResult:
    try:
        return adapter.probe(channel, timeout=timeout)
    except AdapterError as exc:
        return ProbeResult(False, exc.message, clock.now(), exc.code)
    except Exception:  # a device's fault must never stop the round
        return ProbeResult(False, "探测出错", clock.now(), "error")


def probe_channels(channels: list[Channel], *, concurrency: int | None = None,
                   timeout: float | None = None) -> list[tuple[Channel, ProbeResult]]:
    """Probe `channels` (devices loaded) with at most `concurrency` probes at once. No database
    access happens in the workers: the adapters read only what the channel rows carry."""
    concurrency = max(1, concurrency or probe_concurrency())
    timeout = timeout or probe_timeout()
    adapters = {}
    for ch in channels:
        if ch.device_id not in adapters:
            try:
                adapters[ch.device_id] = adapter_for(ch.device)
            except AdapterError:
                adapters[ch.device_id] = None
    with ThreadPoolExecutor(max_workers=min(concurrency, max(1, len(channels)))) as pool:
        futures = [(ch, pool.submit(_probe_one, adapters[ch.device_id], ch, timeout)) for ch in channels
                   if adapters[ch.device_id] is not None]
        results = [(ch, fut.result()) for ch, fut in futures]
    results += [(ch, ProbeResult(False, "不支持的接入方式", clock.now(), "unsupported")) for ch in channels
                if adapters[ch.device_id] is None]
    return results


def status_record(channel: Channel, result: ProbeResult, *, at: datetime | None = None) -> bool:
    """Keep the probe's result on the channel; a change of state (or the first probe) adds a row
    to its history. Returns whether the state changed."""
    at = at or clock.now()
    changed = channel.online is None or channel.online != result.online
    with transaction.atomic():
        if changed:
            ChannelStatusChange.objects.create(channel=channel, online=result.online, at=at, detail=result.detail[:200])
            channel.online, channel.status_since = result.online, at
        channel.last_probe_at, channel.last_detail = at, result.detail[:200]
        channel.save(update_fields=["online", "status_since", "last_probe_at", "last_detail"])
    return changed


def status_record_many(results: list[tuple[Channel, ProbeResult]], *, at: datetime | None = None) -> int:
    """A whole round's results at the round's time `at`, in one transaction: the transitions as new
    history rows (bulk), the channels' state written with one UPDATE per distinct (state, detail)
    (a round has few distinct answers; 12,000 single-row updates would cost more than the probing).
    Returns how many channels changed state."""
    at = at or clock.now()
    changes = []
    groups: dict[tuple[bool, bool, str], list[int]] = defaultdict(list)
    for channel, result in results:
        detail = result.detail[:200]
        changed = channel.online is None or channel.online != result.online
        if changed:
            changes.append(ChannelStatusChange(channel=channel, online=result.online, at=at, detail=detail))
            channel.online, channel.status_since = result.online, at
        channel.last_probe_at, channel.last_detail = at, detail
        groups[(changed, result.online, detail)].append(channel.pk)
    with transaction.atomic():
        ChannelStatusChange.objects.bulk_create(changes, batch_size=1000)
        for (changed, online, detail), ids in groups.items():
            values = {"last_probe_at": at, "last_detail": detail}
            if changed:
                values |= {"online": online, "status_since": at}
            for i in range(0, len(ids), 2000):
                Channel.objects.filter(pk__in=ids[i:i + 2000]).update(**values)
    return len(changes)


def active_channels(canteen_ids=None):
    qs = (Channel.objects.filter(active=True, device__active=True)
          .select_related("device", "canteen__region").order_by("pk"))
    if canteen_ids:
        qs = qs.filter(canteen_id__in=list(canteen_ids))
    return qs


def probe_all(*, canteen_ids=None, concurrency: int | None = None, timeout: float | None = None) -> ProbeSummary:
    """One round: probe every active channel, record transitions, raise dark-channel alerts."""
    started = _time.monotonic()
    summary = ProbeSummary(concurrency=max(1, concurrency or probe_concurrency()))
    channels = list(active_channels(canteen_ids))
    probing = _time.monotonic()
    results = probe_channels(channels, concurrency=summary.concurrency, timeout=timeout)
    summary.probe_seconds = _time.monotonic() - probing
    for channel, result in results:
        summary.probed += 1
        if result.online:
            summary.online += 1
        else:
            summary.offline += 1
            summary.offline_channels.append(f"{channel.canteen.name} {channel.name}：{result.detail}")
    summary.changed = status_record_many(results, at=clock.now())
    summary.alerts = dark_alerts(channels)
    summary.seconds = _time.monotonic() - started
    return summary


# --------------------------------------------------------------------------------------------------
# Dark channels during the announced hours


def _hours(canteen_id: int, periods: dict[int, list[tuple[time, time]]]) -> list[tuple[time, time]]:
    return periods.get(canteen_id) or [(start, end) for _n, start, end in STANDARD_PERIODS]


def dark_in_hours(since: datetime, until: datetime, hours: list[tuple[time, time]]) -> timedelta:
    """How much of [since, until] falls inside the announced hours (local time, any day)."""
    total = timedelta(0)
    if until <= since:
        return total
    local_since, local_until = since.astimezone(clock.LOCAL_TZ), until.astimezone(clock.LOCAL_TZ)
    day = local_since.date()
    while day <= local_until.date():
        for start, end in hours:
            a = max(local_since, datetime.combine(day, start, clock.LOCAL_TZ))
            b = min(local_until, datetime.combine(day, end, clock.LOCAL_TZ))
            if b > a:
                total += b - a
        day += timedelta(days=1)
    return total


def dark_minutes() -> int:
    from zhucan.alerts.rules import params_for

    try:
        return int(params_for(DARK_RULE).get("minutes", 30))
    except (KeyError, ValueError, TypeError):
        return 30


def dark_alerts(channels: list[Channel] | None = None) -> int:
    """Raise `video.channel_dark` for every channel dark longer than the threshold inside its
    canteen's announced hours, once per dark spell (the spell's start is in the dedupe key)."""
    from zhucan.alerts.rules import enabled
    from zhucan.alerts.services import alert_raise

    if not enabled(DARK_RULE):
        return 0
    now, threshold = clock.now(), timedelta(minutes=dark_minutes())
    if channels is None:
        channels = list(active_channels())
    dark = [c for c in channels if c.online is False and c.status_since is not None
            and (c.dark_alerted_at is None or c.dark_alerted_at < c.status_since)
            and now - c.status_since >= threshold]
    if not dark:
        return 0
    periods: dict[int, list[tuple[time, time]]] = defaultdict(list)
    for p in MealPeriod.objects.filter(canteen_id__in={c.canteen_id for c in dark}):
        periods[p.canteen_id].append((p.start, p.end))
    raised = 0
    for channel in dark:
        spell = dark_in_hours(channel.status_since, now, _hours(channel.canteen_id, periods))
        if spell < threshold:
            continue
        since_local = channel.status_since.astimezone(clock.LOCAL_TZ)
        alert_raise(rule=DARK_RULE, occurred_at=now, canteen=channel.canteen,
                    title=f"{channel.canteen.name}{channel.get_zone_display()}画面（{channel.name}）中断",
                    details={"通道": channel.name, "区域": channel.get_zone_display(),
                             "中断起始": f"{since_local:%Y-%m-%d %H:%M}",
                             "供餐时段内中断": f"{int(spell.total_seconds() // 60)}分钟",
                             "最近探测": channel.last_detail},
                    dedupe_key=f"{DARK_RULE}:{channel.pk}:{channel.status_since.isoformat()}")
        Channel.objects.filter(pk=channel.pk).update(dark_alerted_at=now)
        channel.dark_alerted_at = now
        raised += 1
    return raised


# --------------------------------------------------------------------------------------------------
# Uptime


def _day_bounds(day: date, now: datetime) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), clock.LOCAL_TZ)
    return start, min(start + timedelta(days=1), now)


def channel_uptime(channel_ids, day: date, *, now: datetime | None = None) -> dict[int, tuple[float, float]]:
    """{channel id: (online seconds, known seconds)} on the local `day` (up to now), from the
    transitions; time before a channel's first probe is unknown and not counted."""
    now = now or clock.now()
    start, end = _day_bounds(day, now)
    out: dict[int, tuple[float, float]] = {}
    if end <= start:
        return out
    ids = list(channel_ids)
    before = {}
    for row in (ChannelStatusChange.objects.filter(channel_id__in=ids, at__lt=start)
                .order_by("channel_id", "-at", "-id").values("channel_id", "online")):
        before.setdefault(row["channel_id"], row["online"])
    changes = defaultdict(list)
    for row in (ChannelStatusChange.objects.filter(channel_id__in=ids, at__gte=start, at__lt=end)
                .order_by("at", "id").values("channel_id", "online", "at")):
        changes[row["channel_id"]].append((row["at"], row["online"]))
    for cid in ids:
        state, cursor = before.get(cid), start
        online_s = known_s = 0.0
        for at, online in [*changes.get(cid, []), (end, None)]:
            if state is not None:
                span = (at - cursor).total_seconds()
                known_s += span
                online_s += span if state else 0.0
            cursor = at
            if online is not None:
                state = online
        if known_s > 0:
            out[cid] = (online_s, known_s)
    return out


def uptime_by(day: date, *, key: str = "canteen_id", channels=None, now: datetime | None = None) -> dict:
    """{canteen id (or district id with key="district"): fraction of known time online} on `day`."""
    channels = list(channels if channels is not None else
                    Channel.objects.filter(active=True).select_related("canteen__region"))
    per_channel = channel_uptime([c.pk for c in channels], day, now=now)
    sums: dict = defaultdict(lambda: [0.0, 0.0])
    for c in channels:
        if c.pk not in per_channel:
            continue
        group = c.canteen_id if key == "canteen_id" else getattr(c.canteen.region.district, "pk", None)
        sums[group][0] += per_channel[c.pk][0]
        sums[group][1] += per_channel[c.pk][1]
    return {g: (on / known if known else None) for g, (on, known) in sums.items()}


def uptime_over(dates, *, channels, now: datetime | None = None) -> dict[int, float]:
    """{canteen id: fraction of known time online} over all of `dates` together (the wall's
    7-day figure): the seconds are summed before dividing, so a day with little known time weighs little."""
    channels = list(channels)
    sums: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])
    canteen_of = {c.pk: c.canteen_id for c in channels}
    for day in dates:
        for cid, (on, known) in channel_uptime(list(canteen_of), day, now=now).items():
            sums[canteen_of[cid]][0] += on
            sums[canteen_of[cid]][1] += known
    return {g: on / known for g, (on, known) in sums.items() if known}
