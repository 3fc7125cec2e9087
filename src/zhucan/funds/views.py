"""Console views of construction subsidies (LC-3), the LC-1 target, evaluations (LC-6) and operating
rewards (LC-5). Thin: validate, call a service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from zhucan.accounts.gate import requires
from zhucan.accounts.permissions import has_perm
from zhucan.core import clock
from zhucan.core.audit import audit_export
from zhucan.core.errors import DomainError
from zhucan.core.http import add_domain_error, client_ip, paginate
from zhucan.core.money import fen_to_decimal as _yuan
from zhucan.core.xlsx import xlsx_bytes, xlsx_response
from zhucan.funds import selectors, services
from zhucan.funds.forms import DecisionForm, PaymentForm, SubsidyApplyForm, YearForm
from zhucan.funds.models import RewardStatus, SubsidyStatus


def _table_pdf():
    """settlement's PDF table writer, looked up on use: the pages offer PDF only where it imports."""
    try:
        from zhucan.settlement.exports import table_pdf
    except ImportError:
        return None
    return table_pdf


def _year(request, default: int | None = None) -> int:
    raw = request.GET.get("year") or request.POST.get("year") or ""
    return int(raw) if raw.isdigit() else (default or clock.local_today().year - 1)


@requires("funds", "view")
def index(request):
    user = request.user
    return render(request, "funds/index.html", {
        "subsidies": selectors.subsidy_list(user=user).count(),
        "targets": selectors.target_progress(user=user),
        "rewards": selectors.reward_list(user=user).count(),
        "can_evaluate": has_perm(user, "funds", "evaluate"),
    })


# ---- construction subsidies -----------------------------------------------------------------------

SUBSIDY_HEADERS = ["助餐点", "所在辖区", "建设类型", "市级补贴（元）", "区级补贴（元）", "合计（元）", "状态",
                   "申请时间", "支付凭证号", "政策依据"]


def _subsidy_rows(qs):
    for s in qs:
        yield [s.canteen.name, s.canteen.region.name, s.get_canteen_type_display(), _yuan(s.city_fen),
               _yuan(s.district_fen), _yuan(s.total_fen), s.get_status_display(),
               f"{clock.local_date(s.applied_at):%Y-%m-%d}", s.payment_reference, s.policy_ref]


@requires("funds", "view")
def subsidy_list(request):
    status = request.GET.get("status", "")
    qs = selectors.subsidy_list(user=request.user, status=status)
    page, query = paginate(request, qs)
    return render(request, "funds/subsidy_list.html", {
        "page": page, "query": query, "status": status, "statuses": SubsidyStatus.choices,
        "total_fen": sum(s.total_fen for s in qs), "can_apply": has_perm(request.user, "funds", "apply"),
        "pdf": _table_pdf() is not None,
    })


@requires("funds", "view")
def subsidy_export(request):
    qs = selectors.subsidy_list(user=request.user, status=request.GET.get("status", ""))
    rows = list(_subsidy_rows(qs))
    rows.append(["合计", "", "", sum(r[3] for r in rows), sum(r[4] for r in rows), sum(r[5] for r in rows),
                 "", "", "", ""])
    content = xlsx_bytes(sheet="建设补贴", headers=SUBSIDY_HEADERS, rows=rows)
    audit_export(actor=request.user, what="funds.subsidy", filters=request.GET, rows=len(rows) - 1,
                 ip=client_ip(request))
    return xlsx_response(f"建设补贴-{clock.local_today():%Y%m%d}.xlsx", content)


def _pdf_response(filename: str, content: bytes) -> HttpResponse:
    from urllib.parse import quote

    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


@requires("funds", "view")
def subsidy_export_pdf(request):
    table_pdf = _table_pdf()
    if table_pdf is None:
        messages.error(request, "PDF 导出暂不可用，请导出 Excel")
        return redirect("funds:subsidy_list")
    qs = selectors.subsidy_list(user=request.user, status=request.GET.get("status", ""))
    rows = [[s.canteen.name, s.canteen.region.name, s.get_canteen_type_display(), s.city_fen, s.district_fen,
             s.total_fen, s.get_status_display(), f"{clock.local_date(s.applied_at):%Y-%m-%d}", s.payment_reference]
            for s in qs]
    totals = ["合计", "", "", sum(r[3] for r in rows), sum(r[4] for r in rows), sum(r[5] for r in rows), "", "", ""]
    content = table_pdf(title="建设补贴", subtitle=f"导出日期 {clock.local_today():%Y-%m-%d}",
                        headers=SUBSIDY_HEADERS[:9], rows=rows, money_columns=[3, 4, 5], totals=totals,
                        notes=["金额依据本市政策文件（聊城：四（一）建设补贴）按建设类型确定。"])
    audit_export(actor=request.user, what="funds.subsidy", filters=request.GET, rows=len(rows),
                 ip=client_ip(request))
    return _pdf_response(f"建设补贴-{clock.local_today():%Y%m%d}.pdf", content)


