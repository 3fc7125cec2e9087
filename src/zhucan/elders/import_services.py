"""Import services: preview, report, confirm (all or none), cancel, and the
template download. The parsed rows wait in an `ImportBatch`, encrypted (they hold ID numbers).
Reading and validating the sheet is `importing.py`."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import date

from django.db import IntegrityError, transaction

from zhucan.accounts.permissions import has_perm
from zhucan.core import clock, crypto
from zhucan.core.audit import audit_record
from zhucan.core.errors import DomainError, NotFound, PermissionDenied
from zhucan.core.idnumber import mask_id_number
from zhucan.elders import services
from zhucan.elders.importing import (
    PAYLOAD_CONTEXT,
    TEMPLATE_COLUMNS,
    ImportChanged,
    ImportReport,
    NewRow,
    Sheet,
    read_sheet,
    validate_rows,
)
from zhucan.elders.models import Elder, ImportBatch, ImportStatus, Tag


def _seal(payload: dict) -> str:
    return crypto.encrypt(json.dumps(payload, ensure_ascii=False), context=PAYLOAD_CONTEXT)


def _unseal(batch: ImportBatch) -> tuple[Sheet, list[int]]:
    payload = json.loads(crypto.decrypt(batch.payload_encrypted, context=PAYLOAD_CONTEXT))
    sheet = Sheet(headers=payload["headers"], rows=[(r, v) for r, v in payload["rows"]])
    return sheet, payload["valid_rows"]


def _require_import(actor) -> None:
    if not has_perm(actor, "elder", "import"):
        raise PermissionDenied("批量导入老人档案", "import elders")


def elder_import_preview(*, actor, filename: str, content: bytes) -> tuple[ImportBatch, ImportReport]:
    """Parse and check an uploaded file; nothing reaches the registry. The rows wait, encrypted, in
    an `ImportBatch` for the user to confirm or cancel."""
    _require_import(actor)
    sheet = read_sheet(filename=filename, content=content)
    report = validate_rows(actor=actor, sheet=sheet)
    payload = {"headers": sheet.headers, "rows": sheet.rows, "valid_rows": [r.row for r in report.new_rows]}
    batch = ImportBatch.objects.create(
        created_by=actor, filename=filename[:200], file_sha256=hashlib.sha256(content).hexdigest(),
        payload_encrypted=_seal(payload), row_count=report.total, valid_count=len(report.new_rows),
    )
    return batch, report


def _own_batch(*, actor, batch_id: int, lock: bool = False) -> ImportBatch:
    # Only the uploader may see or act on a batch; anyone else gets the same answer as for a missing one.
    qs = ImportBatch.objects.select_for_update() if lock else ImportBatch.objects.all()
    batch = qs.filter(pk=batch_id, created_by=actor).first()
    if batch is None:
        raise NotFound("导入批次", "import batch")
    return batch


def _not_open(batch: ImportBatch) -> DomainError:
    label = ImportStatus(batch.status).label
    return DomainError(code="ELDER_IMPORT_CLOSED", message_zh=f"该导入批次{label}，不能再次操作",
                       message_en=f"this import batch is {batch.status}", http_status=409)


def elder_import_report(*, actor, batch_id: int) -> tuple[ImportBatch, ImportReport]:
    """The preview of a pending batch, re-checked against the registry as it is now."""
    _require_import(actor)
    batch = _own_batch(actor=actor, batch_id=batch_id)
    if batch.status != ImportStatus.PREVIEWED:
        raise _not_open(batch)
    sheet, _valid = _unseal(batch)
    return batch, validate_rows(actor=actor, sheet=sheet)


def elders_register_many(*, actor, rows: list[NewRow], ip: str | None = None) -> list[Elder]:
    """Create the elders of rows that `validate_rows` passed, in the caller's transaction.

    The same record as `services.elder_register` writes — encrypted ID, blind index, masked form,
    tags, one `elder.create` audit row with the same snapshot — but batched: `validate_rows` has
    already made every check elder_register makes (name, ID number, community in the actor's scope,
    status date, tags, duplicates) with set-wide queries, so 2,000 rows cost a few bulk inserts and
    one audit insert each instead of ~8 queries each. The unique indexes still guard against races.
    """
    if not has_perm(actor, "elder", "create"):
        raise PermissionDenied("新建老人档案", "register elders")
    elders: list[Elder] = []
    for new in rows:
        number, birth_date, sex = services.id_number_check(new.data.id_number)
        elder = Elder(
            id_number_encrypted=crypto.encrypt(number, context=services.ID_CONTEXT),
            id_number_index=services.id_number_index(number),
            id_number_masked=mask_id_number(number),
            birth_date=birth_date,
            sex=sex,
        )
        services._apply(elder, new.data)
        elders.append(elder)
    Elder.objects.bulk_create(elders, batch_size=500)
    through = Elder.tags.through
    tag_ids = dict(Tag.objects.values_list("code", "pk"))
    through.objects.bulk_create(
        [through(elder_id=elder.pk, tag_id=tag_ids[code])
         for elder, new in zip(elders, rows, strict=True) for code in new.data.tag_codes],
        batch_size=1000,
    )
    # Card numbers go to the identity app's card table (encrypted, blind-indexed, masked), as
    # `elder_register` does one by one; its unique index on active numbers guards against races.
    from zhucan.identity.models import CardStatus, CitizenCard
    from zhucan.identity.services import CARD_CONTEXT, card_number_index, card_number_mask

    now = clock.now()
    CitizenCard.objects.bulk_create([
        CitizenCard(elder=elder, number_encrypted=crypto.encrypt(new.data.citizen_card_number, context=CARD_CONTEXT),
                    number_index=card_number_index(new.data.citizen_card_number),
                    number_masked=card_number_mask(new.data.citizen_card_number), status=CardStatus.ACTIVE,
                    issued_at=now, issued_by=actor)
        for elder, new in zip(elders, rows, strict=True) if new.data.citizen_card_number], batch_size=1000)
    plain_fields = [f for f in services.AUDITED_FIELDS if f != "tags"]
    for elder, new in zip(elders, rows, strict=True):
        plain = services._audited_plain(elder, plain_fields, card=new.data.citizen_card_number)
        after = {f: sorted(new.data.tag_codes) if f == "tags" else plain[f] for f in services.AUDITED_FIELDS}
        after.update({k: v for k, v in plain.items() if k not in after})
        audit_record(actor=actor, action="elder.create", obj=elder, region_path=new.data.community.path,
                     after=after, ip=ip, note="批量导入")
    return elders


def elder_import_confirm(*, actor, batch_id: int, ip: str | None = None) -> ImportBatch:
    """Import every row that was valid at the preview and still is, in ONE transaction: a row that
    now fails (or a failure while writing) imports nothing. Rows registered since are skipped."""
    _require_import(actor)
    try:
        with transaction.atomic():
            batch = _own_batch(actor=actor, batch_id=batch_id, lock=True)
            if batch.status != ImportStatus.PREVIEWED:
                raise _not_open(batch)
            sheet, approved = _unseal(batch)
            report = validate_rows(actor=actor, sheet=sheet)
            failing = {e.row for e in report.errors} & set(approved)
            if failing:
                raise ImportChanged(report)
            approved_set = set(approved)
            rows = [r for r in report.new_rows if r.row in approved_set]
            try:
                elders_register_many(actor=actor, rows=rows, ip=ip)
            except IntegrityError as exc:
                # Someone registered one of these numbers or cards since validate_rows (a race): the
                # unique indexes refuse it and the whole import rolls back; confirming again re-checks.
                raise DomainError(code="ELDER_IMPORT_CONFLICT",
                                  message_zh="导入期间有其他用户登记了相同的身份证号或市民卡号，本次未导入任何记录，请重新确认",
                                  message_en="a concurrent registration conflicts; nothing was imported",
                                  http_status=409) from exc
            batch.status = ImportStatus.IMPORTED
            batch.imported_count = len(rows)
            batch.finished_at = clock.now()
            batch.payload_encrypted = ""
            batch.save(update_fields=["status", "imported_count", "finished_at", "payload_encrypted"])
            region_path = actor.region.path if getattr(actor, "region_id", None) else ""
            audit_record(actor=actor, action="elder.import", obj=batch, object_repr=batch.filename,
                         region_path=region_path, ip=ip,
                         after={"filename": batch.filename, "file_sha256": batch.file_sha256,
                                "rows": batch.row_count, "imported": batch.imported_count,
                                "skipped": len(report.skipped)},
                         note=f"批量导入老人档案 {batch.imported_count} 条")
    except ImportChanged as exc:
        # Nothing was written; what the user may now confirm is the new set of valid rows.
        ImportBatch.objects.filter(pk=batch_id, status=ImportStatus.PREVIEWED).update(
            payload_encrypted=_seal({"headers": sheet.headers, "rows": sheet.rows,
                                     "valid_rows": [r.row for r in exc.report.new_rows
                                                    if r.row not in {e.row for e in exc.report.errors}]}),
            valid_count=len(exc.report.new_rows),
        )
        raise
    return batch


def elder_import_cancel(*, actor, batch_id: int) -> ImportBatch:
    """Drop a pending batch and the ID numbers it holds."""
    _require_import(actor)
    with transaction.atomic():
        batch = _own_batch(actor=actor, batch_id=batch_id, lock=True)
        if batch.status != ImportStatus.PREVIEWED:
            raise _not_open(batch)
        batch.status = ImportStatus.CANCELLED
        batch.finished_at = clock.now()
        batch.payload_encrypted = ""
        batch.save(update_fields=["status", "finished_at", "payload_encrypted"])
    return batch


def template_bytes(*, example_community: str = "保俶社区") -> bytes:
    """The import template: the exact headers, one example row, ID/phone/card columns as text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    from zhucan.core.idnumber import make_id_number

    example = {
        "name": "王秀英", "id_number": make_id_number("330106", date(1945, 3, 15), 1, "F"),
        "community": example_community, "phone": "13800001234", "address": "北山路1号",
        "hukou": "西湖区", "card": "", "tags": "独居、低保", "status": "正常", "status_since": "",
    }
    wb = Workbook()
    ws = wb.active
    ws.title = "老年人名单"
    ws.append([c.header for c in TEMPLATE_COLUMNS])
    ws.append([example[c.key] for c in TEMPLATE_COLUMNS])
    for i, column in enumerate(TEMPLATE_COLUMNS, start=1):
        letter = get_column_letter(i)
        ws[f"{letter}1"].font = Font(bold=True)
        ws.column_dimensions[letter].width = 24 if column.key in ("id_number", "address") else 14
        if column.key in ("id_number", "phone", "card"):
            for row in range(2, 2002):  # typed numbers stay text: no scientific notation, no lost digits
                ws[f"{letter}{row}"].number_format = "@"
    ws.freeze_panes = "A2"
    notes = wb.create_sheet("填写说明")
    notes.append(["列名", "是否必填", "说明"])
    for column in TEMPLATE_COLUMNS:
        notes.append([column.header, "必填" if column.required else "选填", column.note])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
