"""A stand-in HLS origin and recorder, speaking RFC 8216 playlists.

Live (`/live/<case>-<n>.m3u8`): `ok` advances its media sequence on every read and dates its last
segment now; `stalled` never advances; `behind` advances but is dated ten minutes ago; `dark` is
404; `slow` answers after 30 s; `garbage` answers bytes; `auth` is 401; `master` is a master
playlist pointing at an `ok` stream; `ended` carries EXT-X-ENDLIST.

Recorder (`/record/<case>.m3u8?start=&end=`, Unix seconds): ten-minute segments dated with
EXT-X-PROGRAM-DATE-TIME over what it keeps — `full` 8 days, `five` 5 days, `gap` 8 days with a
20-minute hole 3 days ago, `noseg` 8 days whose segments are missing (the sample fails), `slow`,
`garbage`. Segments are one real small MPEG-TS clip (`/seg/<n>.ts`)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from tests.video.standins.base import Answer, StandIn

PLAYLIST = {"Content-Type": "application/vnd.apple.mpegurl"}
RECORD_SEGMENT = 600


def _pdt(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class HlsStandIn(StandIn):
    def __init__(self, segment: bytes, now=lambda: datetime.now(UTC)):
        self.segment, self.now = segment, now
        self.sequences: dict[str, int] = {}
        self.lock = threading.Lock()
        super().__init__(self.app)

    def live(self, name: str) -> str:
        return f"/live/{name}.m3u8"

    def _live(self, name: str) -> Answer:
        case = name.split("-", 1)[0]
        if case == "dark":
            return Answer(404, b"not found")
        if case == "slow":
            return Answer(200, b"#EXTM3U\n", PLAYLIST, delay=30)
        if case == "garbage":
            return Answer(200, b"\x00\x01garbage\xff" * 20)
        if case == "auth":
            return Answer(401, b"unauthorized")
        if case == "master":
            return Answer(200, f"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000\n/live/ok-of-{name}.m3u8\n".encode(),
                          PLAYLIST)
        with self.lock:
            seq = self.sequences.get(name, 100)
            if case != "stalled":
                self.sequences[name] = seq + 1
        last = self.now() - (timedelta(minutes=10) if case == "behind" else timedelta(seconds=2))
        lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:2", f"#EXT-X-MEDIA-SEQUENCE:{seq}"]
        for i in range(3):
            lines += [f"#EXT-X-PROGRAM-DATE-TIME:{_pdt(last - timedelta(seconds=2 * (2 - i)))}",
                      "#EXTINF:2.000,", f"/seg/{seq + i}.ts"]
        if case == "ended":
            lines.append("#EXT-X-ENDLIST")
        return Answer(200, ("\n".join(lines) + "\n").encode(), PLAYLIST)

    def _record(self, case: str, query: dict[str, str]) -> Answer:
        if case == "slow":
            return Answer(200, b"#EXTM3U\n", PLAYLIST, delay=30)
        if case == "garbage":
            return Answer(200, b"<html>oops</html>")
        now = self.now()
        kept = {"five": timedelta(days=5)}.get(case, timedelta(days=8))
        hole = (now - timedelta(days=3), now - timedelta(days=3) + timedelta(minutes=20)) if case == "gap" else None
        try:
            start = datetime.fromtimestamp(int(query.get("start", 0)), UTC)
            end = datetime.fromtimestamp(int(query.get("end", 0)), UTC) if query.get("end") else now
        except ValueError:
            return Answer(400, b"bad time")
        start, end = max(start, now - kept), min(end, now)
        # Segment boundaries on a fixed grid (so a sub-range reads the same segments).
        t = datetime.fromtimestamp(int(start.timestamp()) // RECORD_SEGMENT * RECORD_SEGMENT, UTC)
        lines = ["#EXTM3U", "#EXT-X-VERSION:3", f"#EXT-X-TARGETDURATION:{RECORD_SEGMENT}",
                 "#EXT-X-PLAYLIST-TYPE:VOD"]
        n = 0
        while t < end:
            seg_end = min(t + timedelta(seconds=RECORD_SEGMENT), end)
            if hole and t < hole[1] and seg_end > hole[0]:
                # The recorder lost these minutes: the segment stops at the hole, the next starts after.
                if t < hole[0]:
                    lines += [f"#EXT-X-PROGRAM-DATE-TIME:{_pdt(t)}", f"#EXTINF:{(hole[0] - t).total_seconds():.3f},",
                              f"/seg/{n}.ts"]
                lines.append("#EXT-X-DISCONTINUITY")
                t = hole[1]
                continue
            uri = f"/missing/{n}.ts" if case == "noseg" else f"/seg/{n}.ts"
            lines += [f"#EXT-X-PROGRAM-DATE-TIME:{_pdt(t)}", f"#EXTINF:{(seg_end - t).total_seconds():.3f},", uri]
            t, n = seg_end, n + 1
        lines.append("#EXT-X-ENDLIST")
        return Answer(200, ("\n".join(lines) + "\n").encode(), PLAYLIST)

    def app(self, request) -> Answer:
        path = request.path
        if path.startswith("/live/") and path.endswith(".m3u8"):
            return self._live(path[len("/live/"):-len(".m3u8")])
        if path.startswith("/record/") and path.endswith(".m3u8"):
            return self._record(path[len("/record/"):-len(".m3u8")], request.query)
        if path.startswith("/seg/"):
            return Answer(200, self.segment, {"Content-Type": "video/mp2t"})
        return Answer(404, b"not found")
