"""The canteen manager's filing console at /filing/mine/ (HZ-8, HZ-F1..F8): each requirement's
status, its declaration form with evidence uploads, the platform's automatic result, the district's
return reason, submit and resubmit, and the history of rounds. A manager sees only their own
canteen; every write goes through the lifecycle services."""

from __future__ import annotations

from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from zhucan.accounts.gate import requires
from zhucan.core.errors import DomainError, NotFound
from zhucan.core.http import add_domain_error, run_service
from zhucan.filing import services
from zhucan.filing.errors import filing_error
from zhucan.filing.evidence import evidence_check, evidence_size_check, evidence_store, max_upload_bytes
from zhucan.filing.models import Designation, Evidence, Filing, FilingItem, FilingStatus
from zhucan.filing.requirements import (
    SPECS,
    SUNSHINE_ROOMS,
    applies,
    coverage_choices,
    declaration_lines,
    item_problems,
)

MAX_FILES = 10


def _canteen(user):
    if user.canteen_id is None:
        raise NotFound("助餐点", "canteen")
    return user.canteen


def _item(user, item_id: int) -> FilingItem:
    """An item of the manager's own canteen; another canteen's answers as a missing one."""
    item = (FilingItem.objects.select_related("filing__canteen__region")
            .filter(pk=item_id, filing__canteen_id=user.canteen_id).first())
    if item is None or user.canteen_id is None:
        raise NotFound("备案要求", "requirement")
    return item


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


