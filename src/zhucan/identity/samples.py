"""A phone screen as a cheap camera sees it, for the QR tests and the QR benchmark (the face
counterpart is zhucan.face.samples)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageFilter


def camera_frame(png: bytes, *, angle: float = 10, blur: float = 2.0, seed: int = 0) -> bytes:
    """The code small in a 640×480 frame, rotated, blurred, noisy and JPEG-compressed."""
    code = Image.open(io.BytesIO(png)).convert("L")
    canvas = Image.new("L", (1280, 960), 200)
    canvas.paste(code, ((1280 - code.width) // 2, (960 - code.height) // 2))
    canvas = canvas.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=200)
    canvas = canvas.filter(ImageFilter.GaussianBlur(blur)).resize((640, 480), Image.Resampling.BILINEAR)
    noise = np.random.default_rng(seed).normal(0, 6, (480, 640))
    frame = Image.fromarray(np.clip(np.asarray(canvas, dtype=np.float64) + noise, 0, 255).astype(np.uint8))
    out = io.BytesIO()
    frame.save(out, "JPEG", quality=70)
    return out.getvalue()
