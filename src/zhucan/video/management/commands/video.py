from django.core.management.base import BaseCommand, CommandError

from zhucan.video.health import probe_all
from zhucan.video.playback import playback_check_all


class Command(BaseCommand):
    help = ("Video tools. `zhucan video probe [--canteen ID ...] [--concurrency N] [--timeout S]` probes "
            "every active channel now (bounded concurrency, a timeout per probe), records the transitions and "
            "raises dark-channel alerts. `zhucan video playback [--canteen ID ...]` runs the 7-day playback "
            "check of the canteens with a dining-area channel.")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["probe", "playback"])
        parser.add_argument("--canteen", type=int, action="append", help="only these canteen ids")
        parser.add_argument("--concurrency", type=int, help="probes at once (default ZHUCAN_VIDEO_PROBE_CONCURRENCY)")
        parser.add_argument("--timeout", type=float, help="seconds per probe (default ZHUCAN_VIDEO_PROBE_TIMEOUT)")

    def handle(self, *args, action, canteen, concurrency, timeout, **options):
        if concurrency is not None and concurrency < 1:
            raise CommandError("--concurrency must be at least 1")
        if timeout is not None and timeout <= 0:
            raise CommandError("--timeout must be positive")
        if action == "probe":
            summary = probe_all(canteen_ids=canteen, concurrency=concurrency, timeout=timeout)
            for line in summary.offline_channels:
                self.stdout.write(f"离线 {line}")
            self.stdout.write(f"{summary.probed} channels probed in {summary.seconds:.1f} s "
                              f"(concurrency {summary.concurrency}): {summary.online} online, {summary.offline} "
                              f"offline, {summary.changed} changed, {summary.alerts} dark alerts")
        else:
            result = playback_check_all(canteen_ids=canteen)
            self.stdout.write(f"{result['checked']} canteens checked: {result['passed']} passed, "
                              f"{result['failed']} failed")