def declaration_form(item: FilingItem, data=None):
    """A form with one field per declared fact of the requirement (validated by the requirement's
    own rules in the service, so the form only collects)."""
    canteen = item.filing.canteen
    fields: dict[str, forms.Field] = {}
    for f in SPECS[item.requirement].fields:
        attrs = {"class": "big"}
        if f.kind == "yes":
            field = forms.BooleanField(label=f.label, required=False)
        elif f.kind == "date":
            field = forms.CharField(label=f.label, required=False, widget=forms.DateInput(attrs={**attrs,
                                                                                                 "type": "date"}))
        elif f.kind == "int":
            field = forms.CharField(label=f.label, required=False, max_length=6,
                                    widget=forms.TextInput(attrs={**attrs, "inputmode": "numeric"}))
        elif f.kind == "rooms":
            field = forms.MultipleChoiceField(label=f.label, required=False, choices=[(r, r) for r in SUNSHINE_ROOMS],
                                              widget=forms.CheckboxSelectMultiple)
        elif f.kind == "coverage":
            field = forms.MultipleChoiceField(
                label=f.label, required=False, widget=forms.CheckboxSelectMultiple,
                choices=[(str(c.pk), f"{c.parent.name if c.parent_id else ''} {c.name}".strip())
                         for c in coverage_choices(canteen).select_related("parent")])
        else:
            field = forms.CharField(label=f.label, required=False, max_length=f.max_length,
                                    widget=forms.TextInput(attrs=attrs))
        field.help_text = f.help
        fields[f.name] = field
    spec = SPECS[item.requirement]
    if spec.evidence_label:
        fields["keep"] = forms.MultipleChoiceField(
            label="已上传的材料（取消勾选即移除）", required=False, widget=forms.CheckboxSelectMultiple,
            choices=[(str(e.pk), e.file_name) for e in item.evidence.all()])
        fields["files"] = forms.FileField(
            label=f"上传{spec.evidence_label}", required=False,
            help_text=f"图片（JPEG、PNG）或PDF，每个文件不超过{max_upload_bytes() // (1024 * 1024)}MB，可一次选择多个",
            widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"}))
    form_class = type("DeclarationForm", (forms.Form,), fields)
    initial = {k: (v if not isinstance(v, list) else [str(x) for x in v]) for k, v in (item.declaration or {}).items()}
    initial["keep"] = [str(e.pk) for e in item.evidence.all()]
    return form_class(data, initial=initial)


def _rows(filing: Filing) -> list[dict]:
    canteen = filing.canteen
    draft = filing.status == FilingStatus.DRAFT
    return [{"item": item, "spec": SPECS[item.requirement], "applies": applies(item.requirement, canteen),
             "lines": declaration_lines(item.requirement, item.declaration, canteen),
             "evidence": list(item.evidence.all()), "declared": bool(item.declaration),
             "problems": [p.message_zh for p in item_problems(item)] if draft else []}
            for item in filing.items.select_related("filing__canteen__region").prefetch_related("evidence")
            .order_by("requirement")]


@requires("filing", "fill")
def mine(request):
    canteen = _canteen(request.user)
    designation = Designation.objects.filter(canteen=canteen).first()
    filings = list(Filing.objects.filter(canteen=canteen).order_by("-round"))
    current = filings[0] if filings else None
    return render(request, "filing/canteen/mine.html", {
        "canteen": canteen, "designation": designation, "filing": current,
        "rows": _rows(current) if current else [], "history": filings[1:],
        "editable": current is not None and current.status == FilingStatus.DRAFT,
        "can_resubmit": current is not None and current.status == FilingStatus.RETURNED,
    })


def _uploads(request) -> list:
    files = request.FILES.getlist("files")
    if len(files) > MAX_FILES:
        raise filing_error("EVIDENCE_TOO_MANY", field="files", limit=MAX_FILES)
    # Read and check every file before anything is stored: one bad file stores none.
    out = []
    for upload in files:
        evidence_size_check(size=upload.size, file_name=upload.name)
        data = upload.read()
        evidence_check(data=data, file_name=upload.name)
        out.append((upload.name, data))
    return out


@requires("filing", "fill")
def item_edit(request, item_id: int):
    item = _item(request.user, item_id)
    form = declaration_form(item, request.POST if request.method == "POST" else None)
    editable = item.filing.status == FilingStatus.DRAFT and applies(item.requirement, item.filing.canteen)
    if request.method == "POST" and editable and form.is_valid():
        data = form.cleaned_data
        declaration = {f.name: data.get(f.name) for f in SPECS[item.requirement].fields}
        try:
            uploads = _uploads(request) if "files" in form.fields else []
            keep = {int(pk) for pk in data.get("keep", [])}
            with transaction.atomic():  # the stored files go with the declaration or not at all
                evidence = [e for e in item.evidence.all() if e.pk in keep]
                evidence += [evidence_store(actor=request.user, data=d, file_name=n) for n, d in uploads]
                services.filing_item_save(actor=request.user, item=item, declaration=declaration, evidence=evidence)
        except NotFound:
            raise
        except DomainError as exc:
            add_domain_error(form, exc if exc.field != "evidence" else _on("files", exc))
        else:
            messages.success(request, f"已保存：{item.get_requirement_display()}")
            return redirect("filing:mine")
    return render(request, "filing/canteen/item.html", {
        "item": item, "form": form, "editable": editable, "spec": SPECS[item.requirement],
        "lines": declaration_lines(item.requirement, item.declaration, item.filing.canteen),
        "evidence": list(item.evidence.all()),
    })


def _on(field: str, exc: DomainError) -> DomainError:
    exc.field = field
    return exc


@require_POST
@requires("filing", "fill")
def submit(request):
    canteen = _canteen(request.user)
    filing = Filing.objects.filter(canteen=canteen, status=FilingStatus.DRAFT).first()
    if filing is None:
        messages.error(request, "当前没有可提交的备案")
        return redirect("filing:mine")
    run_service(request, lambda: services.filing_submit(actor=request.user, filing=filing),
                "备案已提交，请等待区民政部门审核")
    return redirect("filing:mine")


@require_POST
@requires("filing", "fill")
def resubmit(request):
    canteen = _canteen(request.user)
    run_service(request, lambda: services.filing_resubmit_open(actor=request.user, canteen=canteen),
                "已开始新一轮备案：请修改被退回的要求后重新提交")
    return redirect("filing:mine")


@requires("filing", "fill")
def round_detail(request, filing_id: int):
    filing = Filing.objects.filter(pk=filing_id, canteen_id=request.user.canteen_id).first()
    if filing is None:
        raise NotFound("备案", "filing")
    return render(request, "filing/canteen/round.html", {"filing": filing, "rows": _rows(filing)})


@requires("filing", "fill")
def evidence(request, evidence_id: int):
    """A file of the manager's own canteen's filing (or one they uploaded), shown inline."""
    e = (Evidence.objects.filter(pk=evidence_id, items__filing__canteen_id=request.user.canteen_id).first()
         or Evidence.objects.filter(pk=evidence_id, uploaded_by=request.user).first())
    if e is None:
        raise NotFound("备案材料", "evidence")
    response = HttpResponse(bytes(e.content), content_type=e.content_type)
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(e.file_name)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response

