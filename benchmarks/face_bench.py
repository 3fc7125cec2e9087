"""Face benchmark (issue 5): embedding time per photo, 1:1 verify time, and 1:N search.

1:N search is measured at each --sizes with synthetic embeddings drawn from the model's own
distribution, not uniform random vectors: real dlib embeddings (astronaut, grace_hopper, the 90
LFW-subset faces dlib detects, and transformed photos) are the seeds; each synthetic person is a
seed plus Gaussian noise shaped by the real embeddings' covariance, rescaled to a real embedding's
norm. A query is an enrolled synthetic person plus a "same person, another photo" perturbation
(norm ≈ 0.2, as measured between transformed photos of one face). Recall@1 is against exact search.

Backends: exact NumPy (float32 matrix–vector product + argpartition, the project's index.py),
faiss IndexFlatL2 (exact, BLAS), faiss IndexHNSWFlat (approximate) at several efSearch.

    .venv/bin/python benchmarks/face_bench.py --sizes 200000 [--queries 500] [--json out.json]
    .venv/bin/python benchmarks/face_bench.py --sizes 2000000 --skip-photos   # many minutes (HNSW build)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(values, p) -> float:
    return float(np.percentile(np.asarray(values), p))


def real_embeddings() -> tuple[np.ndarray, dict]:
    """Real embeddings (seeds) and the photo timings."""
    import django

    django.setup()
    from zhucan.face import embedding, samples

    timings: dict = {}
    seeds = []
    for name in samples.IDENTITIES:
        rgb = samples.photo(name)
        for _tname, t in samples.TRANSFORMS.items():
            try:
                seeds.append(embedding.embed_array(t(rgb)).vector)
            except Exception:  # a transform may lose the face; fine for seeds
                pass
        # Timings: whole photo bytes → embedding (decode, detect, encode), and a 640×480 camera frame.
        data = samples.to_bytes(rgb, "JPEG", 90)
        frame = samples.frame_640x480(rgb)
        frame_bytes = samples.to_bytes(frame, "JPEG", 90)
        embedding.embed(data)  # warm up
        for label, blob in ((f"{name} {rgb.shape[1]}x{rgb.shape[0]} jpeg", data),
                            (f"{name} 640x480 frame", frame_bytes)):
            runs = []
            parts = {"decode": [], "detect": [], "encode": []}
            for _ in range(15):
                t0 = time.perf_counter()
                r = embedding.embed(blob)
                runs.append((time.perf_counter() - t0) * 1000)
                for k in parts:
                    parts[k].append(r.timings_ms[k])
            timings[label] = {"p50_ms": pct(runs, 50), "p90_ms": pct(runs, 90),
                              **{f"{k}_p50_ms": pct(v, 50) for k, v in parts.items()}}
    for rgb in samples.lfw_faces():
        try:
            seeds.append(embedding.embed_array(rgb).vector)
        except Exception:
            pass
    return np.asarray(seeds, dtype=np.float32), timings


def verify_timing() -> dict:
    """face_verify's own work besides the photo: decrypt the stored embedding and compare."""
    from zhucan.core import crypto
    from zhucan.face import embedding, samples

    vec = embedding.embed_array(samples.photo("astronaut")).vector
    import base64

    token = crypto.encrypt(base64.b64encode(embedding.to_bytes(vec)).decode(), context="face.embedding")
    runs = []
    for _ in range(2000):
        t0 = time.perf_counter()
        stored = embedding.from_bytes(base64.b64decode(crypto.decrypt(token, context="face.embedding")))
        embedding.distance(stored, vec)
        runs.append((time.perf_counter() - t0) * 1e6)
    return {"decrypt_and_compare_p50_us": pct(runs, 50), "p99_us": pct(runs, 99)}


