"""Real face photos that installed packages ship, and the transformations the tests, the benchmark
and the accuracy measurement apply to them. Development only: needs scikit-image and matplotlib
(never imported by the running service).

  astronaut     scikit-image `data.astronaut()` (Eileen Collins, NASA, public domain), 512×512
  grace_hopper  matplotlib sample data `grace_hopper.jpg` (US Navy, public domain), 512×600
  lfw_subset    scikit-image `data.lfw_subset()`: 100 face crops from Labeled Faces in the Wild at
                25×25 px, identities not given (some people may repeat). Used only as a pool of
                "other people" for false-accept counts, after upscaling to 150×150.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import lru_cache

import numpy as np
from PIL import Image, ImageEnhance


@lru_cache(maxsize=4)
def photo(name: str) -> np.ndarray:
    if name == "astronaut":
        from skimage import data

        return np.asarray(data.astronaut(), dtype=np.uint8)
    if name == "grace_hopper":
        import matplotlib.cbook as cbook

        with cbook.get_sample_data("grace_hopper.jpg") as f:
            return np.asarray(Image.open(f).convert("RGB"), dtype=np.uint8)
    raise KeyError(name)


IDENTITIES = ("astronaut", "grace_hopper")


def lfw_faces() -> list[np.ndarray]:
    from skimage import data

    faces = data.lfw_subset()[:100]  # the first 100 are faces, the rest non-faces
    out = []
    for f in faces:
        img = Image.fromarray((f * 255).astype(np.uint8)).resize((150, 150), Image.Resampling.BICUBIC)
        out.append(np.stack([np.asarray(img)] * 3, axis=-1))
    return out


def to_bytes(rgb: np.ndarray, fmt: str = "PNG", quality: int = 90) -> bytes:
    buf = io.BytesIO()
    img = Image.fromarray(rgb)
    if fmt == "JPEG":
        img.save(buf, "JPEG", quality=quality)
    else:
        img.save(buf, fmt)
    return buf.getvalue()


def _pil(rgb: np.ndarray) -> Image.Image:
    return Image.fromarray(rgb)


def _brightness(factor: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda a: np.asarray(ImageEnhance.Brightness(_pil(a)).enhance(factor))


def _contrast(factor: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda a: np.asarray(ImageEnhance.Contrast(_pil(a)).enhance(factor))


def _rotate(deg: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda a: np.asarray(_pil(a).rotate(deg, resample=Image.Resampling.BILINEAR, fillcolor=(128, 128, 128)))


def _crop(frac: float, dx: float = 0.0) -> Callable[[np.ndarray], np.ndarray]:
    def f(a: np.ndarray) -> np.ndarray:
        h, w = a.shape[:2]
        ch, cw = int(h * frac), int(w * frac)
        y0 = (h - ch) // 2
        x0 = max(0, min(w - cw, (w - cw) // 2 + int(dx * w)))
        return np.ascontiguousarray(a[y0:y0 + ch, x0:x0 + cw])
    return f


def _jpeg(quality: int) -> Callable[[np.ndarray], np.ndarray]:
    return lambda a: np.asarray(Image.open(io.BytesIO(to_bytes(a, "JPEG", quality))).convert("RGB"))


def _scale(factor: float) -> Callable[[np.ndarray], np.ndarray]:
    def f(a: np.ndarray) -> np.ndarray:
        h, w = a.shape[:2]
        return np.asarray(_pil(a).resize((int(w * factor), int(h * factor)), Image.Resampling.BILINEAR))
    return f


def _noise(sigma: float) -> Callable[[np.ndarray], np.ndarray]:
    def f(a: np.ndarray) -> np.ndarray:
        rng = np.random.default_rng(7)
        return np.clip(a.astype(np.float32) + rng.normal(0, sigma, a.shape), 0, 255).astype(np.uint8)
    return f


TRANSFORMS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "original": lambda a: a,
    "flip": lambda a: np.ascontiguousarray(a[:, ::-1]),
    "bright+30%": _brightness(1.3),
    "dark-40%": _brightness(0.6),
    "contrast-30%": _contrast(0.7),
    "crop80%": _crop(0.8),
    "crop70%-shifted": _crop(0.7, dx=0.05),
    "rot+5": _rotate(5),
    "rot-10": _rotate(-10),
    "rot+15": _rotate(15),
    "jpeg-q30": _jpeg(30),
    "jpeg-q10": _jpeg(10),
    "half-size": _scale(0.5),
    "noise-s12": _noise(12),
    "flip+dark+jpeg": lambda a: _jpeg(40)(_brightness(0.7)(np.ascontiguousarray(a[:, ::-1]))),
}


def side_by_side(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    h = max(a.shape[0], b.shape[0])
    pad = lambda x: np.pad(x, ((0, h - x.shape[0]), (0, 0), (0, 0)), constant_values=128)  # noqa: E731
    return np.ascontiguousarray(np.concatenate([pad(a), pad(b)], axis=1))


def blank(width: int = 640, height: int = 480) -> np.ndarray:
    return np.full((height, width, 3), 200, dtype=np.uint8)


def frame_640x480(rgb: np.ndarray) -> np.ndarray:
    """The photo as a 640×480 camera frame: scaled to 480 px high, centred on a grey background."""
    h, w = rgb.shape[:2]
    img = _pil(rgb).resize((int(w * 480 / h), 480), Image.Resampling.BILINEAR)
    canvas = Image.new("RGB", (640, 480), (128, 128, 128))
    canvas.paste(img, ((640 - img.width) // 2, 0))
    return np.asarray(canvas)
