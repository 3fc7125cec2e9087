"""The 1:N index files: an encrypted snapshot per district and an encrypted change log beside it.

Why a log: rewriting the snapshot on every enrolment would cost the whole partition each time
(~1 GB for 2,000,000 rows); appending one change costs ~1 KB. The snapshot is rewritten when the
partition is rebuilt or changes kind, and when the log outgrows min(snapshot,
ZHUCAN_FACE_INDEX_LOG_MAX_BYTES). The log also carries changes between processes: a process whose
cached partition is behind applies the entries it lacks instead of reloading the snapshot.

Snapshot `district-<id>.bin`: text lines, each a `crypto.encrypt` token (as protected as the
database column, context "face.index|…"). Line 1, the header: {district, generation, kind, meta,
arrays: [[name, dtype, shape]], chunks}. Then `chunks` lines of at most 8 MB of the arrays' bytes,
each bound to the district, the generation, its position and the count, so chunks can be neither
reordered, dropped nor mixed between snapshots. Written to a temporary file, then renamed.

Log `district-<id>.log`: one line per committed change, "<generation> <token>", the token holding
{e: elder_id, v: base64 float32 or null} bound to the district and that generation. Appended with
one O_APPEND write; any process may append (a generation is made by exactly one transaction).
Replay applies entries from the partition's generation + 1 while they follow on without a gap;
a gap or an unreadable line ends it, and the caller rebuilds from the database if the result is
not the current generation.

Between processes (flock on side files): snapshot writers of a district take turns and never
replace a newer snapshot with an older one; appends share the log's lock and the trim after a
snapshot takes it alone, so no entry is lost between reading and rewriting the log.
"""

from __future__ import annotations

import base64
import fcntl
import json
import logging
import os
import threading
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from django.conf import settings

from zhucan.core import crypto
from zhucan.face import partitions
from zhucan.face.partitions import Change, Partition

log = logging.getLogger(__name__)

CHUNK = 8 * 1024 * 1024
LOG_MAX_BYTES = 4 * 1024 * 1024  # ≈ 4,000 changes


def index_dir() -> Path:
    return Path(getattr(settings, "ZHUCAN_FACE_INDEX_DIR", Path(settings.VAR_DIR) / "face-index"))


def snapshot_path(district_id: int) -> Path:
    return index_dir() / f"district-{district_id}.bin"


def log_path(district_id: int) -> Path:
    return index_dir() / f"district-{district_id}.log"


def _log_lock(district_id: int) -> Path:
    return index_dir() / f"district-{district_id}.log.lock"


def _header_context(district_id: int) -> str:
    return f"face.index|{district_id}"


def _chunk_context(district_id: int, generation: int, i: int, n: int) -> str:
    return f"face.index|{district_id}|{generation}|{i}/{n}"


def _log_context(district_id: int, generation: int) -> str:
    return f"face.index.log|{district_id}|{generation}"


def _tmp(path: Path) -> Path:
    return path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")


def _pieces(arrays: dict[str, np.ndarray]):
    for arr in arrays.values():
        raw = memoryview(np.ascontiguousarray(arr).reshape(-1).view(np.uint8))
        for start in range(0, len(raw), CHUNK):
            yield raw[start:start + CHUNK]


# --- snapshot -----------------------------------------------------------------------------------

