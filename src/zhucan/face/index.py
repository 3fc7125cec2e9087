"""The 1:N index: one partition per district, exact below a size and faiss IVF above it.

Partitions (partitions.py): one per district, holding the elders of that district with an
enrolment, an active 1:N consent and an active record. Below ZHUCAN_FACE_IVF_MIN_SIZE rows
(100,000) a partition is an exact float32 search (always right; ~4 ms at 200,000 rows, ~60 ms at
2,000,000); from it on, a faiss IndexIVFFlat (p50 0.9 ms, p99 1.1 ms at 2,000,000; in the
benchmark it returned exact search's nearest elder every time and its runner-up 99.2 % of the
time, with the same accept / ambiguous decision — see docs/performance.md "## Face").
Either way face.services.face_identify re-checks the winner against the database.

Generations: each partition carries the district's FaceIndexGeneration number. A search reads the
current numbers (one query) and uses, in order, the process's cached partition (brought forward
from the change log if it is behind), the persisted snapshot plus its log (index_store.py), or a
rebuild from the database — whichever reaches the current number; never an older one. Enrolment
and withdrawal move the number forward in their own transaction and, after commit, log the change
and apply it to the cached partition. The files hold embeddings, so they are encrypted like the
database column.
"""

from __future__ import annotations

import base64
import logging
import threading

import numpy as np
from django.db.models import F

from zhucan.core import crypto
from zhucan.face import index_store, partitions
from zhucan.face.partitions import Partition

log = logging.getLogger(__name__)

EMBEDDING_CONTEXT = "face.embedding"
DIM = 128
index_dir = index_store.index_dir

_cache: dict[int, Partition] = {}
_lock = threading.Lock()  # guards _cache and _locks
_locks: dict[int, threading.RLock] = {}  # one per district: loads, rebuilds and changes


def _district_lock(district_id: int) -> threading.RLock:
    with _lock:
        return _locks.setdefault(district_id, threading.RLock())


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
    part = partitions.build(district_id, generation, ids, matrix)
    index_store.write_snapshot(part)
    return part


def partition(district_id: int, generation: int) -> Partition:
    """The district's partition at `generation` (cache, then log, then files, then database).

    A cached partition may be newer (it is changed in place after commit, possibly between the
    caller reading the number and getting here); a file must carry exactly the number."""
    with _district_lock(district_id):
        part = _cache.get(district_id)
        if part is not None and part.generation < generation:
            part = index_store.catch_up(part, generation)
        if part is None or part.generation < generation:
            part = index_store.load(district_id, generation)
            if part is not None and part.generation != generation:
                part = None
        if part is None:
            part = rebuild(district_id, generation)
        _cache[district_id] = part
        return part


def search(district_ids: list[int], query: np.ndarray, k: int = 2) -> list[tuple[int, float]]:
    """The k nearest (elder_id, distance) over the districts' partitions, nearest first."""
    q = np.asarray(query, dtype=np.float32).reshape(DIM)
    current = generations(district_ids)
    found: list[tuple[int, float]] = []
    for district_id, generation in current.items():
        found.extend(partition(district_id, generation).search(q, k))
    found.sort(key=lambda x: x[1])
    return found[:k]


def apply_change(district_id: int, generation: int, *, elder_id: int, vector: np.ndarray | None) -> None:
    """After commit: log the change (put `vector`, or take the elder out if None) and apply it to
    the cached partition if that is one step behind.

    Otherwise (another process or thread changed the district meanwhile, or nothing is cached) the
    cached copy stays as it is: the next search brings it forward from the log or, if the log has a
    gap, reloads or rebuilds — never uses a partition with an old number.

    A removal also rewrites the snapshot (and so drops the elder's earlier log entries): a withdrawn
    face leaves the files at once, not at the next compaction (docs/face-pia.md §6). The slow
    follow-ups (that rewrite, a partition that outgrew its kind being rebuilt, a long log folded
    into the snapshot) run without the district's lock, so searches go on meanwhile."""
    part = contents = None
    with _district_lock(district_id):
        index_store.append_change(district_id, generation, elder_id, vector)
        cached = _cache.get(district_id)
        if cached is not None and cached.generation == generation - 1:
            part = _cache[district_id] = cached.apply([(elder_id, vector)], generation)
            if partitions.needs_reshape(part):
                contents = part.contents()
    if contents is not None:
        _reshape(district_id, generation, *contents)
    elif part is not None and (vector is None or index_store.log_too_long(district_id)):
        index_store.write_snapshot(part)
    elif part is None and vector is None:
        _purge_files(district_id, generation)


def _purge_files(district_id: int, generation: int) -> None:
    """A removal with no cached partition here: bring the files to `generation` and rewrite them;
    if they cannot get there, delete them (the next search rebuilds from the database)."""
    part = index_store.load(district_id, generation)
    if part is not None and part.generation == generation:
        index_store.write_snapshot(part)
    elif part is not None or index_store.log_path(district_id).exists():
        index_store.remove(district_id)


def _reshape(district_id: int, generation: int, ids: np.ndarray, matrix: np.ndarray) -> None:
    """Build the partition of the right kind from `generation`'s rows, bring it up to the cached
    one's number from the log, and swap it in; if the log cannot bring it there, keep the old one
    (the next change tries again)."""
    new = partitions.build(district_id, generation, ids, matrix)
    with _district_lock(district_id):
        current = _cache.get(district_id)
        if current is not None and current.generation > generation:
            new = index_store.catch_up(new, current.generation)
        if current is not None and new.generation != current.generation:
            return
        _cache[district_id] = new
    index_store.write_snapshot(new)


def remove_file(district_id: int) -> None:
    index_store.remove(district_id)


def clear_cache() -> None:
    with _lock:
        _cache.clear()
        _locks.clear()
