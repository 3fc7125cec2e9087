"""Settlement console: statements (list, detail, workflow actions), generation, the district report
and their exports. Thin: a form, a service or selector call, a template."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from zhucan.accounts.gate import requires
from zhucan.accounts.permissions import has_perm
from zhucan.checkout.locks import month_start
from zhucan.core import clock
from zhucan.core.audit import audit_export
from zhucan.core.auditread import readable
from zhucan.core.errors import DomainError, NotFound, PermissionDenied
from zhucan.core.http import add_domain_error, client_ip, paginate
from zhucan.rules.labels import rule_names
from zhucan.settlement import exports, selectors, services
from zhucan.settlement.forms import (
    FilterForm,
    GenerateForm,
    MismatchForm,
    NoteForm,
    PayForm,
    ReportForm,
    ResolveForm,
)
from zhucan.settlement.models import StatementStatus as S

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _last_month():
    today = clock.local_today()
    previous = month_start(today).toordinal() - 1
    return month_start(type(today).fromordinal(previous))


def _denied(request, exc: DomainError):
    return render(request, "console/denied.html", {"error": exc}, status=403)


@requires("statement", "view")
def statement_list(request):
    districts = selectors.district_choices(request.user)
    form = FilterForm(request.GET or None, districts=districts)
    month = district = None
    status = ""
    if form.is_valid():
        month, district, status = (form.cleaned_data["month"], form.cleaned_data["district"],
                                   form.cleaned_data["status"])
    qs = selectors.statement_list(actor=request.user, month=month, district=district, status=status)
    page, query = paginate(request, qs)
    return render(request, "settlement/list.html", {
        "form": form, "page": page, "query": query, "totals": selectors.statement_totals(qs),
        "can_generate": has_perm(request.user, "statement", "generate"),
        "can_report": has_perm(request.user, "statement", "view"),
    })


def _actions(user, st) -> dict[str, bool]:
    return {
        "confirm": has_perm(user, "statement", "confirm") and st.status == S.DRAFT,
        "dispute": has_perm(user, "statement", "confirm") and st.status in (S.DRAFT, S.CONFIRMED),
        "approve": has_perm(user, "statement", "approve") and st.status == S.CONFIRMED,
        "resolve": has_perm(user, "statement", "approve") and st.status == S.DISPUTED,
        "regenerate": has_perm(user, "statement", "approve") and st.status in (S.DRAFT, S.CONFIRMED, S.APPROVED),
        "finalise": has_perm(user, "statement", "finalise") and st.status == S.APPROVED,
        "pay": has_perm(user, "statement", "pay") and st.status == S.FINALISED,
    }


def _named(st, lines: list[dict]) -> list[dict]:
    """Each benefit line with its rule's Chinese name from the policy file (screens show no rule ids)."""
    names = rule_names(st.canteen, st.month)
    return [{**ln, "rule_name": names.get(ln["rule_id"]) or "其他补贴"} for ln in lines]


@requires("statement", "view")
def statement_detail(request, pk: int):
    st = selectors.statement_get(actor=request.user, statement_id=pk)
    actions = _actions(request.user, st)
    return render(request, "settlement/detail.html", {
        "st": st, "lines": _named(st, selectors.statement_lines(st)), "actions": actions,
        "any_action": any(actions.values()),
        "history": readable(selectors.statement_history(st)),
        "mismatches": selectors.statement_mismatches(st),
        "can_resolve_mismatch": has_perm(request.user, "mismatch", "resolve") and not st.locked,
        "can_export": has_perm(request.user, "statement", "export"),
        "note_form": NoteForm(), "resolve_form": ResolveForm(), "pay_form": PayForm(),
        "mismatch_form": MismatchForm(),
    })


_ACTIONS = {
    "confirm": (None, lambda u, pk, d: services.statement_confirm(actor=u, statement_id=pk), "已确认结算单"),
    "dispute": (NoteForm, lambda u, pk, d: services.statement_dispute(actor=u, statement_id=pk, note=d["note"]),
                "已提交异议"),
    "approve": (None, lambda u, pk, d: services.statement_approve(actor=u, statement_id=pk), "已审核通过"),
    "resolve": (ResolveForm, lambda u, pk, d: services.statement_resolve_dispute(
        actor=u, statement_id=pk, regenerate=d["regenerate"], note=d["note"]), "异议已处理"),
    "regenerate": (NoteForm, lambda u, pk, d: services.statement_regenerate(actor=u, statement_id=pk,
                                                                           note=d["note"]), "已重新生成"),
    "finalise": (None, lambda u, pk, d: services.statement_finalise(actor=u, statement_id=pk), "已终审，本月已锁定"),
    "pay": (PayForm, lambda u, pk, d: services.statement_mark_paid(actor=u, statement_id=pk,
                                                                   reference=d["reference"]), "已登记拨付"),
}


