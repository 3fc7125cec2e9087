"""Simulated cameras and a simulated recorder for the demo and the tests (issue #19 item 8).

A camera is ffmpeg's `testsrc2` moving picture with the canteen's name, the zone and the local clock
drawn on it (Noto Sans CJK), written as live HLS (1-second segments with program date-times). The
recorder answers the generic HLS adapter's playback playlist: `/rec/<case>/<name>.m3u8?start=&end=`
lists one-minute segments with EXT-X-PROGRAM-DATE-TIME over the kept days, cycling through three
small pre-generated segments. Cases: `full` (8 days back to now), `gap` (the same with a 20-minute
hole three days ago), `short` (only 5 days).

Served by a small HTTP server of the simulator's own process (threads are fine here: this is not a
web worker). Addresses, as the demo registers them on a device at `ZHUCAN_VIDEO_SIM_URL`:
  live:   live/<name>/index.m3u8
  record: rec/<case>/<name>.m3u8?start={start}&end={end}
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from django.conf import settings

from zhucan.video.relay import ffmpeg_path, stop_process

logger = logging.getLogger("zhucan.video.simcam")

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
LIVE_RE = re.compile(r"^/live/(?P<name>[A-Za-z0-9_-]{1,64})/(?P<file>index\.m3u8|seg-\d{1,9}\.ts)$")
REC_RE = re.compile(r"^/rec/(?P<case>full|gap|short)/(?P<name>[A-Za-z0-9_-]{1,64})\.m3u8$")
REC_SEG_RE = re.compile(r"^/rec/seg-(?P<n>[0-2])\.ts$")
REC_SEGMENT_SECONDS = 60
REC_SEGMENTS = 3
CASES = ("full", "gap", "short")


def sim_url() -> str:
    return getattr(settings, "ZHUCAN_VIDEO_SIM_URL", "http://127.0.0.1:8090")


def sim_dir() -> Path:
    return Path(getattr(settings, "ZHUCAN_VIDEO_SIM_DIR", settings.VAR_DIR / "video-sim"))


def live_path(name: str) -> str:
    return f"live/{name}/index.m3u8"


def record_path(name: str, case: str = "full") -> str:
    return f"rec/{case}/{name}.m3u8?start={{start}}&end={{end}}"


@dataclass(frozen=True)
class Camera:
    name: str  # the stream's name in the simulator's addresses
    caption: str  # drawn on the picture: canteen and zone


def camera_command(camera: Camera, out: Path, *, size: str = "480x270", rate: int = 12) -> list[str]:
    (out / "caption.txt").write_text(camera.caption, encoding="utf-8")
    box = "fontcolor=white:box=1:boxcolor=black@0.55:boxborderw=6"
    draw = (f"drawtext=fontfile={FONT}:textfile={out / 'caption.txt'}:fontsize=22:{box}:x=12:y=44,"
            f"drawtext=fontfile={FONT}:text=%{{localtime}}:fontsize=20:{box}:x=12:y=h-th-12")
    return [ffmpeg_path(), "-nostdin", "-hide_banner", "-loglevel", "error", "-re",
            "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}", "-vf", draw,
            "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-pix_fmt", "yuv420p",
            "-g", str(rate), "-f", "hls", "-hls_time", "1", "-hls_list_size", "6",
            "-hls_flags", "delete_segments+program_date_time+independent_segments",
            "-hls_segment_filename", str(out / "seg-%05d.ts"), str(out / "index.m3u8")]


def make_record_segments(folder: Path) -> None:
    """Three one-minute segments (a continuous three minutes, cut in three), made once."""
    folder.mkdir(parents=True, exist_ok=True)
    if all((folder / f"seg-{n}.ts").exists() for n in range(REC_SEGMENTS)):
        return
    draw = f"drawtext=fontfile={FONT}:text=录像回放:fontsize=18:fontcolor=white:box=1:boxcolor=black@0.5:x=8:y=8"
    subprocess.run(
        [ffmpeg_path(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", f"testsrc2=size=320x180:rate=5:duration={REC_SEGMENT_SECONDS * REC_SEGMENTS}",
         "-vf", draw, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "10",
         "-f", "segment", "-segment_time", str(REC_SEGMENT_SECONDS), "-segment_format", "mpegts",
         str(folder / "seg-%d.ts")],
        check=True, timeout=120)


def recorded_spans(case: str, now: datetime) -> list[tuple[datetime, datetime]]:
    """What the simulated recorder keeps, aligned to whole minutes."""
    end = now.replace(second=0, microsecond=0)
    if case == "short":
        return [(end - timedelta(days=5), end)]
    start = end - timedelta(days=8)
    if case == "gap":
        hole = end - timedelta(days=3)
        return [(start, hole), (hole + timedelta(minutes=20), end)]
    return [(start, end)]


def record_playlist(case: str, *, now: datetime, start: datetime | None, end: datetime | None) -> str:
    step = timedelta(seconds=REC_SEGMENT_SECONDS)
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", f"#EXT-X-TARGETDURATION:{REC_SEGMENT_SECONDS}",
             "#EXT-X-PLAYLIST-TYPE:VOD"]
    first = True
    for span_start, span_end in recorded_spans(case, now):
        at = span_start
        if start is not None and start > at:
            at = span_start + ((start - span_start) // step) * step
        stop = min(span_end, end) if end is not None else span_end
        if at >= stop:
            continue
        if first:
            lines.append(f"#EXT-X-MEDIA-SEQUENCE:{int(at.timestamp()) // REC_SEGMENT_SECONDS}")
            first = False
        else:
            lines.append("#EXT-X-DISCONTINUITY")
        while at < stop:
            index = int(at.timestamp()) // REC_SEGMENT_SECONDS
            lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{at.astimezone(UTC):%Y-%m-%dT%H:%M:%S.000Z}")
            lines.append(f"#EXTINF:{REC_SEGMENT_SECONDS}.000,")
            lines.append(f"/rec/seg-{index % REC_SEGMENTS}.ts")
            at += step
    if first:
        lines.append("#EXT-X-MEDIA-SEQUENCE:0")
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def _moment(values: list[str]) -> datetime | None:
    if not values:
        return None
    raw = values[0]
    if raw.isdigit():
        return datetime.fromtimestamp(int(raw), UTC)
    moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Simulator:
    """Cameras (one ffmpeg each) and the recorder, behind one HTTP server on `port`."""

    def __init__(self, cameras: list[Camera], *, host: str = "127.0.0.1", port: int = 8090,
                 folder: Path | None = None, size: str = "480x270", rate: int = 12):
        self.cameras = cameras
        self.folder = folder or sim_dir()
        self.size, self.rate = size, rate
        self.procs: dict[str, subprocess.Popen] = {}
        self.server = ThreadingHTTPServer((host, port), _handler(self.folder))
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, recorder: bool = True) -> Simulator:
        if recorder:
            make_record_segments(self.folder / "rec")
        for camera in self.cameras:
            self._start_camera(camera)
        self._thread = threading.Thread(target=self.server.serve_forever, name="video-sim-http", daemon=True)
        self._thread.start()
        return self

    def _start_camera(self, camera: Camera) -> None:
        if not NAME_RE.match(camera.name):
            raise ValueError(f"not a simulator stream name: {camera.name!r}")
        out = self.folder / "live" / camera.name
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        log = open(out / "ffmpeg.log", "wb")
        self.procs[camera.name] = subprocess.Popen(
            camera_command(camera, out, size=self.size, rate=self.rate), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=log, start_new_session=True, env={"TZ": "Asia/Shanghai"})
        log.close()

    def tick(self) -> None:
        """Restart a camera whose ffmpeg died."""
        for camera in self.cameras:
            proc = self.procs.get(camera.name)
            if proc is not None and proc.poll() is not None:
                logger.warning("simulated camera %s stopped (%s); restarting", camera.name, proc.returncode)
                self._start_camera(camera)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        for proc in self.procs.values():
            stop_process(proc)
        self.procs.clear()


def _handler(folder: Path):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):  # quiet: the demo's console is for the platform
            logger.debug(fmt, *args)

        def do_GET(self):
            url = urlparse(self.path)
            if m := LIVE_RE.match(url.path):
                return self._file(folder / "live" / m["name"] / m["file"])
            if m := REC_SEG_RE.match(url.path):
                return self._file(folder / "rec" / f"seg-{m['n']}.ts")
            if m := REC_RE.match(url.path):
                query = parse_qs(url.query)
                try:
                    start, end = _moment(query.get("start", [])), _moment(query.get("end", []))
                except ValueError:
                    return self._send(400, b"bad start or end", "text/plain")
                body = record_playlist(m["case"], now=datetime.now(UTC), start=start, end=end)
                return self._send(200, body.encode(), "application/vnd.apple.mpegurl")
            return self._send(404, b"not found", "text/plain")

        def _file(self, path: Path):
            try:
                data = path.read_bytes()
            except OSError:
                return self._send(404, b"not found", "text/plain")
            kind = "application/vnd.apple.mpegurl" if path.suffix == ".m3u8" else "video/mp2t"
            return self._send(200, data, kind)

        def _send(self, status: int, body: bytes, kind: str):
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

    return Handler
