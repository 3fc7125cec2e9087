"""The unified sign (统一标识, HZ-8) a designated canteen puts up at its door: the city's programme
mark, the canteen's name and filing number, and a QR code to its public page. A4 or A3, rendered
by WeasyPrint with the platform's CJK fonts like every other printed document."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from zhucan.core.pdf import render_pdf

CACHE_SECONDS = 24 * 3600
# Type scale per paper size in thousandths: A3 is A4 enlarged by √2 on each side. Integers, because
# the template's widthratio truncates its scale argument to an int (1.414 would print A3 at A4 size).
SIZES = {"A4": 1000, "A3": 1414}


def public_url(request, canteen_id: int) -> str:
    """The canteen's public page as an absolute URL: the configured public address when the
    platform sits behind a proxy or is printed from an internal host, else the request's own."""
    path = reverse("public:canteen", args=[canteen_id])
    base = (getattr(settings, "ZHUCAN_PUBLIC_BASE_URL", "") or "").rstrip("/")
    return f"{base}{path}" if base else request.build_absolute_uri(path)


def programme_mark(policy_id: str) -> dict:
    """The city's programme mark (settings ZHUCAN_PROGRAMME_MARKS, keyed by the city's policy id):
    its name, the line under it, its colour and the SVG drawn for it."""
    marks = getattr(settings, "ZHUCAN_PROGRAMME_MARKS", {})
    mark = dict(marks.get(policy_id) or marks.get("default") or {})
    svg_path = finders.find(mark["svg"]) if mark.get("svg") else None
    # Our own drawing from the static files, inlined so WeasyPrint needs no URL for it.
    mark["svg_inline"] = mark_safe(Path(svg_path).read_text(encoding="utf-8")) if svg_path else ""
    return mark


def qr_data_uri(url: str) -> str:
    import segno

    # Error correction M survives a scuffed or sun-faded print; a generous scale keeps the modules
    # crisp when the PDF is printed large.
    return segno.make(url, error="m", micro=False).png_data_uri(scale=12, border=4)


def sign_pdf_cached(request, record: dict, *, size: str) -> bytes:
    """The sign from Django's cache while nothing printed on it changed: rendering a PDF costs a
    second of CPU, and the address is public."""
    url = public_url(request, record["id"])
    printed = json.dumps([record, url, size, programme_mark(record["policy_id"]).get("svg")], sort_keys=True,
                         ensure_ascii=False, default=str)
    key = f"zhucan:public:sign:{record['id']}:{hashlib.sha1(printed.encode(), usedforsecurity=False).hexdigest()}"
    pdf = cache.get(key)
    if pdf is None:
        pdf = sign_pdf(request, record, size=size)
        cache.set(key, pdf, CACHE_SECONDS)
    return pdf


def sign_pdf(request, record: dict, *, size: str) -> bytes:
    url = public_url(request, record["id"])
    html = render_to_string("filing/public/sign.html", {
        "c": record, "size": size, "scale": SIZES[size], "url": url, "qr": qr_data_uri(url),
        "mark": programme_mark(record["policy_id"]),
    })
    return render_pdf(html)
