"""Evidence uploads: JPEG, PNG and real PDFs only, judged by content; size limit; SHA-256; nothing
is written for a refused file."""

from __future__ import annotations

import hashlib

import pytest

from zhucan.core.audit import AuditLog
from zhucan.core.errors import DomainError
from zhucan.filing.evidence import evidence_store
from zhucan.filing.models import Evidence

from .rows import jpeg_bytes, pdf_bytes, png_bytes


@pytest.mark.parametrize(("make", "content_type"), [(png_bytes, "image/png"), (jpeg_bytes, "image/jpeg"),
                                                    (pdf_bytes, "application/pdf")])
def test_images_and_pdfs_are_stored_with_their_hash(world, make, content_type):
    data = make()
    actor = world.users["canteen_manager"]
    evidence = evidence_store(actor=actor, data=data, file_name="C:\\扫描\\证照.bin")
    evidence.refresh_from_db()
    assert evidence.content_type == content_type  # from the content, not the name
    assert evidence.file_name == "证照.bin"
    assert bytes(evidence.content) == data and evidence.size == len(data)
    assert evidence.sha256 == hashlib.sha256(data).hexdigest()
    assert AuditLog.objects.filter(action="filing.evidence_store", object_id=str(evidence.pk),
                                   actor=actor).count() == 1


@pytest.mark.parametrize(("data", "code"), [
    (b"%PDF-1.7\n this is not a PDF at all, just text that starts like one\n", "EVIDENCE_TYPE"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "EVIDENCE_TYPE"),  # a PNG signature with nothing behind it
    (b"\xff\xd8\xff\xe0" + b"garbage" * 10, "EVIDENCE_TYPE"),
    (b"MZ\x90\x00" + b"\x00" * 100, "EVIDENCE_TYPE"),  # a Windows program named .pdf
    (b"GIF89a" + b"\x00" * 40, "EVIDENCE_TYPE"),
    (b"", "EVIDENCE_EMPTY"),
])
def test_files_that_are_not_what_they_claim_are_refused_and_nothing_is_written(world, data, code):
    with pytest.raises(DomainError) as exc:
        evidence_store(actor=world.users["canteen_manager"], data=data, file_name="许可证.pdf")
    assert exc.value.code == code
    assert "许可证.pdf" in exc.value.message_zh
    assert not Evidence.objects.exists()
    assert not AuditLog.objects.filter(action="filing.evidence_store").exists()


def test_a_fake_pdf_gets_a_precise_chinese_message(world):
    with pytest.raises(DomainError) as exc:
        evidence_store(actor=world.users["canteen_manager"], data=b"%PDF-1.4\nnot really", file_name="协议.pdf")
    assert exc.value.message_zh == "“协议.pdf”不是图片（JPEG、PNG）或PDF文件"


def test_a_file_over_the_size_limit_is_refused(world, settings):
    settings.ZHUCAN_FILING_MAX_UPLOAD_MB = 1
    big = png_bytes(size=(1200, 1200))
    big += b"\x00" * (1024 * 1024 + 1 - len(big))  # trailing bytes after IEND: still a valid PNG
    with pytest.raises(DomainError) as exc:
        evidence_store(actor=world.users["canteen_manager"], data=big, file_name="照片.png")
    assert exc.value.code == "EVIDENCE_TOO_LARGE" and exc.value.http_status == 413
    assert exc.value.message_zh == "“照片.png”超过1MB，请压缩后上传"
    assert not Evidence.objects.exists()
    settings.ZHUCAN_FILING_MAX_UPLOAD_MB = 2
    assert evidence_store(actor=world.users["canteen_manager"], data=big, file_name="照片.png").size == len(big)
