"""`zhucan video relay` and `zhucan video simulate` (issue #19 items 3 and 8).

relay     the media relay's supervisor: ffmpeg per watched stream, stopped when nobody watches
          (one process beside `zhucan worker` in production; see video.relay).
simulate  simulated cameras (ffmpeg testsrc2 with the canteen's name and clock) for every channel
          registered on the simulator's address, and the simulated 7-day recorder; with --relay it
          supervises the relay in the same process (the demo starts just this one).
"""

from __future__ import annotations

import os
import re
import signal
import time
from urllib.parse import urlparse

from zhucan.video.relay import Relay

LIVE_PATH_RE = re.compile(r"^live/(?P<name>[A-Za-z0-9_-]{1,64})/index\.m3u8$")


def add_arguments(sub) -> None:
    relay = sub.add_parser("relay", help="run the media relay's supervisor")
    relay.add_argument("--idle", type=float, default=None, help="seconds without a viewer before a stream stops")
    relay.add_argument("--exit-with-parent", action="store_true", help="stop when the starting shell ends")
    sim = sub.add_parser("simulate", help="run simulated cameras and the simulated recorder (demo)")
    sim.add_argument("--port", type=int, default=None, help="HTTP port (default: ZHUCAN_VIDEO_SIM_URL's)")
    sim.add_argument("--size", default="480x270", help="picture size of the simulated cameras")
    sim.add_argument("--rate", type=int, default=12, help="frames per second of the simulated cameras")
    sim.add_argument("--relay", action="store_true", help="also run the media relay in this process")
    sim.add_argument("--exit-with-parent", action="store_true", help="stop when the starting shell ends")


class _Stopper:
    def __init__(self, exit_with_parent: bool):
        self.stopping = False
        self.parent = os.getppid() if exit_with_parent else None
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._stop)

    def _stop(self, signum, frame) -> None:
        self.stopping = True

    def __call__(self) -> bool:
        return self.stopping or (self.parent is not None and os.getppid() != self.parent)


def run_relay(*, idle: float | None, exit_with_parent: bool, out) -> None:
    stop = _Stopper(exit_with_parent)
    out.write("Media relay running (Ctrl-C stops it).\n")
    Relay(idle=idle).run(until=stop)


def demo_cameras():
    """Cameras for the channels registered on the simulator's address, captioned with the canteen."""
    from zhucan.video.models import Channel
    from zhucan.video.simcam import Camera, sim_url

    base = sim_url().rstrip("/")
    cameras: dict[str, Camera] = {}
    for channel in (Channel.objects.select_related("canteen", "device")
                    .filter(active=True, device__active=True, device__address__startswith=base)):
        match = LIVE_PATH_RE.match(channel.remote_id.strip("/"))
        if match and match["name"] not in cameras:
            cameras[match["name"]] = Camera(match["name"], f"{channel.canteen.name} · {channel.get_zone_display()}")
    return list(cameras.values())


def run_simulate(*, port: int | None, size: str, rate: int, relay: bool, exit_with_parent: bool, out) -> None:
    from zhucan.video.simcam import Simulator, sim_url

    stop = _Stopper(exit_with_parent)
    cameras = demo_cameras()
    sim = Simulator(cameras, port=port if port is not None else (urlparse(sim_url()).port or 80),
                    size=size, rate=rate).start()
    out.write(f"Simulated cameras: {len(cameras)} at {sim.url}/live/…; recorder at {sim.url}/rec/…"
              f"{'; media relay in this process' if relay else ''}\n")
    supervisor = Relay() if relay else None
    try:
        while not stop():
            sim.tick()
            if supervisor is not None:
                supervisor.tick()
            time.sleep(0.5)
    finally:
        if supervisor is not None:
            supervisor.close()
        sim.stop()


def handle(name: str, options: dict, out) -> None:
    if name == "relay":
        run_relay(idle=options["idle"], exit_with_parent=options["exit_with_parent"], out=out)
    elif name == "simulate":
        run_simulate(port=options["port"], size=options["size"], rate=options["rate"], relay=options["relay"],
                     exit_with_parent=options["exit_with_parent"], out=out)
