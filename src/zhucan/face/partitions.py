"""One district's 1:N search structure: exact below a size, faiss IVF above it. No Django models.

Why two kinds (figures in docs/performance.md "## Face"): exact float32 search is always
right and costs ~4 ms at 200,000 rows but ~60 ms at 2,000,000 (idle machine), while faiss
IndexIVFFlat (4·√n lists, 64 probed) searches 2,000,000 in p50 0.9 ms / p99 1.1 ms with exact
search's nearest elder in 1,000 of 1,000 queries and its runner-up in 992 (IVFFlat stores the
vectors uncompressed, so the distances it returns are exact; only *which* rows it looks at is
approximate). Fewer probes were faster but let a wrong runner-up turn an ambiguous face into an
accepted one (4–10 per 1,000 at 8–16 probes). HNSW was measured too and not chosen: at 2,000,000
it took 322 s to build, reached recall@1 0.991 only at efSearch 256, and faiss HNSW cannot remove
an entry (every withdrawal would need a rebuild).

Both kinds answer the same calls: `search(q, k)` → [(elder_id, distance)], `apply(changes,
generation)` → the partition after a batch of puts/removals, `elder_ids`, `payload()` for the file.
An ExactPartition is immutable (each change makes a copy, so a search never sees half a change);
an IVFPartition is changed in place (a 2,000,000-row copy per enrolment would cost a gigabyte), so
its searches and changes take its own lock.

Settings (defaults in DEFAULTS):
  ZHUCAN_FACE_IVF_MIN_SIZE       rows from which a partition is an IVF index          (100,000)
  ZHUCAN_FACE_IVF_NLIST_FACTOR   lists = factor × √rows at training time              (4)
  ZHUCAN_FACE_IVF_NLIST          fixed number of lists instead (0 = from the factor)  (0)
  ZHUCAN_FACE_IVF_NPROBE         lists searched per query                            (64)
  ZHUCAN_FACE_IVF_RETRAIN_GROWTH retrain when rows reach this × the rows trained on   (4)
  ZHUCAN_FACE_IVF_TRAIN_THREADS  OpenMP threads for training (0 = all cores)          (0)
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from django.conf import settings

DIM = 128

DEFAULTS = {
    "ZHUCAN_FACE_IVF_MIN_SIZE": 100_000,
    "ZHUCAN_FACE_IVF_NLIST_FACTOR": 4.0,
    "ZHUCAN_FACE_IVF_NLIST": 0,
    "ZHUCAN_FACE_IVF_NPROBE": 64,
    "ZHUCAN_FACE_IVF_RETRAIN_GROWTH": 4.0,
    "ZHUCAN_FACE_IVF_TRAIN_THREADS": 0,
}
POINTS_PER_LIST = 40  # training sample = this × lists (faiss asks for ≥ 39)
KMEANS_ITERATIONS = 10

# A change: (elder_id, vector) puts or replaces the elder's row, (elder_id, None) removes it.
Change = tuple[int, "np.ndarray | None"]


def conf(name: str):
    return getattr(settings, name, DEFAULTS[name])


def _net(changes: Iterable[Change]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Touched elder ids, and the rows to put afterwards (the last change per elder wins)."""
    last: dict[int, np.ndarray | None] = {}
    for elder_id, vector in changes:
        last.pop(int(elder_id), None)  # keep the order of the last change
        last[int(elder_id)] = vector
    touched = np.fromiter(last.keys(), dtype=np.int64, count=len(last))
    puts = [(e, v) for e, v in last.items() if v is not None]
    put_ids = np.array([e for e, _ in puts], dtype=np.int64)
    put_rows = np.array([np.asarray(v, dtype=np.float32).reshape(DIM) for _, v in puts],
                        dtype=np.float32).reshape(-1, DIM)
    return touched, put_ids, put_rows


@dataclass(frozen=True)
class ExactPartition:
    district_id: int
    generation: int
    elder_ids: np.ndarray  # int64 (n,)
    matrix: np.ndarray  # float32 (n, 128)
    sq: np.ndarray  # float32 (n,) squared norms

    kind = "exact"

    @classmethod
    def of(cls, district_id: int, generation: int, elder_ids, matrix) -> ExactPartition:
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

    def apply(self, changes: Iterable[Change], generation: int) -> ExactPartition:
        touched, put_ids, put_rows = _net(changes)
        keep = ~np.isin(self.elder_ids, touched)
        return ExactPartition.of(self.district_id, generation, np.concatenate([self.elder_ids[keep], put_ids]),
                                 np.vstack([self.matrix[keep], put_rows]))

    def contents(self) -> tuple[np.ndarray, np.ndarray]:
        return self.elder_ids, self.matrix

    def payload(self) -> tuple[int, dict, dict[str, np.ndarray]]:
        """(generation, meta, arrays) for the snapshot file."""
        return self.generation, {}, {"ids": self.elder_ids, "matrix": self.matrix}

    @classmethod
    def from_payload(cls, district_id: int, generation: int, meta: dict, arrays: dict) -> ExactPartition:
        return cls.of(district_id, generation, arrays["ids"], arrays["matrix"])


def _faiss():
    import faiss

    return faiss


def _train_threads() -> int:
    return int(conf("ZHUCAN_FACE_IVF_TRAIN_THREADS")) or (os.cpu_count() or 1)