@contextmanager
def _flock(path: Path, mode: int):
    """A lock shared by every process using the directory (flock on a side file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, mode)
        yield
    finally:
        os.close(fd)  # releases the lock


def _header(district_id: int) -> dict | None:
    try:
        with open(snapshot_path(district_id)) as f:
            return json.loads(crypto.decrypt(f.readline().strip(), context=_header_context(district_id)))
    except Exception:
        return None


def write_snapshot(part: Partition) -> bool:
    """Write the partition unless a newer snapshot is already there, then keep only the log entries
    newer than it. Writers of one district take turns (slow for big partitions: no lock of the
    partition or the cache is held meanwhile, only while it is serialised)."""
    district_id = part.district_id
    with _flock(index_dir() / f"district-{district_id}.snapshot.lock", fcntl.LOCK_EX):
        generation, meta, arrays = part.payload()
        existing = _header(district_id)
        if existing is not None and int(existing["generation"]) > generation:
            return False
        arrays = {k: np.ascontiguousarray(v) for k, v in arrays.items()}
        chunks = sum(-(-v.nbytes // CHUNK) for v in arrays.values())
        header = {"district": district_id, "generation": generation, "kind": part.kind, "meta": meta,
                  "arrays": [[k, str(v.dtype), list(v.shape)] for k, v in arrays.items()], "chunks": chunks}
        path = snapshot_path(district_id)
        tmp = _tmp(path)
        with open(tmp, "w", opener=lambda p, f: os.open(p, f, 0o600)) as out:
            out.write(crypto.encrypt(json.dumps(header), context=_header_context(district_id)) + "\n")
            for i, piece in enumerate(_pieces(arrays)):
                token = crypto.encrypt(base64.b64encode(piece).decode(),
                                       context=_chunk_context(district_id, generation, i, chunks))
                out.write(token + "\n")
        os.replace(tmp, path)
        _trim_log(district_id, generation)
    return True


def read_snapshot(district_id: int) -> Partition | None:
    path = snapshot_path(district_id)
    try:
        with open(path) as f:
            header = json.loads(crypto.decrypt(f.readline().strip(), context=_header_context(district_id)))
            generation, n = int(header["generation"]), int(header["chunks"])
            specs = [(name, np.dtype(dtype), tuple(shape)) for name, dtype, shape in header["arrays"]]
            buf = bytearray(sum(dt.itemsize * int(np.prod(shape)) for _, dt, shape in specs))
            at = 0
            for i in range(n):
                piece = base64.b64decode(crypto.decrypt(f.readline().strip(),
                                                        context=_chunk_context(district_id, generation, i, n)))
                buf[at:at + len(piece)] = piece
                at += len(piece)
            if at != len(buf) or f.readline():
                raise ValueError("snapshot size does not match its header")
        arrays, at = {}, 0
        for name, dt, shape in specs:
            size = dt.itemsize * int(np.prod(shape))
            arrays[name] = np.frombuffer(buf, dtype=dt, count=size // dt.itemsize, offset=at).reshape(shape)
            at += size
        return partitions.KINDS[header["kind"]].from_payload(district_id, generation, header["meta"], arrays)
    except FileNotFoundError:
        return None
    except Exception:  # unreadable, tampered, truncated or from another key: rebuilt from the database
        log.warning("face index snapshot %s unreadable; rebuilding", path)
        return None


# --- log ----------------------------------------------------------------------------------------

def append_change(district_id: int, generation: int, elder_id: int, vector: np.ndarray | None) -> None:
    body = {"e": int(elder_id),
            "v": None if vector is None else base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode()}
    line = f"{generation} {crypto.encrypt(json.dumps(body), context=_log_context(district_id, generation))}\n"
    path = log_path(district_id)
    with _flock(_log_lock(district_id), fcntl.LOCK_SH):  # appends run together; a trim waits
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)


def _log_lines(district_id: int) -> list[tuple[int, str]]:
    try:
        text = log_path(district_id).read_text()
    except FileNotFoundError:
        return []
    out = []
    for line in text.splitlines():
        g, _, token = line.partition(" ")
        if g.isdigit() and token:
            out.append((int(g), token))
    return out


def changes_after(district_id: int, generation: int, upto: int | None = None) -> tuple[list[Change], int]:
    """The logged changes that follow `generation` without a gap (up to `upto`), and where they end."""
    found: dict[int, str] = {}
    for g, token in _log_lines(district_id):
        if g > generation and (upto is None or g <= upto):
            found.setdefault(g, token)
    changes: list[Change] = []
    g = generation
    while g + 1 in found:
        try:
            body = json.loads(crypto.decrypt(found[g + 1], context=_log_context(district_id, g + 1)))
            vector = None if body["v"] is None else np.frombuffer(base64.b64decode(body["v"]), dtype="<f4")
        except Exception:
            log.warning("face index log %s: entry %s unreadable", log_path(district_id), g + 1)
            break
        changes.append((int(body["e"]), vector))
        g += 1
    return changes, g


def catch_up(part: Partition, upto: int | None = None) -> Partition:
    """The partition with the logged changes that follow it applied (in place for IVF)."""
    changes, g = changes_after(part.district_id, part.generation, upto)
    return part.apply(changes, g) if changes else part


def load(district_id: int, upto: int | None = None) -> Partition | None:
    part = read_snapshot(district_id)
    return None if part is None else catch_up(part, upto)


def log_too_long(district_id: int) -> bool:
    try:
        size = log_path(district_id).stat().st_size
    except FileNotFoundError:
        return False
    try:
        snap = snapshot_path(district_id).stat().st_size
    except FileNotFoundError:
        return True
    limit = int(getattr(settings, "ZHUCAN_FACE_INDEX_LOG_MAX_BYTES", LOG_MAX_BYTES))
    return size > min(snap, limit)


def _trim_log(district_id: int, generation: int) -> None:
    """Keep the entries newer than the snapshot (another process may have just appended one)."""
    path = log_path(district_id)
    with _flock(_log_lock(district_id), fcntl.LOCK_EX):
        if not path.exists():
            return
        keep = "".join(f"{g} {token}\n" for g, token in _log_lines(district_id) if g > generation)
        tmp = _tmp(path)
        with open(tmp, "w", opener=lambda p, f: os.open(p, f, 0o600)) as out:
            out.write(keep)
        os.replace(tmp, path)


def remove(district_id: int) -> None:
    for path in (snapshot_path(district_id), log_path(district_id), _log_lock(district_id),
                 index_dir() / f"district-{district_id}.snapshot.lock"):
        path.unlink(missing_ok=True)
