"""Filing rows for the requirement and check tests, written directly (the lifecycle services are
tested with the lifecycle); and real evidence files made with Pillow and pypdf."""

from __future__ import annotations

import io
from datetime import date

from zhucan.core import clock


def filing_of(canteen):
    from zhucan.filing.models import Filing, FilingItem, Requirement

    filing = Filing.objects.create(canteen=canteen, round=1, created_at=clock.now())
    for requirement in Requirement.values:
        FilingItem.objects.create(filing=filing, requirement=requirement)
    return filing


def item_of(filing, requirement):
    return filing.items.get(requirement=requirement)


def png_bytes(size=(40, 30)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(out, "PNG")
    return out.getvalue()


def jpeg_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 80, 140)).save(out, "JPEG")
    return out.getvalue()


def pdf_bytes() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


F1_OK = {"credit_code": "91330100716105852F", "licence_number": "JY13301060012345", "licence_expiry": "2029-12-31",
         "operator": "北山长者食堂运营公司", "legal_representative": "王建国"}


def far_future() -> str:
    return date(2099, 1, 1).isoformat()
