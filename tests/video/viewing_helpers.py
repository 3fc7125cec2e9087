"""Shared set-up of the viewing tests: a device with a public kitchen channel, a kitchen channel
kept off the public screen and a dining-area channel at 北山长者食堂, registered through the
registry services; and the files the relay writes for a stream."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from zhucan.video.relay import stream_dir
from zhucan.video.services import channel_create, device_create


def register_cameras(world, *, address: str = "http://127.0.0.1:9", live: str = "live/cam-{n}/index.m3u8"):
    district = world.users["district_admin"]
    device = device_create(actor=district, canteen_id=world.canteen.pk,
                           values={"name": "录像机", "access_mode": "hls", "address": address})

    def channel(n, name, zone, public):
        return channel_create(actor=district, device_id=device.pk, values={
            "name": name, "zone": zone, "public": public, "remote_id": live.format(n=n),
            "record_path": f"rec/full/cam-{n}.m3u8?start={{start}}&end={{end}}"})

    return SimpleNamespace(device=device, kitchen=channel(0, "烹饪区", "cooking", True),
                           hidden=channel(1, "库房", "washing", False), dining=channel(2, "就餐大厅", "dining", False))


def relay_output(key: str) -> Path:
    """What the relay's ffmpeg leaves for a stream: a playlist and its segments."""
    folder = stream_dir(key)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "index.m3u8").write_text(
        "#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:1\n"
        "#EXTINF:2.000000,\n#EXT-X-PROGRAM-DATE-TIME:2026-12-07T12:00:00.000+0800\nseg-00001.ts\n"
        "#EXTINF:2.000000,\nseg-00002.ts\n")
    (folder / "seg-00001.ts").write_bytes(b"G" + bytes(187))
    (folder / "seg-00002.ts").write_bytes(b"G" + bytes(187))
    return folder