def nlist_for(n: int) -> int:
    """Lists for n rows: the setting, or factor × √n, at most n / 39 (faiss's minimum sample)."""
    fixed = int(conf("ZHUCAN_FACE_IVF_NLIST"))
    if fixed:
        return max(1, min(fixed, n))
    return max(1, min(round(float(conf("ZHUCAN_FACE_IVF_NLIST_FACTOR")) * math.sqrt(n)), n // 39))


class IVFPartition:
    """faiss IndexIVFFlat, L2, with the elder ids as faiss ids and a hash map for O(1) removal."""

    kind = "ivf"

    def __init__(self, district_id: int, generation: int, index, trained_on: int) -> None:
        self.district_id = district_id
        self.generation = generation
        self.index = index
        self.trained_on = trained_on  # rows the coarse quantizer was trained on
        self.index.nprobe = int(conf("ZHUCAN_FACE_IVF_NPROBE"))
        self._lock = threading.Lock()

    @classmethod
    def train(cls, district_id: int, generation: int, elder_ids, matrix) -> IVFPartition:
        faiss = _faiss()
        ids = np.ascontiguousarray(np.asarray(elder_ids, dtype=np.int64).reshape(-1))
        matrix = np.ascontiguousarray(np.asarray(matrix, dtype=np.float32).reshape(-1, DIM))
        if len(ids) == 0:
            raise ValueError("an IVF partition needs rows to train on")
        faiss.omp_set_num_threads(_train_threads())
        index = faiss.IndexIVFFlat(faiss.IndexFlatL2(DIM), DIM, nlist_for(len(ids)), faiss.METRIC_L2)
        index.cp.niter = KMEANS_ITERATIONS
        index.cp.max_points_per_centroid = POINTS_PER_LIST  # faiss samples this × nlist rows
        index.cp.seed = 1234  # same rows → same lists
        index.train(matrix)
        index.set_direct_map_type(faiss.DirectMap.Hashtable)
        index.add_with_ids(matrix, ids)
        return cls(district_id, generation, index, len(ids))

    def __len__(self) -> int:
        return int(self.index.ntotal)

    @property
    def nlist(self) -> int:
        return int(self.index.nlist)

    def search(self, q: np.ndarray, k: int) -> list[tuple[int, float]]:
        faiss = _faiss()
        faiss.omp_set_num_threads(1)  # one query: threads only add overhead (measured)
        with self._lock:
            d2, ids = self.index.search(np.asarray(q, dtype=np.float32).reshape(1, DIM), k)
        return [(int(i), float(np.sqrt(max(d, 0.0)))) for d, i in zip(d2[0], ids[0], strict=True) if i >= 0]

    def apply(self, changes: Iterable[Change], generation: int) -> IVFPartition:
        """In place: remove every touched elder, then add the puts (faiss keeps duplicate ids)."""
        faiss = _faiss()
        faiss.omp_set_num_threads(1)  # a handful of rows
        touched, put_ids, put_rows = _net(changes)
        with self._lock:
            if len(touched):
                selector = faiss.IDSelectorArray(touched)  # `touched` must outlive the call
                self.index.remove_ids(selector)
            if len(put_ids):
                self.index.add_with_ids(put_rows, put_ids)
            self.generation = generation
        return self

    def contents(self) -> tuple[np.ndarray, np.ndarray]:
        """All (elder_ids, vectors), read back from the inverted lists (IVFFlat codes are the floats)."""
        faiss = _faiss()
        invlists = self.index.invlists
        ids, rows = [], []
        with self._lock:
            for i in range(self.index.nlist):
                size = invlists.list_size(i)
                if size:
                    ids.append(faiss.rev_swig_ptr(invlists.get_ids(i), size).copy())
                    rows.append(faiss.rev_swig_ptr(invlists.get_codes(i), size * invlists.code_size).copy())
        if not ids:
            return np.zeros(0, dtype=np.int64), np.zeros((0, DIM), dtype=np.float32)
        return np.concatenate(ids), np.concatenate(rows).view(np.float32).reshape(-1, DIM)

    @property
    def elder_ids(self) -> np.ndarray:
        return self.contents()[0]

    def payload(self) -> tuple[int, dict, dict[str, np.ndarray]]:
        with self._lock:  # the generation and the index as of the same moment
            return self.generation, {"trained_on": self.trained_on}, {"faiss": _faiss().serialize_index(self.index)}

    @classmethod
    def from_payload(cls, district_id: int, generation: int, meta: dict, arrays: dict) -> IVFPartition:
        faiss = _faiss()
        index = faiss.deserialize_index(arrays["faiss"])  # already the concrete class
        if not isinstance(index, faiss.IndexIVFFlat) or index.d != DIM:
            raise ValueError("not a 128-d IndexIVFFlat")
        return cls(district_id, generation, index, int(meta["trained_on"]))


Partition = ExactPartition | IVFPartition
KINDS = {"exact": ExactPartition, "ivf": IVFPartition}


def build(district_id: int, generation: int, elder_ids, matrix) -> Partition:
    """The right kind for this many rows."""
    if len(elder_ids) >= int(conf("ZHUCAN_FACE_IVF_MIN_SIZE")):
        return IVFPartition.train(district_id, generation, elder_ids, matrix)
    return ExactPartition.of(district_id, generation, elder_ids, matrix)


def needs_reshape(part: Partition) -> bool:
    """Has the partition outgrown its kind? Then `build` a new one from its contents.

    Exact → IVF at the minimum size; IVF → retrained once it holds RETRAIN_GROWTH × the rows its
    lists were trained on (longer lists: slower, not less accurate); IVF → exact below half the
    minimum size (the gap keeps a partition near the threshold from flipping back and forth)."""
    n = len(part)
    min_size = int(conf("ZHUCAN_FACE_IVF_MIN_SIZE"))
    if isinstance(part, ExactPartition):
        return n >= min_size
    return n < min_size / 2 or n >= float(conf("ZHUCAN_FACE_IVF_RETRAIN_GROWTH")) * part.trained_on