@requires("funds", "apply")
def subsidy_apply(request):
    canteens = selectors.canteens_for_apply(user=request.user)
    form = SubsidyApplyForm(request.POST or None, request.FILES or None, canteens=canteens)
    if request.method == "POST" and form.is_valid():
        try:
            subsidy = services.subsidy_apply(
                actor=request.user, canteen_id=form.cleaned_data["canteen"].pk,
                evidence_note=form.cleaned_data["evidence_note"], documents=form.document_list(),
                files=form.cleaned_data["files"], ip=client_ip(request))
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已提交建设补贴申请：{subsidy.canteen.name}")
            return redirect("funds:subsidy_detail", subsidy_id=subsidy.pk)
    return render(request, "funds/subsidy_apply.html", {"form": form})


@requires("funds", "view")
def subsidy_detail(request, subsidy_id: int):
    subsidy = selectors.subsidy_get(user=request.user, subsidy_id=subsidy_id)
    user = request.user
    return render(request, "funds/subsidy_detail.html", {
        "s": subsidy, "evidence": selectors.subsidy_evidence(subsidy=subsidy),
        "can_review": has_perm(user, "funds", "review") and subsidy.status == SubsidyStatus.APPLIED,
        "can_approve": has_perm(user, "funds", "approve") and subsidy.status == SubsidyStatus.DISTRICT_REVIEWED,
        "can_pay": has_perm(user, "funds", "approve") and subsidy.status == SubsidyStatus.CITY_APPROVED,
        "can_resubmit": has_perm(user, "funds", "apply") and subsidy.status == SubsidyStatus.RETURNED,
        "decision_form": DecisionForm(), "payment_form": PaymentForm(),
    })


def _decision(request, subsidy_id: int, service):
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择审核结果")
    else:
        try:
            service(actor=request.user, subsidy_id=subsidy_id, approve=form.cleaned_data["decision"] == "approve",
                    reason=form.cleaned_data["reason"], ip=client_ip(request))
        except DomainError as exc:
            if exc.http_status == 404:
                raise
            messages.error(request, exc.message_zh)
        else:
            messages.success(request, "已处理")
    return redirect("funds:subsidy_detail", subsidy_id=subsidy_id)


@require_POST
@requires("funds", "review")
def subsidy_review(request, subsidy_id: int):
    return _decision(request, subsidy_id, services.subsidy_review)


@require_POST
@requires("funds", "approve")
def subsidy_approve(request, subsidy_id: int):
    return _decision(request, subsidy_id, services.subsidy_approve)


@require_POST
@requires("funds", "approve")
def subsidy_pay(request, subsidy_id: int):
    try:
        services.subsidy_mark_paid(actor=request.user, subsidy_id=subsidy_id,
                                   reference=request.POST.get("reference", ""), ip=client_ip(request))
    except DomainError as exc:
        if exc.http_status == 404:
            raise
        messages.error(request, exc.message_zh)
    else:
        messages.success(request, "已登记拨付")
    return redirect("funds:subsidy_detail", subsidy_id=subsidy_id)


@requires("funds", "view")
def evidence_download(request, evidence_id: int):
    evidence = selectors.evidence_get(user=request.user, evidence_id=evidence_id)
    if not evidence.content:
        messages.error(request, "该材料只登记了文号，没有上传文件")
        return redirect("funds:subsidy_detail", subsidy_id=evidence.subsidy_id)
    return _download(evidence)


def _download(evidence) -> HttpResponse:
    from urllib.parse import quote

    response = HttpResponse(bytes(evidence.content), content_type=evidence.content_type or "application/octet-stream")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(evidence.file_name)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ---- LC-1 target ----------------------------------------------------------------------------------

@requires("funds", "view")
def target_progress(request):
    return render(request, "funds/targets.html", {"targets": selectors.target_progress(user=request.user)})


# ---- evaluations ----------------------------------------------------------------------------------

@requires("funds", "view")
def evaluation_list(request):
    """The published assessment results of the year (read only: the district scores and publishes
    them in the assessment console; the operating reward reads them)."""
    year = _year(request)
    return render(request, "funds/evaluations.html", {
        "year": year, "evaluations": selectors.evaluation_list(user=request.user, year=year),
    })


# ---- operating rewards ----------------------------------------------------------------------------

REWARD_HEADERS = ["助餐点", "所在辖区", "城乡类别", "年度", "年度就餐人次", "达到档次（人次）", "运营满一年",
                  "评估合格", "市级奖补（元）", "区级奖补（元）", "合计（元）", "状态", "不符合原因", "支付凭证号"]


