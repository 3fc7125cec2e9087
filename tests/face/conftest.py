"""Face fixtures: the sample photos' bytes and their real embeddings, computed once per session.

`embed` is memoised per image (sha256 of the bytes) for the session, so each distinct photo goes
through dlib once however many tests use it; refusals are memoised too and raised again."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from zhucan.core.errors import DomainError
from zhucan.face import embedding, index, samples

_real_embed = embedding.embed
_memo: dict[str, object] = {}


def _memo_embed(image_bytes: bytes):
    key = hashlib.sha256(bytes(image_bytes)).hexdigest()
    if key not in _memo:
        try:
            _memo[key] = _real_embed(image_bytes)
        except DomainError as exc:
            _memo[key] = exc
    value = _memo[key]
    if isinstance(value, DomainError):
        raise value
    return value


@pytest.fixture(autouse=True)
def _face_env(monkeypatch, settings, tmp_path):
    monkeypatch.setattr(embedding, "embed", _memo_embed)
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
    return {name: _memo_embed(photos[name]).vector
            for name in ("astronaut", "astronaut_flip", "astronaut_bright", "astronaut_frame", "grace_hopper")}
