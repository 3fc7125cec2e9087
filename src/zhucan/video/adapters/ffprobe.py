"""ffprobe as a subprocess with a hard timeout: does a URL (HLS or RTSP) carry a video stream?"""

from __future__ import annotations

import json
import shutil
import subprocess

FFPROBE = shutil.which("ffprobe") or "/usr/bin/ffprobe"


def ffprobe_video(url: str, *, timeout: float) -> tuple[bool, str]:
    """(True, "H264 1280×720") when ffprobe finds a video stream within `timeout` seconds; else
    (False, a Chinese reason). The URL (which may carry credentials) is never put in the reason."""
    micro = str(max(1, int(timeout * 1_000_000)))
    cmd = [FFPROBE, "-v", "error", "-hide_banner"]
    if url.lower().startswith("rtsp"):
        cmd += ["-rtsp_transport", "tcp", "-timeout", micro]
    else:
        cmd += ["-rw_timeout", micro]
    cmd += ["-select_streams", "v", "-show_entries", "stream=codec_name,width,height", "-of", "json", url]
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=timeout + 1, check=False)
    except subprocess.TimeoutExpired:
        return False, f"{timeout:g}秒内未取到视频"
    except OSError:
        return False, "服务器未安装 ffprobe"
    if done.returncode != 0:
        err = done.stderr.decode(errors="replace").lower()
        if "401" in err or "unauthorized" in err or "403" in err:
            return False, "设备拒绝了用户名或密码"
        if "refused" in err or "no route" in err or "resolve" in err:
            return False, "无法连接设备"
        if "timed out" in err or "timeout" in err:
            return False, f"{timeout:g}秒内未取到视频"
        return False, "取流失败"
    try:
        streams = json.loads(done.stdout or b"{}").get("streams") or []
    except ValueError:
        streams = []
    if not streams:
        return False, "流中没有视频"
    s = streams[0]
    size = f" {s.get('width')}×{s.get('height')}" if s.get("width") else ""
    return True, f"{str(s.get('codec_name', '')).upper()}{size}"
