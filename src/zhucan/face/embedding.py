"""Image bytes → one 128-d face embedding. Pure: no database, no Django models.

The models are the dlib ones that the `face_recognition_models` wheel ships (nothing is downloaded
at run time): the HOG frontal-face detector, the **5-point** landmark model (the 68-point model's
training data is licensed for non-commercial use only, so it is never loaded) and the ResNet
face-recognition model. The computation is exactly `face_recognition.face_encodings(img,
known_face_locations, num_jitters=1, model="small")`, called on dlib directly so that importing
does not load the CNN detector and the 68-point model (3 s and ~100 MB we never use).

Checks, in order (each a DomainError with a stable code, see errors.py):
  size of the upload (bytes) → FACE_IMAGE_TOO_LARGE; undecodable → FACE_IMAGE_INVALID;
  pixel count from the header, before decoding (decompression bombs) → FACE_IMAGE_TOO_LARGE;
  no confident face ≥ the minimum size → FACE_NO_FACE; a second confident face ≥ the minimum size
  → FACE_SEVERAL_FACES. "Confident" is the HOG detector's score ≥ ZHUCAN_FACE_DETECT_MIN_SCORE:
  HOG finds false faces (on the astronaut photo, the mission patch on her suit is "detected" at
  the same size as her face, score 0.0–0.4, while real faces score 0.6–1.7 on every sample photo
  and transformation we tried), so weak detections are ignored rather than taken as a second
  person; faces smaller than the minimum (a passer-by far behind) are ignored too.
"""

from __future__ import annotations

import io
import threading
import time
import warnings
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from django.conf import settings
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from zhucan.face import errors

MODEL_NAME = "dlib_face_recognition_resnet_model_v1+shape_predictor_5_face_landmarks"
DIM = 128

DEFAULTS = {
    "ZHUCAN_FACE_MAX_IMAGE_BYTES": 10 * 1024 * 1024,
    "ZHUCAN_FACE_MAX_PIXELS": 40_000_000,  # e.g. 7300 × 5470; a 48 MP phone photo must be resized first
    "ZHUCAN_FACE_DETECT_MAX_SIDE": 800,  # photos are scaled down to this before detection
    "ZHUCAN_FACE_MIN_FACE_PX": 60,  # at detection scale
    "ZHUCAN_FACE_DETECT_MIN_SCORE": 0.5,  # HOG score below which a detection is ignored
}


def conf(name: str):
    return getattr(settings, name, DEFAULTS[name])


@dataclass(frozen=True)
class FaceEmbedding:
    vector: np.ndarray  # float32, shape (128,)
    box: tuple[int, int, int, int]  # left, top, right, bottom in the original image's pixels
    faces_seen: int  # detections, including the weak or small ones that were ignored
    timings_ms: dict[str, float] = field(default_factory=dict)


class _Models:
    def __init__(self) -> None:
        import dlib
        import face_recognition_models as frm

        self.detector = dlib.get_frontal_face_detector()
        self.shape = dlib.shape_predictor(frm.pose_predictor_five_point_model_location())
        self.encoder = dlib.face_recognition_model_v1(frm.face_recognition_model_location())
        self.lock = threading.Lock()
        self.version = f"dlib {dlib.__version__}; face_recognition_models {frm.__version__}"


@lru_cache(maxsize=1)
def models() -> _Models:
    return _Models()


def model_version() -> str:
    return models().version


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB"


def decode(image_bytes: bytes) -> np.ndarray:
    """Bytes → RGB uint8 array, at most DETECT_MAX_SIDE on its longest side, EXIF orientation applied."""
    if not isinstance(image_bytes, bytes | bytearray | memoryview) or len(image_bytes) == 0:
        raise errors.image_invalid()
    max_bytes = conf("ZHUCAN_FACE_MAX_IMAGE_BYTES")
    if len(image_bytes) > max_bytes:
        raise errors.image_too_large(_mb(max_bytes))
    max_pixels = conf("ZHUCAN_FACE_MAX_PIXELS")
    max_side = conf("ZHUCAN_FACE_DETECT_MAX_SIDE")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(image_bytes))  # reads the header only
            if image.format not in {"JPEG", "PNG", "WEBP", "BMP", "MPO"}:
                raise errors.image_invalid()
            width, height = image.size
            if width * height > max_pixels:
                raise errors.image_too_large(f"{max_pixels / 1e6:.0f} MP")
            if width < 32 or height < 32:
                raise errors.image_invalid()
            if image.format in {"JPEG", "MPO"}:
                image.draft("RGB", (max_side, max_side))  # decode at a reduced scale: fast, little memory
            # A truncated photo is refused, never half-decoded: importing face_recognition sets PIL's
            # process-wide LOAD_TRUNCATED_IMAGES to True, so it is put back before every decode.
            ImageFile.LOAD_TRUNCATED_IMAGES = False
            image.load()
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGB")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise errors.image_too_large(f"{max_pixels / 1e6:.0f} MP") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise errors.image_invalid() from exc
    if max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.BILINEAR)
    return np.asarray(image, dtype=np.uint8)


def embed_array(rgb: np.ndarray) -> FaceEmbedding:
    """One embedding from an RGB uint8 array (already decoded), with the face checks."""
    m = models()
    t0 = time.perf_counter()
    with m.lock:
        found, scores, _ = m.detector.run(rgb, 0, 0.0)
        t1 = time.perf_counter()
        min_px = conf("ZHUCAN_FACE_MIN_FACE_PX")
        min_score = conf("ZHUCAN_FACE_DETECT_MIN_SCORE")
        rects = [r for r, s in zip(found, scores, strict=True)
                 if s >= min_score and min(r.width(), r.height()) >= min_px]
        if not rects:
            raise errors.no_face()
        if len(rects) > 1:
            raise errors.several_faces(len(rects))
        largest = rects[0]
        shape = m.shape(rgb, largest)
        vector = np.asarray(m.encoder.compute_face_descriptor(rgb, shape, 1), dtype=np.float32)
        t2 = time.perf_counter()
    box = (max(largest.left(), 0), max(largest.top(), 0), largest.right(), largest.bottom())
    return FaceEmbedding(vector=vector, box=box, faces_seen=len(found),
                         timings_ms={"detect": (t1 - t0) * 1000, "encode": (t2 - t1) * 1000})


def embed(image_bytes: bytes) -> FaceEmbedding:
    """Image bytes → one face embedding, or a DomainError (FACE_*) saying why not."""
    t0 = time.perf_counter()
    rgb = decode(bytes(image_bytes))
    t1 = time.perf_counter()
    result = embed_array(rgb)
    result.timings_ms["decode"] = (t1 - t0) * 1000
    result.timings_ms["total"] = (time.perf_counter() - t0) * 1000
    return result


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance, as face_recognition.face_distance (0 = identical; ~0.6 = dlib's usual cut)."""
    return float(np.linalg.norm(np.asarray(a, dtype=np.float32) - np.asarray(b, dtype=np.float32)))


def to_bytes(vector: np.ndarray) -> bytes:
    v = np.asarray(vector, dtype="<f4").reshape(-1)
    if v.shape != (DIM,) or not np.all(np.isfinite(v)):
        raise ValueError("an embedding is 128 finite float32 values")
    return v.tobytes()


def from_bytes(raw: bytes) -> np.ndarray:
    v = np.frombuffer(raw, dtype="<f4")
    if v.shape != (DIM,):
        raise ValueError("an embedding is 128 float32 values")
    return v.astype(np.float32)
