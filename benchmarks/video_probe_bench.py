#!/usr/bin/env python
"""One health round over a city's cameras: 2,000 canteens × 6 channels probed against a local
stand-in HLS origin, with bounded concurrency; the issue's limit is 5 minutes.

    .venv/bin/python benchmarks/video_probe_bench.py [--canteens 2000] [--concurrency 200] [--reuse]

1. Creates a fresh PostgreSQL database (`zhucan_video_bench` on 127.0.0.1:5432), migrates it as in
   production, seeds the Hangzhou division tree, N canteens, one HLS device per canteen and six
   channels each (the five kitchen zones and the dining area).
2. Starts the stand-in HLS origin of the tests (tests/video/standins/hls.py) in a child process:
   live playlists with a 2-second target duration whose media sequence moves on every read. Of the
   channels, 94 % are live, 3 % dark (404), 2 % slow (the origin answers after 30 s, beyond the 5 s
   probe timeout) and 1 % stalled (the sequence never moves).
3. Times `probe_all()` — the real round: every channel read twice, a target duration apart, by a
   pool of `--concurrency` threads, each read with its timeout; then the transitions written in
   one transaction and the dark-channel alerts checked — and prints the time, the concurrency and
   what it is compared with: the 300 s limit, and the floor of this design, channels × wait between
   the two reads ÷ concurrency. Exits non-zero if the round takes longer than the limit or the
   online / offline counts are not those the origin was told to serve.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from benchmarks.settlement_bench import bench_env, recreate_db  # noqa: E402

LIMIT_SECONDS = 300
ZONES = ("washing", "cutting", "cooking", "disinfection", "special_room", "dining")


def case_of(i: int) -> str:
    """The stand-in's behaviour for the i-th channel: 94 % live, 3 % dark, 2 % slow, 1 % stalled."""
    r = i % 100
    return "dark" if r < 3 else "slow" if r < 5 else "stalled" if r < 6 else "ok"


def _serve(port_queue) -> None:
    from tests.video.standins.hls import HlsStandIn

    server = HlsStandIn(b"")
    port_queue.put(server.url)
    server.thread.join()


def seed(n_canteens: int, origin: str) -> None:
    from django.utils import timezone

    from zhucan.accounts.models import User
    from zhucan.canteens.models import Canteen
    from zhucan.demo.seed import seed_regions
    from zhucan.regions.models import Region
    from zhucan.video.models import Channel, Device

    seed_regions()
    hz = Region.objects.get(code="330100")
    subdistricts = list(Region.objects.filter(path__startswith=hz.path, level="subdistrict").order_by("code"))
    Canteen.objects.bulk_create(
        [Canteen(name=f"压测食堂{i}", operator="压测餐饮", canteen_type="community_new_build", area="urban",
                 region=subdistricts[i % len(subdistricts)], address="测试路1号", status="open")
         for i in range(n_canteens)], batch_size=1000)
    actor = User.objects.create(username="video-bench", role="city_admin", region=hz)
    now = timezone.now()
    canteens = list(Canteen.objects.order_by("pk"))
    Device.objects.bulk_create([Device(canteen=c, name="录像机", access_mode="hls", address=origin, created_by=actor,
                                       created_at=now, updated_at=now) for c in canteens], batch_size=1000)
    channels, i = [], 0
    for device in Device.objects.order_by("pk"):
        for zone in ZONES:
            channels.append(Channel(device=device, canteen_id=device.canteen_id, name=zone, zone=zone,
                                    public=zone != "dining", remote_id=f"/live/{case_of(i)}-{i}.m3u8",
                                    created_at=now))
            i += 1
    Channel.objects.bulk_create(channels, batch_size=2000)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="zhucan_video_bench")
    parser.add_argument("--canteens", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--reuse", action="store_true", help="probe the channels of an existing database again")
    args = parser.parse_args()

    ports = multiprocessing.get_context("fork").Queue()
    origin_process = multiprocessing.get_context("fork").Process(target=_serve, args=(ports,), daemon=True)
    origin_process.start()
    origin = ports.get(timeout=30)

    env = bench_env(args.db)
    if not args.reuse:
        print(f"# database {args.db}: recreate, migrate, seed {args.canteens:,} canteens × {len(ZONES)} channels",
              flush=True)
        recreate_db(args.db)
        subprocess.run([sys.executable, "-m", "zhucan.cli", "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings

    from zhucan.video.health import probe_all
    from zhucan.video.models import Channel

    if not args.reuse:
        seed(args.canteens, origin)
    else:
        from zhucan.video.models import ChannelStatusChange, Device

        Device.objects.update(address=origin)
        ChannelStatusChange.objects.all().delete()
        Channel.objects.update(online=None, status_since=None)
    n = Channel.objects.count()
    expected_offline = sum(1 for i in range(n) if case_of(i) != "ok")
    wait = 2.0  # the origin's target duration: the wait between a channel's two reads
    print(f"# {n:,} channels on {args.canteens:,} canteens; origin {origin} (child process); "
          f"{expected_offline:,} offline by design; probe timeout {args.timeout:g} s; "
          f"live lag allowed {settings.ZHUCAN_VIDEO_LIVE_LAG_SECONDS} s", flush=True)
    started = time.perf_counter()
    summary = probe_all(concurrency=args.concurrency, timeout=args.timeout)
    elapsed = time.perf_counter() - started
    floor = n * wait / args.concurrency
    print(f"probe_all: {elapsed:.1f} s for {summary.probed:,} channels at concurrency {summary.concurrency} "
          f"({summary.online:,} online, {summary.offline:,} offline, {summary.changed:,} transitions written); "
          f"probing {summary.probe_seconds:.1f} s, loading and writing {elapsed - summary.probe_seconds:.1f} s")
    print(f"compared with: the limit {LIMIT_SECONDS} s ({elapsed / LIMIT_SECONDS:.0%} of it); "
          f"the design's floor {floor:.1f} s (channels × {wait:g} s between reads ÷ concurrency): "
          f"{elapsed / floor:.2f}× the floor")
    origin_process.terminate()
    ok = elapsed <= LIMIT_SECONDS and summary.offline == expected_offline and summary.probed == n
    if not ok:
        print("FAILED: over the limit or wrong counts", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
