#!/usr/bin/env python
"""Elder QR code (长者码), per code: sign, render PNG, decode (clean and from a camera-like frame),
verify — medians over N codes, with a floor measured in the same run.

    .venv/bin/python benchmarks/qr_bench.py            # --codes 300

No database: the token and image code are pure (`zhucan.identity.tokens`, `zhucan.identity.qr`).
Each code is a fresh token (new nonce) for a random 12-byte handle, signed with one Ed25519 key.
"decode clean" reads the PNG as rendered (scale 6, quiet zone 4); "decode camera" reads the code
rendered at scale 8 then placed in a 1280×960 grey frame, rotated 10°, Gaussian-blurred (radius 2),
downscaled to 640×480, with Gaussian noise (σ 6) and JPEG quality 70 — preparing that frame is not
timed, opening the JPEG is. "verify" is `tokens.verify` (parse, base64, struct, Ed25519 verify, time
checks). Floors: a bare Ed25519 verify of the same 64-byte signature, and a bare PNG open + NumPy
conversion of the clean image (what any decoder pays before decoding).
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import numpy as np  # noqa: E402
import segno  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from PIL import Image  # noqa: E402

from zhucan.identity import qr, tokens  # noqa: E402
from zhucan.identity.samples import camera_frame  # noqa: E402


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def fmt(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f} µs" if seconds < 1e-3 else f"{seconds * 1e3:,.2f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codes", type=int, default=300)
    parser.add_argument("--angle", type=float, default=10.0)
    parser.add_argument("--blur", type=float, default=2.0)
    args = parser.parse_args()

    key = Ed25519PrivateKey.generate()
    kid = tokens.new_kid()
    public = {kid: key.public_key()}
    now = datetime.now(UTC)
    times: dict[str, list[float]] = {name: [] for name in (
        "sign", "render PNG", "decode clean", "decode camera", "verify", "floor: Ed25519 verify",
        "floor: PNG open + array")}
    failures = {"clean": 0, "camera": 0}
    token = ""
    for i in range(args.codes):
        payload = tokens.new_payload(kind=tokens.KIND_DYNAMIC, kid=kid, handle=os.urandom(12), issued_at=now,
                                     lifetime=timedelta(seconds=60))
        token, t = timed(tokens.sign, payload, key)
        times["sign"].append(t)
        png, t = timed(qr.render_png, token)
        times["render PNG"].append(t)
        found, t = timed(qr.decode_png, png)
        times["decode clean"].append(t)
        failures["clean"] += found != [token]
        frame = camera_frame(qr.render_png(token, scale=8), angle=args.angle, blur=args.blur, seed=i)
        found, t = timed(qr.decode_png, frame)
        times["decode camera"].append(t)
        failures["camera"] += found != [token]
        claims, t = timed(tokens.verify, token, public, now)
        times["verify"].append(t)
        assert claims.handle == payload.handle
        _claims, body, signature = tokens.parse(token)
        message = tokens.SIGNING_CONTEXT + body
        _, t = timed(key.public_key().verify, signature, message)
        times["floor: Ed25519 verify"].append(t)
        _, t = timed(lambda data: np.asarray(Image.open(io.BytesIO(data)).convert("L")), png)
        times["floor: PNG open + array"].append(t)

    symbol = segno.make(token, error="m", boost_error=False)
    print(f"qr_bench: {args.codes} codes, Python {platform.python_version()}, {platform.machine()}, "
          f"{os.cpu_count()} CPUs; segno {segno.__version__}, zxing-cpp {version('zxing-cpp')}")
    print(f"token: {len(token)} characters ({tokens.TOKEN_BYTES} bytes: {tokens.PAYLOAD_BYTES} payload + "
          f"{tokens.SIGNATURE_BYTES} signature) → QR version {symbol.version}, level {symbol.error}, "
          f"PNG {len(qr.render_png(token))} bytes at scale 6")
    print(f"camera frame: 640×480, rotated {args.angle}°, blur {args.blur}, noise σ 6, JPEG q70")
    print(f"{'step':<26}{'median':>12}{'p90':>12}")
    for name, values in times.items():
        values.sort()
        print(f"{name:<26}{fmt(statistics.median(values)):>12}{fmt(values[int(len(values) * 0.9)]):>12}")
    total = sum(statistics.median(times[n]) for n in ("sign", "render PNG", "decode camera", "verify"))
    print(f"per code, sign + render + camera decode + verify: {fmt(total)}")
    print(f"verify / floor (bare Ed25519 verify): "
          f"{statistics.median(times['verify']) / statistics.median(times['floor: Ed25519 verify']):.2f}×")
    print(f"decode failures: clean {failures['clean']}/{args.codes}, camera {failures['camera']}/{args.codes}")
    return 0 if not any(failures.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
