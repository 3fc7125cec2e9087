"""Demo video (issue #19 item 8): devices and channels of three 西湖区 canteens registered through the
real registry services, on the addresses `zhucan video simulate` serves (see video.simcam):

- 北山街道颐乐食堂 is live: the four kitchen zones (public, on its kiosk) and the dining area, with
  7 days of recordings — its playback check passes;
- 西湖区's 长者食堂 (330106005) is dark: its recorder's address answers nothing;
- 社区食堂 (330106013) is live, but its recorder keeps only 5 days — its playback check fails.

Seeding again changes nothing (a canteen with a device is left as it is)."""

from __future__ import annotations

from urllib.parse import urlparse

from zhucan.accounts.models import User
from zhucan.canteens.models import Canteen
from zhucan.regions.models import Region
from zhucan.video.models import Device, Zone
from zhucan.video.services import channel_create, device_create
from zhucan.video.simcam import live_path, record_path, sim_url

KITCHEN = [(Zone.WASHING, "洗消间"), (Zone.CUTTING, "切配间"), (Zone.COOKING, "烹饪区"), (Zone.DISINFECTION, "消毒柜")]
# (subdistrict code, stream name prefix, case of the simulated recorder, zones, reachable)
DEMO_VIDEO = [
    ("330106002", "beishan", "full", [*KITCHEN, (Zone.DINING, "就餐区")], True),
    ("330106005", "dark", "full", [(Zone.COOKING, "烹饪区"), (Zone.DINING, "就餐区")], False),
    ("330106013", "short", "short", [(Zone.COOKING, "烹饪区"), (Zone.DINING, "就餐区")], True),
]


def _unreachable(base: str) -> str:
    """The simulator's address one port up: nothing listens there (a dark recorder)."""
    url = urlparse(base)
    return f"{url.scheme}://{url.hostname}:{(url.port or 80) + 1}"


def seed_demo_video() -> int:
    actor = User.objects.filter(username="xihu_admin").first()
    if actor is None:
        return 0
    base = sim_url().rstrip("/")
    created = 0
    for code, prefix, case, zones, reachable in DEMO_VIDEO:
        region = Region.objects.filter(code=code).first()
        canteen = Canteen.objects.filter(region=region).order_by("pk").first() if region else None
        if canteen is None or Device.objects.filter(canteen=canteen).exists():
            continue
        device = device_create(actor=actor, canteen_id=canteen.pk, values={
            "name": "后厨与就餐区录像机", "vendor": "演示录像机", "access_mode": "hls",
            "address": base if reachable else _unreachable(base)})
        for index, (zone, name) in enumerate(zones):
            stream = f"{prefix}-{index}"
            channel_create(actor=actor, device_id=device.pk, values={
                "name": name, "zone": zone, "public": zone != Zone.DINING, "remote_id": live_path(stream),
                "record_path": record_path(stream, case)})
        created += 1
    return created
