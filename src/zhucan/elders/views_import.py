"""Console views of the elder import: upload → preview (nothing written) → confirm or cancel."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from zhucan.accounts.gate import requires
from zhucan.core.audit import audit_export
from zhucan.core.errors import DomainError, NotFound
from zhucan.core.http import client_ip
from zhucan.core.xlsx import xlsx_bytes, xlsx_response
from zhucan.elders import import_services, importing
from zhucan.elders.models import ImportBatch, ImportStatus
from zhucan.regions.models import Level
from zhucan.regions.selectors import region_list

ERRORS_SHOWN = 500
SAMPLE_SHOWN = 20


def _upload_page(request, *, problems: list[str] | None = None, status: int = 200):
    return render(request, "elders/import_upload.html", {
        "columns": importing.TEMPLATE_COLUMNS,
        "problems": problems or [],
        "max_rows": settings.ZHUCAN_IMPORT_MAX_ROWS,
        "max_mb": getattr(settings, "ZHUCAN_IMPORT_MAX_BYTES", importing.DEFAULT_MAX_BYTES) // (1024 * 1024),
        "pending": ImportBatch.objects.filter(created_by=request.user, status=ImportStatus.PREVIEWED)[:5],
    }, status=status)


def _preview_page(request, batch, report, *, status: int = 200):
    return render(request, "elders/import_preview.html", {
        "batch": batch,
        "report": report,
        "errors": report.errors[:ERRORS_SHOWN],
        "errors_truncated": len(report.errors) > ERRORS_SHOWN,
        "sample": report.new_rows[:SAMPLE_SHOWN],
        "skipped": report.skipped[:SAMPLE_SHOWN],
        "ERRORS_SHOWN": ERRORS_SHOWN,
        "SAMPLE_SHOWN": SAMPLE_SHOWN,
    }, status=status)


@requires("elder", "import")
def elder_import(request):
    """GET: the upload form, or (?batch=id) a pending batch's preview, or (&format=xlsx) its errors.
    POST: upload and preview; the registry is not touched until the user confirms."""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            return _upload_page(request, problems=[_("请选择要导入的 .xlsx 或 .csv 文件")], status=400)
        max_bytes = getattr(settings, "ZHUCAN_IMPORT_MAX_BYTES", importing.DEFAULT_MAX_BYTES)
        if upload.size > max_bytes:
            return _upload_page(request, problems=[_("文件超过 %(mb)s MB 上限，请拆分后分批导入")
                                                   % {"mb": max_bytes // (1024 * 1024)}], status=400)
        try:
            batch, report = import_services.elder_import_preview(actor=request.user, filename=upload.name,
                                                           content=upload.read())
        except importing.FileRejected as exc:
            return _upload_page(request, problems=exc.problems, status=400)
        return _preview_page(request, batch, report)

    batch_id = request.GET.get("batch", "")
    if not batch_id.isdigit():
        return _upload_page(request)
    try:
        batch, report = import_services.elder_import_report(actor=request.user, batch_id=int(batch_id))
    except NotFound:
        raise
    except DomainError as exc:
        messages.error(request, exc.message_zh)
        return redirect("elders:import")
    if request.GET.get("format") == "xlsx":
        problems = list(report.as_tuples())
        content = xlsx_bytes(sheet="错误报告", headers=["行", "列", "原因"], rows=problems)
        audit_export(actor=request.user, what="elder.import_report", filters={"batch": batch.pk},
                     rows=len(problems), ip=client_ip(request))
        return xlsx_response(f"导入错误报告-{batch.pk}.xlsx", content)
    return _preview_page(request, batch, report)


@require_POST
@requires("elder", "import")
def elder_import_confirm(request):
    """Confirm (all valid rows in one transaction, or none) or cancel a pending batch."""
    batch_id = request.POST.get("batch", "")
    if not batch_id.isdigit():
        messages.error(request, _("缺少导入批次"))
        return redirect("elders:import")
    if request.POST.get("action") == "cancel":
        try:
            import_services.elder_import_cancel(actor=request.user, batch_id=int(batch_id))
        except NotFound:
            raise
        except DomainError as exc:
            messages.error(request, exc.message_zh)
        else:
            messages.success(request, _("已取消本次导入，上传的数据已删除"))
        return redirect("elders:import")
    try:
        batch = import_services.elder_import_confirm(actor=request.user, batch_id=int(batch_id), ip=client_ip(request))
    except importing.ImportChanged as exc:
        messages.error(request, exc.message_zh)
        batch = ImportBatch.objects.get(pk=int(batch_id))
        return _preview_page(request, batch, exc.report, status=409)
    except NotFound:
        raise
    except DomainError as exc:
        messages.error(request, exc.message_zh)
        return redirect("elders:import")
    messages.success(request, _("已导入 %(n)s 位老人的档案") % {"n": batch.imported_count})
    return redirect("elders:list")


@require_GET
@requires("elder", "import")
def elder_import_template(request):
    """The template .xlsx: the exact headers, one example row, number-like columns formatted as text."""
    community = region_list(user=request.user, level=Level.COMMUNITY).first()
    content = import_services.template_bytes(example_community=community.name if community else "保俶社区")
    return xlsx_response("老年人档案导入模板.xlsx", content)
