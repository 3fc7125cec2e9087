"""Drawing and reading elder codes: segno makes the QR image, zxing-cpp reads it back.

The token is plain ASCII (base64url), encoded in byte mode at error correction M: 146 characters
give a version-8 symbol (49×49 modules), easy for a phone screen and a cheap scanner alike.
"""

from __future__ import annotations

import io

import numpy as np
import segno
import zxingcpp
from PIL import Image, UnidentifiedImageError

ERROR_CORRECTION = "m"
MAX_IMAGE_PIXELS = 20_000_000  # a camera frame is < 1 MP; refuse decompression bombs


class ImageUnreadable(Exception):
    """The bytes are not an image Pillow can open (or a suspiciously huge one)."""


def make(token: str) -> segno.QRCode:
    # boost_error=False keeps level M exactly as stated (segno would otherwise raise it for free).
    return segno.make(token, error=ERROR_CORRECTION, micro=False, boost_error=False)


def render_png(token: str, *, scale: int = 6, border: int = 4) -> bytes:
    """PNG bytes of the token's QR code; `scale` pixels per module, quiet zone of `border` modules."""
    buffer = io.BytesIO()
    make(token).save(buffer, kind="png", scale=scale, border=border)
    return buffer.getvalue()


def render_svg(token: str, *, scale: int = 6, border: int = 4) -> str:
    """The same code as SVG text, for a printed card (sharp at any size)."""
    buffer = io.BytesIO()
    make(token).save(buffer, kind="svg", scale=scale, border=border, xmldecl=False, svgns=True)
    return buffer.getvalue().decode("utf-8")


def to_gray(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L"))


def decode_image(image: Image.Image) -> list[str]:
    """Texts of every QR code found in a Pillow image (empty list: none)."""
    found = zxingcpp.read_barcodes(to_gray(image), formats=zxingcpp.BarcodeFormat.QRCode)
    return [barcode.text for barcode in found if barcode.valid]


def decode_png(data: bytes) -> list[str]:
    """Texts of every QR code in an image file (PNG, JPEG, … whatever Pillow opens)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise ImageUnreadable("image too large")
            image.load()
            return decode_image(image)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ImageUnreadable(str(exc)) from exc