def synthesise(seeds: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    mu = seeds.mean(axis=0)
    cov = np.cov((seeds - mu).T)
    cov = 0.9 * cov + 0.1 * np.trace(cov) / cov.shape[0] * np.eye(cov.shape[0])
    chol = np.linalg.cholesky(cov).astype(np.float32)
    norms = np.linalg.norm(seeds, axis=1)
    out = np.empty((n, seeds.shape[1]), dtype=np.float32)
    step = 200_000
    for i in range(0, n, step):
        m = min(step, n - i)
        base = seeds[rng.integers(0, len(seeds), m)]
        x = base + 0.6 * (rng.standard_normal((m, seeds.shape[1]), dtype=np.float32) @ chol.T)
        x *= (rng.choice(norms, m) / np.linalg.norm(x, axis=1))[:, None]
        out[i:i + m] = x
    return out


def queries_for(data: np.ndarray, seeds: np.ndarray, q: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    idx = rng.choice(len(data), q, replace=False)
    noise = rng.standard_normal((q, data.shape[1])).astype(np.float32)
    noise *= (rng.uniform(0.12, 0.28, q) / np.linalg.norm(noise, axis=1))[:, None]
    return (data[idx] + noise).astype(np.float32), idx


def exact_numpy(data: np.ndarray, sq: np.ndarray, q: np.ndarray, k: int = 2) -> np.ndarray:
    d = sq - 2.0 * (data @ q)
    top = np.argpartition(d, k)[:k]
    return top[np.argsort(d[top])]


def bench_size(n: int, seeds: np.ndarray, args) -> dict:
    import faiss

    faiss.omp_set_num_threads(args.threads)
    rng = np.random.default_rng(n)
    res: dict = {"n": n}
    t0 = time.perf_counter()
    data = synthesise(seeds, n, rng)
    res["synth_s"] = time.perf_counter() - t0
    qs, truth_idx = queries_for(data, seeds, args.queries, rng)
    sample = data[rng.choice(n, 2000, replace=False)]
    d_pairs = np.linalg.norm(sample[:1000] - sample[1000:], axis=1)
    res["synthetic_pair_distance_p1_p50"] = [pct(d_pairs, 1), pct(d_pairs, 50)]

    # Exact NumPy (ground truth too).
    base_rss = rss_mb()
    sq = np.einsum("ij,ij->i", data, data)
    truth, lat = [], []
    for q in qs:
        t = time.perf_counter()
        top = exact_numpy(data, sq, q)
        lat.append((time.perf_counter() - t) * 1000)
        truth.append(top)
    truth = np.asarray(truth)
    nn_d = np.linalg.norm(data[truth[:, 0]] - qs, axis=1)
    second_d = np.linalg.norm(data[truth[:, 1]] - qs, axis=1)
    res["query_true_top1_is_source"] = float(np.mean(truth[:, 0] == truth_idx))
    res["query_top1_top2_distance_p50"] = [pct(nn_d, 50), pct(second_d, 50)]
    res["numpy_exact"] = {"p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99), "recall@1": 1.0,
                          "memory_mb": data.nbytes / 2**20 + sq.nbytes / 2**20, "build_s": 0.0}
    print(json.dumps({"n": n, "numpy_exact": res["numpy_exact"]}), flush=True)

    # faiss exact (BLAS), one query at a time as the cashier asks.
    flat = faiss.IndexFlatL2(data.shape[1])
    flat.add(data)
    lat = []
    for q in qs:
        t = time.perf_counter()
        flat.search(q[None, :], 2)
        lat.append((time.perf_counter() - t) * 1000)
    res["faiss_flat"] = {"p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99), "recall@1": 1.0}
    del flat
    print(json.dumps({"n": n, "faiss_flat": res["faiss_flat"]}), flush=True)

    if not args.skip_hnsw:
        rss0 = rss_mb()
        index = faiss.IndexHNSWFlat(data.shape[1], args.hnsw_m)
        index.hnsw.efConstruction = args.ef_construction
        t = time.perf_counter()
        index.add(data)
        build = time.perf_counter() - t
        mem = rss_mb() - rss0
        path = Path(args.tmp) / f"face-hnsw-{n}.faiss"
        t = time.perf_counter()
        faiss.write_index(index, str(path))
        write_s = time.perf_counter() - t
        t = time.perf_counter()
        faiss.read_index(str(path))
        read_s = time.perf_counter() - t
        size_mb = path.stat().st_size / 2**20
        path.unlink()
        res["faiss_hnsw"] = {"M": args.hnsw_m, "efConstruction": args.ef_construction, "build_s": build,
                             "memory_mb": mem, "file_mb": size_mb, "write_s": write_s, "read_s": read_s,
                             "by_efSearch": {}}
        for ef in args.ef_search:
            index.hnsw.efSearch = ef
            lat, hits = [], 0
            for i, q in enumerate(qs):
                t = time.perf_counter()
                _, ids = index.search(q[None, :], 2)
                lat.append((time.perf_counter() - t) * 1000)
                hits += int(ids[0, 0] == truth[i, 0])
            res["faiss_hnsw"]["by_efSearch"][ef] = {"p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99),
                                                    "recall@1": hits / len(qs)}
        print(json.dumps({"n": n, "faiss_hnsw": res["faiss_hnsw"]}), flush=True)
        del index
    res["rss_mb_before_indexes"] = base_rss
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="200000", help="comma-separated enrolled counts, e.g. 200000,2000000")
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--hnsw-m", type=int, default=32)
    ap.add_argument("--ef-construction", type=int, default=80)
    ap.add_argument("--ef-search", default="32,64,128,256")
    ap.add_argument("--skip-hnsw", action="store_true")
    ap.add_argument("--skip-photos", action="store_true", help="do not time photos (seeds are still computed)")
    ap.add_argument("--tmp", default="/tmp")
    ap.add_argument("--json", help="write all results to this file")
    args = ap.parse_args()
    args.ef_search = [int(x) for x in args.ef_search.split(",")]
    out: dict = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                             "loadavg_start": os.getloadavg()}}
    t = time.perf_counter()
    seeds, timings = real_embeddings()
    out["seeds"] = len(seeds)
    out["seed_time_s"] = time.perf_counter() - t
    if not args.skip_photos:
        out["photo_embedding"] = timings
        out["verify_besides_photo"] = verify_timing()
        print(json.dumps({"photo_embedding": timings, "verify_besides_photo": out["verify_besides_photo"]},
                         indent=1), flush=True)
    out["search"] = [bench_size(int(n), seeds, args) for n in args.sizes.split(",")]
    out["machine"]["loadavg_end"] = os.getloadavg()
    text = json.dumps(out, indent=1, default=float)
    if args.json:
        Path(args.json).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
