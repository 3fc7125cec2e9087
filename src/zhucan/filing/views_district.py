"""The officials' filing consoles (HZ-8): the district's selection and review queue, a canteen's
designation page, the agreement form, the review page, stage actions, and the city's register of
all districts. Thin: validate, call a service or selector, render."""

from __future__ import annotations

from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from zhucan.accounts.gate import requires
from zhucan.accounts.permissions import has_perm
from zhucan.core import clock
from zhucan.core.errors import DomainError, NotFound
from zhucan.core.http import add_domain_error, paginate, run_service
from zhucan.core.xlsx import xlsx_response
from zhucan.filing import selectors, services
from zhucan.filing.evidence import evidence_store
from zhucan.filing.models import Agreement, FilingStatus, Review, Stage
from zhucan.filing.requirements import declaration_lines

# ---- forms ----------------------------------------------------------------------------------------


class AgreementForm(forms.Form):
    number = forms.CharField(label="协议编号", max_length=60)
    party_a = forms.CharField(label="甲方", max_length=100)
    party_b = forms.CharField(label="乙方", max_length=100)
    start_date = forms.DateField(label="起始日期", widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(label="终止日期", widget=forms.DateInput(attrs={"type": "date"}))
    scan = forms.FileField(label="协议扫描件（PDF）", required=False)
    renews = forms.ModelChoiceField(label="续签自", queryset=Agreement.objects.none(), required=False,
                                    empty_label="（首次签订）")

    def __init__(self, *args, canteen, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["renews"].queryset = Agreement.objects.filter(canteen=canteen).order_by("-start_date")


class StageForm(forms.Form):
    reason = forms.CharField(label="原因", max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    on = forms.DateField(label="生效日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))


class DecideForm(forms.Form):
    on = forms.DateField(label="定点日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))


# ---- queue and canteen page -----------------------------------------------------------------------


@requires("filing", "view")
def queue(request):
    user = request.user
    return render(request, "filing/district/queue.html", {
        "queue": selectors.queue(user=user),
        "candidates": selectors.candidates(user=user) if has_perm(user, "filing", "select") else [],
        "designations": selectors.designations(user=user).order_by("canteen__region__path", "canteen__name"),
        "is_city": not has_perm(user, "filing", "select"),
    })


@require_POST
@requires("filing", "select")
def select(request, canteen_id: int):
    canteen = selectors.canteen_get(user=request.user, canteen_id=canteen_id)
    note = request.POST.get("note", "")
    run_service(request, lambda: services.canteen_select(actor=request.user, canteen=canteen, note=note),
                f"已遴选：{canteen.name}")
    return redirect("filing:canteen", canteen_id=canteen.pk)


@requires("filing", "view")
def canteen(request, canteen_id: int):
    user = request.user
    file = selectors.canteen_file(user=user, canteen_id=canteen_id)
    stage = file.designation.stage if file.designation else None
    return render(request, "filing/district/canteen.html", {
        "f": file, "stage": stage,
        "can_select": stage is None and has_perm(user, "filing", "select"),
        "can_agreement": stage not in (None, Stage.REVOKED) and has_perm(user, "filing", "agreement"),
        "can_suspend": stage == Stage.DESIGNATED and has_perm(user, "filing", "suspend"),
        "can_reinstate": stage == Stage.SUSPENDED and has_perm(user, "filing", "reinstate"),
        "can_revoke": stage in (Stage.DESIGNATED, Stage.SUSPENDED) and has_perm(user, "filing", "revoke"),
        "can_recheck": stage == Stage.DESIGNATED and has_perm(user, "filing", "recheck"),
        "stage_form": StageForm(),
        "today": clock.local_today(),
    })


@requires("filing", "agreement")
def agreement(request, canteen_id: int):
    c = selectors.canteen_get(user=request.user, canteen_id=canteen_id)
    form = AgreementForm(request.POST or None, request.FILES or None, canteen=c)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            scan = None
            if d["scan"] is not None:
                scan = evidence_store(actor=request.user, data=d["scan"].read(), file_name=d["scan"].name)
            services.agreement_record(actor=request.user, canteen=c, number=d["number"], party_a=d["party_a"],
                                      party_b=d["party_b"], start_date=d["start_date"], end_date=d["end_date"],
                                      scan=scan, renews=d["renews"])
        except NotFound:
            raise
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已登记服务协议：{d['number']}")
            return redirect("filing:canteen", canteen_id=c.pk)
    return render(request, "filing/district/agreement.html", {"c": c, "form": form})


# ---- review -----------------------------------------------------------------------------------------


@requires("filing", "view")
def review(request, filing_id: int):
    filing = selectors.filing_get(user=request.user, filing_id=filing_id)
    items = selectors.filing_items(filing=filing)
    rows = [{"item": item, "lines": declaration_lines(item.requirement, item.declaration, filing.canteen),
             "evidence": list(item.evidence.all())} for item in items]
    reviewing = filing.status == FilingStatus.SUBMITTED and has_perm(request.user, "filing", "review")
    return render(request, "filing/district/review.html", {
        "filing": filing, "rows": rows, "reviewing": reviewing,
        "all_reviewed": all(i.review != Review.PENDING for i in items), "decide_form": DecideForm(),
    })


@require_POST
@requires("filing", "review")
def item_review(request, item_id: int):
    item = selectors.item_get(user=request.user, item_id=item_id)
    back = reverse("filing:review", args=[item.filing_id]) + f"#item-{item.pk}"
    decision = request.POST.get("decision")
    if decision not in ("pass", "return"):
        # Nothing is pre-chosen: an official who saves without choosing has decided nothing.
        messages.error(request, f"“{item.get_requirement_display()}”：请选择“通过”或“退回修改”")
        return redirect(back)
    passed = decision == "pass"
    run_service(request, lambda: services.item_review(actor=request.user, item=item, passed=passed,
                                                      reason=request.POST.get("reason", "")),
                f"“{item.get_requirement_display()}”：{'通过' if passed else '已退回'}")
    return redirect(back)


@require_POST
@requires("filing", "review")
def decide(request, filing_id: int):
    filing = selectors.filing_get(user=request.user, filing_id=filing_id)
    form = DecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写正确的日期")
        return redirect("filing:review", filing_id=filing.pk)
    run_service(request, lambda: services.filing_decide(actor=request.user, filing=filing,
                                                        on=form.cleaned_data["on"]), "已作出审核决定")
    return redirect("filing:canteen", canteen_id=filing.canteen_id)


# ---- stage actions ----------------------------------------------------------------------------------


def _stage(request, canteen_id: int, service, done: str):
    c = selectors.canteen_get(user=request.user, canteen_id=canteen_id)
    form = StageForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请写明原因并填写正确的日期")
    else:
        run_service(request, lambda: service(actor=request.user, canteen=c, reason=form.cleaned_data["reason"],
                                             on=form.cleaned_data["on"]), done)
    return redirect("filing:canteen", canteen_id=c.pk)


@require_POST
@requires("filing", "suspend")
def suspend(request, canteen_id: int):
    return _stage(request, canteen_id, services.designation_suspend, "已暂停定点")


@require_POST
@requires("filing", "reinstate")
def reinstate(request, canteen_id: int):
    return _stage(request, canteen_id, services.designation_reinstate, "已恢复定点")


@require_POST
@requires("filing", "revoke")
def revoke(request, canteen_id: int):
    return _stage(request, canteen_id, services.designation_revoke, "已撤销定点")


@require_POST
@requires("filing", "recheck")
def recheck(request, canteen_id: int):
    c = selectors.canteen_get(user=request.user, canteen_id=canteen_id)
    run_service(request, lambda: services.designation_recheck(actor=request.user, canteen=c,
                                                              note=request.POST.get("note", "")),
                "已登记年度复核")
    return redirect("filing:canteen", canteen_id=c.pk)


# ---- evidence ---------------------------------------------------------------------------------------


@requires("filing", "view")
def evidence(request, evidence_id: int):
    """The file itself, shown in the browser (images, PDFs; the type was judged from the content)."""
    e = selectors.evidence_get(user=request.user, evidence_id=evidence_id)
    response = HttpResponse(bytes(e.content), content_type=e.content_type)
    disposition = "attachment" if request.GET.get("download") else "inline"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(e.file_name)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ---- the city's register ----------------------------------------------------------------------------


def _register_filters(request) -> dict:
    district = request.GET.get("district", "")
    return {"district": int(district) if district.isdigit() else None,
            "stage": request.GET.get("stage", "") if request.GET.get("stage", "") in Stage.values else "",
            "q": request.GET.get("q", "").strip()[:50]}


@requires("filing", "view")
def register(request):
    filters = _register_filters(request)
    qs = selectors.register(user=request.user, **filters)
    page, query = paginate(request, qs)
    return render(request, "filing/city/register.html", {
        "page": page, "query": query, "filters": filters, "total": qs.count(),
        "districts": selectors.districts(user=request.user), "stages": Stage.choices,
        "can_export": has_perm(request.user, "filing", "export"),
    })


@requires("filing", "export")
def register_export(request):
    filters = _register_filters(request)
    content = services.register_export(actor=request.user, **filters)
    return xlsx_response(f"定点助餐点备案名录-{clock.local_today():%Y%m%d}.xlsx", content)
