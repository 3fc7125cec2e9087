"""`zhucan video probe` and `zhucan video playback` (videocore): probe every active channel now, and
run the 7-day playback check of the canteens with a dining-area channel."""

from __future__ import annotations

from django.core.management.base import CommandError

from zhucan.video.health import probe_all
from zhucan.video.playback import playback_check_all


def add_arguments(sub) -> None:
    probe = sub.add_parser("probe", help="probe every active channel now (bounded concurrency, a timeout each), "
                                         "record the transitions and raise dark-channel alerts")
    playback = sub.add_parser("playback", help="run the 7-day playback check of the canteens with a dining area")
    for parser in (probe, playback):
        parser.add_argument("--canteen", type=int, action="append", help="only these canteen ids")
    probe.add_argument("--concurrency", type=int, help="probes at once (default ZHUCAN_VIDEO_PROBE_CONCURRENCY)")
    probe.add_argument("--timeout", type=float, help="seconds per probe (default ZHUCAN_VIDEO_PROBE_TIMEOUT)")


def handle(name: str, options: dict, out) -> None:
    canteen = options.get("canteen")
    if name == "probe":
        concurrency, timeout = options.get("concurrency"), options.get("timeout")
        if concurrency is not None and concurrency < 1:
            raise CommandError("--concurrency must be at least 1")
        if timeout is not None and timeout <= 0:
            raise CommandError("--timeout must be positive")
        summary = probe_all(canteen_ids=canteen, concurrency=concurrency, timeout=timeout)
        for line in summary.offline_channels:
            out.write(f"离线 {line}")
        out.write(f"{summary.probed} channels probed in {summary.seconds:.1f} s "
                  f"(concurrency {summary.concurrency}): {summary.online} online, {summary.offline} "
                  f"offline, {summary.changed} changed, {summary.alerts} dark alerts")
    else:
        result = playback_check_all(canteen_ids=canteen)
        out.write(f"{result['checked']} canteens checked: {result['passed']} passed, {result['failed']} failed")
