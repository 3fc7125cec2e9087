"""The 1:N index: exact search over a narrowed set (the canteen's district, or its city's districts).

Why exact NumPy and not HNSW (faiss / hnswlib): see docs/performance.md "## Face (issue 5)". In
short, a district's consenting elders are at most a few hundred thousand rows, where an exact
float32 matrix–vector product takes milliseconds, is always right (recall 1.0), needs no build
(an HNSW graph takes minutes to build at these sizes on 2 cores and cannot delete entries), and
gives the *true* second-nearest elder, which the ambiguity refusal depends on: an approximate
index that misses the true nearest neighbour may hand back a different elder.

Partitions: one per district, holding the elders of that district with an enrolment, an active
1:N consent and an active record. Each partition carries the district's FaceIndexGeneration
number. A search reads the current numbers (one query) and uses, in order, the process's cached
partition, the persisted file in VAR_DIR/face-index/, or a rebuild from the database — whichever
carries the current number. Enrolment and withdrawal move the number forward in their own
transaction and, after commit, apply the change to the cached partition and rewrite the file.
The files hold embeddings, so they are encrypted like the database column (zhucan.core.crypto,
context "face.index") and written atomically (temporary file + rename).
"""

from __future__ import annotations

import base64
import io
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db.models import F

from zhucan.core import crypto

log = logging.getLogger(__name__)

EMBEDDING_CONTEXT = "face.embedding"
FILE_CONTEXT = "face.index"
DIM = 128


@dataclass(frozen=True)
class Partition:
    district_id: int
    generation: int
    elder_ids: np.ndarray  # int64 (n,)
    matrix: np.ndarray  # float32 (n, 128)
    sq: np.ndarray  # float32 (n,) squared norms

    @classmethod
    def of(cls, district_id: int, generation: int, elder_ids, matrix) -> Partition:
        matrix = np.ascontiguousarray(np.asarray(matrix, dtype=np.float32).reshape(-1, DIM))
        ids = np.asarray(elder_ids, dtype=np.int64).reshape(-1)
        return cls(district_id, generation, ids, matrix, np.einsum("ij,ij->i", matrix, matrix))

    def __len__(self) -> int:
        return len(self.elder_ids)

    def search(self, q: np.ndarray, k: int) -> list[tuple[int, float]]:
        n = len(self)
        if n == 0:
            return []
        d2 = self.sq - 2.0 * (self.matrix @ q) + float(q @ q)
        k = min(k, n)
        top = np.argpartition(d2, k - 1)[:k] if n > k else np.arange(n)
        top = top[np.argsort(d2[top])]
        return [(int(self.elder_ids[i]), float(np.sqrt(max(d2[i], 0.0)))) for i in top]

    def without(self, elder_id: int, generation: int) -> Partition:
        keep = self.elder_ids != elder_id
        return Partition.of(self.district_id, generation, self.elder_ids[keep], self.matrix[keep])

    def with_row(self, elder_id: int, vector: np.ndarray, generation: int) -> Partition:
        base = self.without(elder_id, generation)
        return Partition.of(self.district_id, generation, np.append(base.elder_ids, elder_id),
                            np.vstack([base.matrix, np.asarray(vector, dtype=np.float32).reshape(1, DIM)]))


_cache: dict[int, Partition] = {}
_lock = threading.RLock()


# --- encryption of single embeddings (the database column) ---------------------------------

def seal_embedding(vector: np.ndarray) -> str:
    from zhucan.face.embedding import to_bytes

    return crypto.encrypt(base64.b64encode(to_bytes(vector)).decode(), context=EMBEDDING_CONTEXT)


def open_embedding(token: str) -> np.ndarray:
    from zhucan.face.embedding import from_bytes

    return from_bytes(base64.b64decode(crypto.decrypt(token, context=EMBEDDING_CONTEXT)))


# --- generations --------------------------------------------------------------------------

def bump(district_id: int) -> int:
    """Move the district's number forward; call inside the transaction that changes its rows."""
    from zhucan.face.models import FaceIndexGeneration

    row, _ = FaceIndexGeneration.objects.get_or_create(district_id=district_id)
    FaceIndexGeneration.objects.filter(pk=row.pk).update(generation=F("generation") + 1)
    return FaceIndexGeneration.objects.values_list("generation", flat=True).get(pk=row.pk)


