"""Storing a filing's evidence: JPEG, PNG and PDF only, judged by the content (magic bytes, then
the file must really decode as that type), size-limited, kept with its SHA-256."""

from __future__ import annotations

import hashlib
import io
import warnings
from pathlib import PurePath

from django.conf import settings
from django.db import transaction

from zhucan.core import clock
from zhucan.core.audit import audit_record
from zhucan.filing.errors import filing_error
from zhucan.filing.models import Evidence

_MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"%PDF-", "application/pdf"))


def max_upload_bytes() -> int:
    return int(getattr(settings, "ZHUCAN_FILING_MAX_UPLOAD_MB", 10)) * 1024 * 1024


def _decodes(data: bytes, content_type: str) -> bool:
    """Whether the file is what its first bytes claim: a PDF whose pages pypdf can read, an image
    Pillow can decode whole."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if content_type == "application/pdf":
                from pypdf import PdfReader

                reader = PdfReader(io.BytesIO(data), strict=False)
                return len(reader.pages) > 0
            from PIL import Image

            with Image.open(io.BytesIO(data)) as image:
                image.load()
                return image.width > 0 and image.height > 0
    except Exception:
        # Any parser failure means the file is not really of the type its first bytes claim.
        return False


def content_type_of(data: bytes, name: str) -> str:
    """The checked content type, or EVIDENCE_EMPTY / EVIDENCE_TYPE."""
    if not data:
        raise filing_error("EVIDENCE_EMPTY", field="evidence", name=name)
    for magic, content_type in _MAGIC:
        if data.startswith(magic):
            if _decodes(data, content_type):
                return content_type
            break
    raise filing_error("EVIDENCE_TYPE", field="evidence", name=name)


def _clean_name(file_name: str) -> str:
    name = PurePath((file_name or "").replace("\\", "/")).name.strip() or "材料"
    name = "".join(ch for ch in name if ch.isprintable())
    return name[-120:]


def evidence_size_check(*, size: int, file_name: str) -> None:
    """Refuse an upload over the limit by its announced size, before reading it."""
    limit = max_upload_bytes()
    if size > limit:
        raise filing_error("EVIDENCE_TOO_LARGE", field="evidence", name=_clean_name(file_name),
                           limit=limit // (1024 * 1024))


def evidence_check(*, data: bytes, file_name: str) -> str:
    """Refuse a file before anything is written (several uploads are checked before any is stored)."""
    evidence_size_check(size=len(data), file_name=file_name)
    return content_type_of(data, _clean_name(file_name))


def evidence_store(*, actor, data: bytes, file_name: str) -> Evidence:
    """Store one uploaded file as evidence (audited)."""
    content_type = evidence_check(data=data, file_name=file_name)
    with transaction.atomic():
        evidence = Evidence.objects.create(
            file_name=_clean_name(file_name), content_type=content_type, size=len(data),
            sha256=hashlib.sha256(data).hexdigest(), content=data, uploaded_by=actor, uploaded_at=clock.now(),
        )
        audit_record(actor=actor, action="filing.evidence_store", obj=evidence,
                     after={"file_name": evidence.file_name, "content_type": content_type, "size": len(data),
                            "sha256": evidence.sha256})
    return evidence
