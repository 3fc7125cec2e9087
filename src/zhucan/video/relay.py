"""The media relay (issue #19 item 3): ffmpeg turns a canteen's stream (HLS or RTSP, live or a
recorded range) into short HLS segments under var/video/<stream key>/, which our own views serve to
the browser only against a signed token (`video.views_stream`).

Why ffmpeg behind our web server rather than nginx-rtmp: the token must be checked on every playlist
and segment request against the platform's users and jurisdictions, and a camera's address and
credentials must stay on the server; both are Django's anyway, and ffmpeg is already what reads RTSP
and writes HLS (nginx-rtmp would still need ffmpeg to pull each camera, plus a second server and an
auth callback).

The web process never starts ffmpeg (no threads or children in web workers): a view only *asks* for a
stream by touching var/video/<key>/want.json. The relay supervisor (`zhucan video relay`, one process
beside the worker; `zhucan video simulate --relay` in the demo) starts ffmpeg for every stream asked
for, restarts one that died, and stops and removes one nobody asked for in `idle` seconds.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections, connection

from zhucan.core import clock

logger = logging.getLogger("zhucan.video.relay")

KEY_RE = re.compile(r"^(live-(?P<live>\d{1,12})|pb-(?P<pb>\d{1,12})-(?P<start>\d{1,12}))$")
SEGMENT_RE = re.compile(r"^seg-\d{1,9}\.ts$")
PLAYLIST = "index.m3u8"
WANT = "want.json"
ERROR = "error.json"


def video_dir() -> Path:
    return Path(getattr(settings, "ZHUCAN_VIDEO_DIR", settings.VAR_DIR / "video"))


def ffmpeg_path() -> str:
    return getattr(settings, "ZHUCAN_FFMPEG", "/usr/bin/ffmpeg")


def playback_span() -> timedelta:
    """How much footage one playback session relays from the chosen moment."""
    return timedelta(minutes=getattr(settings, "ZHUCAN_VIDEO_PLAYBACK_MINUTES", 30))


def stream_dir(key: str) -> Path:
    if not KEY_RE.match(key):
        raise ValueError(f"not a stream key: {key!r}")
    return video_dir() / key


def relay_want(key: str) -> None:
    """Ask the relay for stream `key` (again): called by the views on every playlist request, so a
    stream lives while someone watches it."""
    folder = stream_dir(key)
    folder.mkdir(parents=True, exist_ok=True)
    want = folder / WANT
    if not want.exists():
        match = KEY_RE.match(key)
        channel = int(match["live"] or match["pb"])
        start = int(match["start"]) if match["start"] else None
        tmp = folder / f".want-{os.getpid()}"
        tmp.write_text(json.dumps({"channel": channel, "start": start}))
        tmp.replace(want)
    else:
        os.utime(want)


def relay_error(key: str) -> str:
    """The Chinese reason the relay could not open the stream, or ''."""
    path = stream_dir(key) / ERROR
    try:
        return json.loads(path.read_text()).get("message", "")
    except (OSError, ValueError):
        return ""


def live_command(source: str, out: Path) -> list[str]:
    return [ffmpeg_path(), "-nostdin", "-hide_banner", "-loglevel", "error", *_input_options(source),
            "-i", source, "-map", "0:v:0", "-map", "0:a:0?", "-c", "copy",
            "-f", "hls", "-hls_time", "2", "-hls_list_size", "6",
            "-hls_flags", "delete_segments+program_date_time+independent_segments",
            "-hls_segment_filename", str(out / "seg-%05d.ts"), str(out / PLAYLIST)]


def playback_command(source: str, out: Path, seconds: int) -> list[str]:
    # -re: a recorder's footage is read at the pace it is watched (not the whole range at once).
    return [ffmpeg_path(), "-nostdin", "-hide_banner", "-loglevel", "error", "-re", *_input_options(source),
            "-i", source, "-t", str(seconds), "-map", "0:v:0", "-map", "0:a:0?", "-c", "copy",
            "-f", "hls", "-hls_time", "2", "-hls_list_size", "0", "-hls_playlist_type", "event",
            "-hls_flags", "program_date_time+independent_segments",
            "-hls_segment_filename", str(out / "seg-%05d.ts"), str(out / PLAYLIST)]


def _input_options(source: str) -> list[str]:
    if source.startswith("rtsp"):
        return ["-rtsp_transport", "tcp", "-timeout", "10000000"]
    if source.startswith("http"):
        return ["-rw_timeout", "10000000"]
    return []


def resolve_source(channel_id: int, start: int | None) -> tuple[str, int]:
    """The address ffmpeg reads (server side only: it may carry the device's credentials or a
    platform token) and, for a playback, how many seconds to relay."""
    from zhucan.video.adapters.base import adapter_for
    from zhucan.video.models import Channel

    channel = Channel.objects.select_related("device").get(pk=channel_id, active=True, device__active=True)
    adapter = adapter_for(channel.device)
    if start is None:
        return adapter.live_source(channel), 0
    # The viewer picked a moment on the business clock; the recorder knows it by real time.
    begin = clock.to_media(datetime.fromtimestamp(start, UTC))
    span = playback_span()
    return adapter.playback_source(channel, begin, begin + span), int(span.total_seconds())


@dataclass
class _Stream:
    key: str
    proc: subprocess.Popen | None = None
    started: float = 0.0
    failures: int = 0
    reported: bool = False  # this ffmpeg's failure is already told to the viewers (error.json)
    log: object = field(default=None, repr=False)


class Relay:
    """The supervisor. `tick()` does one round; `run()` loops until stopped."""

    def __init__(self, *, idle: float | None = None, retry: float = 3.0, resolve=resolve_source):
        self.idle = idle if idle is not None else getattr(settings, "ZHUCAN_VIDEO_IDLE_SECONDS", 60)
        self.retry = retry
        self.resolve = resolve
        self.streams: dict[str, _Stream] = {}
        self.running = True

    def tick(self, now: float | None = None) -> None:
        now = time.time() if now is None else now
        root = video_dir()
        root.mkdir(parents=True, exist_ok=True)
        seen = set()
        for folder in root.iterdir():
            if not folder.is_dir() or not KEY_RE.match(folder.name):
                continue
            key = folder.name
            try:
                asked = (folder / WANT).stat().st_mtime
            except FileNotFoundError:
                asked = None
            if asked is None or now - asked > self.idle:
                self._stop(key)
                shutil.rmtree(folder, ignore_errors=True)
                continue
            seen.add(key)
            stream = self.streams.setdefault(key, _Stream(key))
            playback = bool(KEY_RE.match(key)["pb"])
            if stream.proc is not None and stream.proc.poll() is None:
                if stream.failures and _fresh_playlist(folder, stream.started):
                    stream.failures = 0  # it came back: the viewer's notice goes
                    (folder / ERROR).unlink(missing_ok=True)
                continue
            finished = stream.proc is not None
            if finished and playback and stream.proc.returncode == 0:
                continue  # the recorded range was relayed to its end
            if finished and not stream.reported:
                stream.reported = True
                _write_error(folder, "无法读取该时段的录像，正在重试" if playback else "摄像机暂时无法连接，正在重试")
            if now - stream.started < self.retry * min(stream.failures + 1, 10):
                continue
            if finished:
                stream.failures += 1
            self._start(stream, folder, now)
        for key in list(self.streams):
            if key not in seen:
                self._stop(key)

    def _start(self, stream: _Stream, folder: Path, now: float) -> None:
        stream.started = now
        try:
            want = json.loads((folder / WANT).read_text())
            source, seconds = self.resolve(int(want["channel"]), want.get("start"))
        except Exception as exc:  # the adapter's or the registry's refusal: say so to the viewer
            message = getattr(exc, "message", "") or "无法取得该通道的视频地址"
            logger.warning("relay %s: cannot resolve the source: %s", stream.key, exc)
            _write_error(folder, message)
            stream.failures += 1
            return
        if not stream.failures:
            (folder / ERROR).unlink(missing_ok=True)
        stream.reported = False
        command = live_command(source, folder) if not seconds else playback_command(source, folder, seconds)
        if stream.log is None:
            stream.log = open(folder / "ffmpeg.log", "ab")
        stream.proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                       stderr=stream.log, start_new_session=True)
        logger.info("relay %s: ffmpeg started (pid %s)", stream.key, stream.proc.pid)

    def _stop(self, key: str) -> None:
        stream = self.streams.pop(key, None)
        if stream is None:
            return
        stop_process(stream.proc)
        if stream.log is not None:
            stream.log.close()

    def close(self) -> None:
        for key in list(self.streams):
            self._stop(key)

    def run(self, *, interval: float = 0.5, until=None) -> None:
        try:
            while self.running and not (until and until()):
                close_old_connections()  # a long-running process: no stale or broken connection
                self.tick()
                time.sleep(interval)
        finally:
            self.close()
            connection.close()  # this thread's or process's own connection (the test database drops cleanly)


def _write_error(folder: Path, message: str) -> None:
    tmp = folder / f".error-{os.getpid()}"
    tmp.write_text(json.dumps({"message": message}, ensure_ascii=False))
    tmp.replace(folder / ERROR)


def _fresh_playlist(folder: Path, since: float) -> bool:
    try:
        return (folder / PLAYLIST).stat().st_mtime >= since
    except FileNotFoundError:
        return False


def stop_process(proc: subprocess.Popen | None, *, grace: float = 3.0) -> None:
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=grace)