def generations(district_ids: list[int]) -> dict[int, int]:
    from zhucan.face.models import FaceIndexGeneration

    found = dict(FaceIndexGeneration.objects.filter(district_id__in=district_ids)
                 .values_list("district_id", "generation"))
    return {d: found.get(d, 0) for d in district_ids}


# --- files --------------------------------------------------------------------------------

def index_dir() -> Path:
    return Path(getattr(settings, "ZHUCAN_FACE_INDEX_DIR", Path(settings.VAR_DIR) / "face-index"))


def _path(district_id: int) -> Path:
    return index_dir() / f"district-{district_id}.bin"


def _write(part: Partition) -> None:
    buf = io.BytesIO()
    np.savez(buf, meta=np.array([part.district_id, part.generation], dtype=np.int64),
             ids=part.elder_ids, matrix=part.matrix)
    token = crypto.encrypt(base64.b64encode(buf.getvalue()).decode(), context=FILE_CONTEXT)
    path = _path(part.district_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(token)
    tmp.chmod(0o600)
    os.replace(tmp, path)


def _read(district_id: int) -> Partition | None:
    path = _path(district_id)
    try:
        token = path.read_text()
        raw = base64.b64decode(crypto.decrypt(token, context=FILE_CONTEXT))
        with np.load(io.BytesIO(raw), allow_pickle=False) as z:
            meta, ids, matrix = z["meta"], z["ids"], z["matrix"]
    except FileNotFoundError:
        return None
    except Exception:  # unreadable, tampered or from another key: rebuilt from the database
        log.warning("face index file %s unreadable; rebuilding", path)
        return None
    if int(meta[0]) != district_id:
        return None
    return Partition.of(district_id, int(meta[1]), ids, matrix)


def remove_file(district_id: int) -> None:
    _path(district_id).unlink(missing_ok=True)


# --- building and searching ---------------------------------------------------------------

def rows_for(district_id: int):
    """What the district's partition must hold (the query is the definition of the index)."""
    from zhucan.elders.models import ElderStatus
    from zhucan.face.models import ConsentScope, FaceEnrolment
    from zhucan.regions.models import Region

    path = Region.objects.values_list("path", flat=True).get(pk=district_id)
    return (FaceEnrolment.objects
            .filter(elder__community__path__startswith=path, elder__status=ElderStatus.ACTIVE,
                    elder__face_consents__scope=ConsentScope.IDENTIFY,
                    elder__face_consents__withdrawn_at__isnull=True)
            .values_list("elder_id", "embedding_encrypted"))


def rebuild(district_id: int, generation: int) -> Partition:
    rows = list(rows_for(district_id))  # read after the generation: never older than its number
    ids = [r[0] for r in rows]
    matrix = np.array([open_embedding(r[1]) for r in rows], dtype=np.float32).reshape(-1, DIM)
    part = Partition.of(district_id, generation, ids, matrix)
    _write(part)
    return part


def partition(district_id: int, generation: int) -> Partition:
    with _lock:
        cached = _cache.get(district_id)
        if cached is not None and cached.generation == generation:
            return cached
        part = _read(district_id)
        if part is None or part.generation != generation:
            part = rebuild(district_id, generation)
        _cache[district_id] = part
        return part


def search(district_ids: list[int], query: np.ndarray, k: int = 2) -> list[tuple[int, float]]:
    """The k nearest (elder_id, distance) over the districts' partitions, nearest first (exact)."""
    q = np.asarray(query, dtype=np.float32).reshape(DIM)
    current = generations(district_ids)
    found: list[tuple[int, float]] = []
    for district_id, generation in current.items():
        found.extend(partition(district_id, generation).search(q, k))
    found.sort(key=lambda x: x[1])
    return found[:k]


def apply_change(district_id: int, generation: int, *, elder_id: int, vector: np.ndarray | None) -> None:
    """After commit: put (vector) or take out (None) one elder, if our copy is one step behind.

    Otherwise (another process changed it meanwhile, or nothing cached) the cached copy is dropped
    and the next search loads the file or rebuilds — never uses a partition with an old number."""
    with _lock:
        cached = _cache.get(district_id)
        if cached is None:
            cached = _read(district_id)
        if cached is None or cached.generation != generation - 1:
            _cache.pop(district_id, None)
            return
        part = (cached.without(elder_id, generation) if vector is None
                else cached.with_row(elder_id, vector, generation))
        _write(part)
        _cache[district_id] = part


def clear_cache() -> None:
    with _lock:
        _cache.clear()