@require_POST
@requires("statement", "view")
def statement_action(request, pk: int, action: str):
    if action not in _ACTIONS:
        raise NotFound("操作", "action")
    form_class, call, done = _ACTIONS[action]
    selectors.statement_get(actor=request.user, statement_id=pk)  # 404 before anything else
    data = {}
    if form_class is not None:
        form = form_class(request.POST)
        if not form.is_valid():
            messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
            return redirect("settlement:detail", pk=pk)
        data = form.cleaned_data
    try:
        call(request.user, pk, data)
    except PermissionDenied as exc:
        return _denied(request, exc)
    except NotFound:
        raise
    except DomainError as exc:
        messages.error(request, exc.message_zh)
        return redirect("settlement:detail", pk=pk)
    messages.success(request, done)
    return redirect("settlement:detail", pk=pk)


@require_POST
@requires("mismatch", "resolve")
def mismatch_resolve(request, pk: int):
    form = MismatchForm(request.POST)
    back = request.POST.get("statement")
    target = ("settlement:detail", {"pk": int(back)}) if back and back.isdigit() else ("settlement:list", {})
    if not form.is_valid():
        messages.error(request, "请选择结论")
        return redirect(target[0], **target[1])
    try:
        services.mismatch_resolve(actor=request.user, mismatch_id=pk, accept=form.cleaned_data["accept"],
                                  note=form.cleaned_data["note"])
    except NotFound:
        raise
    except DomainError as exc:
        messages.error(request, exc.message_zh)
    else:
        messages.success(request, "上报差异已处理")
    return redirect(target[0], **target[1])


@requires("statement", "generate")
def generate(request):
    districts = selectors.district_choices(request.user)
    form = GenerateForm(request.POST or None, districts=districts,
                        initial={"month": f"{_last_month():%Y-%m}"})
    if request.method == "POST" and form.is_valid():
        try:
            statements = services.statement_generate(actor=request.user, month=form.cleaned_data["month"],
                                                     district=form.cleaned_data["district"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已生成 {len(statements)} 份结算单草稿")
            return redirect(f"/settlement/?month={form.cleaned_data['month']:%Y-%m}")
    return render(request, "settlement/generate.html", {"form": form})


def _report_from(request):
    districts = selectors.district_choices(request.user)
    data = request.GET.copy()
    data.setdefault("month", f"{_last_month():%Y-%m}")
    form = ReportForm(data, districts=districts)
    if not form.is_valid():
        return form, None
    report = selectors.district_report(actor=request.user, month=form.cleaned_data["month"],
                                       district=form.cleaned_data["district"])
    return form, report


@requires("statement", "view")
def district_report(request):
    form, report = _report_from(request)
    method_rows = []
    if report is not None:
        for row in [*report.rows, report.totals]:
            counts = [row.by_method.get(code, 0) for code, _label in selectors.METHODS]
            method_rows.append({"name": row.name, "counts": counts, "total": sum(row.by_method.values())})
    return render(request, "settlement/report.html", {
        "form": form, "report": report, "query": request.GET.urlencode(), "methods": selectors.METHODS,
        "method_rows": method_rows, "can_export": has_perm(request.user, "statement", "export")})


def _file(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename=\"{filename}\""
    return response


@requires("statement", "export")
def statement_export(request, pk: int, fmt: str):
    if fmt not in ("xlsx", "pdf"):
        raise NotFound("文件格式", "format")
    st = selectors.statement_get(actor=request.user, statement_id=pk, action="export")
    audit_export(actor=request.user, what="statement", filters={"statement": st.pk, "format": fmt}, rows=1,
                 ip=client_ip(request))
    if fmt == "xlsx":
        return _file(exports.statement_xlsx(st), XLSX, f"statement-{st.canteen_id}-{st.month:%Y-%m}.xlsx")
    return _file(exports.statement_pdf(st), "application/pdf", f"statement-{st.canteen_id}-{st.month:%Y-%m}.pdf")


@requires("statement", "export")
def report_export(request, fmt: str):
    _form, report = _report_from(request)
    if report is None or fmt not in ("xlsx", "pdf"):
        raise NotFound("报表", "report")
    audit_export(actor=request.user, what="settlement.report", filters={**request.GET.dict(), "format": fmt},
                 rows=len(report.rows), ip=client_ip(request))
    name = f"district-report-{report.month:%Y-%m}"
    if fmt == "xlsx":
        return _file(exports.district_report_xlsx(report), XLSX, f"{name}.xlsx")
    return _file(exports.district_report_pdf(report), "application/pdf", f"{name}.pdf")
