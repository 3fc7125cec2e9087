"""Face fixtures: the sample photos' bytes and their real embeddings.

The dlib models (detector and face encoder, third-party and deterministic) are memoised per image
for the session, so each distinct photo goes through them once however many tests use it; our own
code (decoding, size and score checks, the index, the services) runs for real in every test."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from zhucan.face import embedding, index, samples


def _digest(rgb) -> tuple:
    array = np.ascontiguousarray(rgb)
    return array.shape, hashlib.sha256(array.tobytes()).hexdigest()


class _MemoDetector:
    def __init__(self, real):
        self.real, self.memo = real, {}

    def run(self, rgb, upsample, threshold):
        key = (_digest(rgb), upsample, threshold)
        if key not in self.memo:
            self.memo[key] = self.real.run(rgb, upsample, threshold)
        return self.memo[key]


class _MemoEncoder:
    def __init__(self, real):
        self.real, self.memo = real, {}

    def compute_face_descriptor(self, rgb, shape, num_jitters):
        r = shape.rect
        key = (_digest(rgb), (r.left(), r.top(), r.right(), r.bottom()), num_jitters)
        if key not in self.memo:
            self.memo[key] = np.asarray(self.real.compute_face_descriptor(rgb, shape, num_jitters))
        return self.memo[key]


@pytest.fixture(scope="session", autouse=True)
def _memoised_dlib():
    models = embedding.models()
    real = models.detector, models.encoder
    models.detector, models.encoder = _MemoDetector(real[0]), _MemoEncoder(real[1])
    yield
    models.detector, models.encoder = real


@pytest.fixture(autouse=True)
def _face_env(settings, tmp_path):
    settings.ZHUCAN_FACE_INDEX_DIR = tmp_path / "face-index"
    index.clear_cache()
    yield
    index.clear_cache()


@pytest.fixture(scope="session")
def photos() -> dict[str, bytes]:
    ast = samples.photo("astronaut")
    gh = samples.photo("grace_hopper")
    return {
        "astronaut": samples.to_bytes(ast, "JPEG", 92),
        "astronaut_flip": samples.to_bytes(samples.TRANSFORMS["flip"](ast), "JPEG", 92),
        "astronaut_bright": samples.to_bytes(samples.TRANSFORMS["bright+30%"](ast), "PNG"),
        "astronaut_frame": samples.to_bytes(samples.frame_640x480(samples.TRANSFORMS["rot+5"](ast)), "JPEG", 80),
        "grace_hopper": samples.to_bytes(gh, "JPEG", 92),
        "blank": samples.to_bytes(samples.blank(), "PNG"),
        "two_faces": samples.to_bytes(samples.side_by_side(gh, samples.TRANSFORMS["flip"](gh)), "JPEG", 90),
    }


@pytest.fixture(scope="session")
def vectors(photos) -> dict[str, np.ndarray]:
    return {name: embedding.embed(photos[name]).vector
            for name in ("astronaut", "astronaut_flip", "astronaut_bright", "astronaut_frame", "grace_hopper")}
