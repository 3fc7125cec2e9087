"""Honest accuracy: false accepts and false rejects on the real face photos installed packages ship.

Genuine pairs: each identity's original photo (the "enrolment") against its transformed versions
(flips, brightness, contrast, crops, rotations, JPEG, scaling, noise — samples.TRANSFORMS).
Impostor pairs: every photo of one identity against every photo of the other, and the 90 usable
LFW-subset faces (25×25 px upscaled; identities unknown, some may repeat, so a "false accept"
among them may in fact be the same person) against each other and against both identities.

Two identities are not a population: these figures show how the thresholds behave on these
photos, not a false-accept rate for a city's elders.

    .venv/bin/python benchmarks/face_accuracy.py [--thresholds 0.35,0.4,0.45,0.5,0.55,0.6]
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--thresholds", default="0.35,0.40,0.45,0.50,0.55,0.60")
    args = ap.parse_args()
    import django

    django.setup()
    from zhucan.core.errors import DomainError
    from zhucan.face import embedding, samples

    thresholds = [float(t) for t in args.thresholds.split(",")]
    per_id: dict[str, dict[str, np.ndarray]] = {}
    lost: list[str] = []
    for name in samples.IDENTITIES:
        rgb = samples.photo(name)
        per_id[name] = {}
        for tname, t in samples.TRANSFORMS.items():
            try:
                per_id[name][tname] = embedding.embed(samples.to_bytes(t(rgb), "PNG")).vector
            except DomainError as exc:
                lost.append(f"{name}/{tname}: {exc.code}")
    genuine = []
    for name, vecs in per_id.items():
        ref = vecs["original"]
        for tname, v in vecs.items():
            if tname != "original":
                genuine.append((f"{name}/{tname}", embedding.distance(ref, v)))
    pairs = itertools.product(*(per_id[n].values() for n in samples.IDENTITIES))
    impostor = [embedding.distance(a, b) for a, b in pairs]
    lfw = []
    for rgb in samples.lfw_faces():
        try:
            lfw.append(embedding.embed_array(rgb).vector)
        except DomainError:
            pass
    lfw_pairs = [embedding.distance(a, b) for a, b in itertools.combinations(lfw, 2)]
    lfw_vs_ids = [embedding.distance(a, v) for a in lfw for vecs in per_id.values() for v in vecs.values()]

    g = np.array([d for _, d in genuine])
    print(f"photos that yield no single face (false reject at any threshold): {lost or 'none'}")
    print(f"genuine pairs: {len(g)}; distance min/median/max {g.min():.3f}/{np.median(g):.3f}/{g.max():.3f}")
    for label, d in sorted(genuine, key=lambda x: -x[1])[:6]:
        print(f"  hardest genuine: {label} {d:.3f}")
    for label, d in (("astronaut×grace_hopper", impostor), ("LFW×LFW", lfw_pairs), ("LFW×both", lfw_vs_ids)):
        d = np.asarray(d)
        print(f"impostor {label}: {len(d)} pairs; min/p1/median {d.min():.3f}/{np.percentile(d, 1):.3f}/"
              f"{np.median(d):.3f}")
    print("\n| threshold | false reject (genuine) | false accept astronaut×hopper | false accept LFW×LFW | LFW×both |")
    print("|---|---|---|---|---|")
    n_gen = len(g) + len(lost)
    for t in thresholds:
        fr = int((g > t).sum()) + len(lost)
        fa1 = int((np.asarray(impostor) <= t).sum())
        fa2 = int((np.asarray(lfw_pairs) <= t).sum())
        fa3 = int((np.asarray(lfw_vs_ids) <= t).sum())
        print(f"| {t:.2f} | {fr}/{n_gen} | {fa1}/{len(impostor)} | {fa2}/{len(lfw_pairs)} | {fa3}/{len(lfw_vs_ids)} |")


if __name__ == "__main__":
    main()