def _reward_rows(qs):
    for r in qs:
        yield [r.canteen.name, r.canteen.region.name, "农村" if r.area == "rural" else "城区", r.year, r.meal_count,
               r.tier_min_meals or "", "是" if r.full_year else "否", "是" if r.evaluation_passed else "否",
               _yuan(r.city_fen), _yuan(r.district_fen), _yuan(r.total_fen), r.get_status_display(),
               "、".join(r.reasons_zh), r.payment_reference]


@requires("funds", "view")
def reward_list(request):
    year = _year(request)
    qs = selectors.reward_list(user=request.user, year=year, status=request.GET.get("status", ""))
    user = request.user
    return render(request, "funds/rewards.html", {
        "year": year, "rewards": qs, "statuses": RewardStatus.choices, "status": request.GET.get("status", ""),
        "total_fen": sum(r.total_fen for r in qs),
        "can_compute": has_perm(user, "funds", "review") or has_perm(user, "funds", "approve"),
        "can_approve": has_perm(user, "funds", "approve"), "year_form": YearForm(initial={"year": year}),
        "pdf": _table_pdf() is not None,
    })


@require_POST
@requires("funds", "view")
def reward_compute(request):
    form = YearForm(request.POST)
    year = _year(request)
    if form.is_valid():
        year = form.cleaned_data["year"]
        try:
            run = services.rewards_compute(actor=request.user, year=year, ip=client_ip(request))
        except DomainError as exc:
            if exc.http_status in (403, 404):
                return render(request, "console/denied.html", status=403)
            messages.error(request, exc.message_zh)
        else:
            messages.success(request, f"{year} 年度测算完成：拟奖补 {len(run.proposed)} 处，不符合条件 "
                                      f"{len(run.ineligible)} 处，已审批未重算 {len(run.locked)} 处")
    else:
        messages.error(request, "请填写正确的年度")
    return redirect(f"{reverse('funds:rewards')}?year={year}")


@requires("funds", "view")
def reward_export(request):
    year = _year(request)
    rows = list(_reward_rows(selectors.reward_list(user=request.user, year=year,
                                                   status=request.GET.get("status", ""))))
    rows.append(["合计", "", "", "", sum(r[4] for r in rows), "", "", "", sum(r[8] for r in rows),
                 sum(r[9] for r in rows), sum(r[10] for r in rows), "", "", ""])
    content = xlsx_bytes(sheet=f"{year}年度运营奖补", headers=REWARD_HEADERS, rows=rows)
    audit_export(actor=request.user, what="funds.reward", filters={**request.GET.dict(), "year": year},
                 rows=len(rows) - 1, ip=client_ip(request))
    return xlsx_response(f"运营奖补-{year}.xlsx", content)


@requires("funds", "view")
def reward_export_pdf(request):
    table_pdf = _table_pdf()
    year = _year(request)
    if table_pdf is None:
        messages.error(request, "PDF 导出暂不可用，请导出 Excel")
        return redirect(f"{reverse('funds:rewards')}?year={year}")
    rows = [[r.canteen.name, r.canteen.region.name, "农村" if r.area == "rural" else "城区", r.year, r.meal_count,
             r.tier_min_meals or "", "是" if r.full_year else "否", "是" if r.evaluation_passed else "否", r.city_fen,
             r.district_fen, r.total_fen, r.get_status_display(), "、".join(r.reasons_zh)]
            for r in selectors.reward_list(user=request.user, year=year)]
    totals = ["合计", "", "", "", sum(r[4] for r in rows), "", "", "", sum(r[8] for r in rows),
              sum(r[9] for r in rows), sum(r[10] for r in rows), "", ""]
    content = table_pdf(title=f"{year} 年度运营奖补",
                        subtitle="运营满一年（开业不晚于当年1月1日）、评估合格、人次达档",
                        headers=REWARD_HEADERS[:13], rows=rows, money_columns=[8, 9, 10], totals=totals)
    audit_export(actor=request.user, what="funds.reward", filters={**request.GET.dict(), "year": year},
                 rows=len(rows), ip=client_ip(request))
    return _pdf_response(f"运营奖补-{year}.pdf", content)


def _reward_action(request, reward_id: int, call, done: str):
    try:
        reward = call()
    except DomainError as exc:
        if exc.http_status == 404:
            raise
        messages.error(request, exc.message_zh)
        return redirect("funds:rewards")
    messages.success(request, done)
    return redirect(f"{reverse('funds:rewards')}?year={reward.year}")


@require_POST
@requires("funds", "approve")
def reward_approve(request, reward_id: int):
    return _reward_action(request, reward_id, lambda: services.reward_approve(
        actor=request.user, reward_id=reward_id, ip=client_ip(request)), "已批准")


@require_POST
@requires("funds", "approve")
def reward_pay(request, reward_id: int):
    return _reward_action(request, reward_id, lambda: services.reward_mark_paid(
        actor=request.user, reward_id=reward_id, reference=request.POST.get("reference", ""),
        ip=client_ip(request)), "已登记拨付")
