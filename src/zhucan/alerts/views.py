"""The alerts console (预警): the list with filters, an alert's page with its facts, meals, snapshot
and history, the district's assign / investigate / close forms, the on-demand detection, the city's
rule thresholds and the export. Thin: validate, call a service or selector, render."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhucan.accounts.gate import requires
from zhucan.accounts.permissions import has_perm
from zhucan.alerts import rules, selectors, services
from zhucan.alerts.models import OPEN_STATUSES, AlertStatus
from zhucan.core import clock
from zhucan.core.errors import DomainError, NotFound
from zhucan.core.http import paginate, run_service
from zhucan.core.money import MoneyError, fen_to_yuan, parse_yuan
from zhucan.core.xlsx import xlsx_response


@requires("alert", "view")
def alert_list(request):
    user = request.user
    filters = selectors.filters_from(request.GET)
    qs = selectors.alert_list(user=user, filters=filters)
    page, query = paginate(request, qs)
    return render(request, "alerts/list.html", {
        "page": page, "query": query, "filters": filters, "total": qs.count(),
        "rules": selectors.rule_choices(), "statuses": list(selectors.FILTER_STATUSES.items()),
        "districts": selectors.districts(user=user),
        "open_count": selectors.alerts_for(user).filter(status__in=OPEN_STATUSES).count(),
        "can_export": has_perm(user, "alert", "export"), "can_detect": has_perm(user, "alert", "detect"),
        "can_configure": has_perm(user, "alert", "configure"),
        "yesterday": clock.local_today() - timedelta(days=1),
    })


@requires("alert", "export")
def alert_export(request):
    content = services.alerts_export(actor=request.user, filters=selectors.filters_from(request.GET))
    return xlsx_response(f"预警-{clock.local_today():%Y%m%d}.xlsx", content)


@requires("alert", "view")
def alert_detail(request, alert_id: int):
    user = request.user
    alert = selectors.alert_get(user=user, alert_id=alert_id)
    can_handle = has_perm(user, "alert", "handle") and selectors.alerts_for(user, "handle").filter(
        pk=alert.pk).exists()
    meals = selectors.alert_meals(alert)
    return render(request, "alerts/detail.html", {
        "alert": alert, "rule_title": rules.rule_title(alert.rule), "meals": meals,
        "meal_benefit": sum(m.benefit_fen for m in meals), "history": selectors.alert_history(alert),
        "can_handle": can_handle, "is_open": alert.status in OPEN_STATUSES,
        "can_assign": can_handle and alert.status in (AlertStatus.OPEN, AlertStatus.ASSIGNED),
        "can_investigate": can_handle and alert.status == AlertStatus.ASSIGNED,
        "can_close": can_handle and alert.status in (AlertStatus.ASSIGNED, AlertStatus.INVESTIGATING),
        "assignees": services.assignable_users(alert) if can_handle else [],
        "recoverable": fen_to_yuan(services.recoverable_fen(alert, user)) if can_handle else None,
    })


@requires("alert", "view")
def alert_snapshot(request, alert_id: int):
    alert = selectors.alert_get(user=request.user, alert_id=alert_id)
    if not alert.snapshot:
        raise NotFound("抓拍图片", "snapshot")
    response = HttpResponse(bytes(alert.snapshot), content_type=alert.snapshot_content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@requires("alert", "handle")
def alert_assign(request, alert_id: int):
    raw = request.POST.get("assignee", "")
    run_service(request, lambda: services.alert_assign(actor=request.user, alert_id=alert_id,
                                                       assignee_id=int(raw) if raw.isdigit() else 0,
                                                       note=request.POST.get("note", "")),
                _("已指派处理人"))
    return redirect("alerts:detail", alert_id=alert_id)


@require_POST
@requires("alert", "handle")
def alert_investigate(request, alert_id: int):
    run_service(request, lambda: services.alert_investigate(actor=request.user, alert_id=alert_id,
                                                            note=request.POST.get("note", "")),
                _("已开始核查"))
    return redirect("alerts:detail", alert_id=alert_id)


@require_POST
@requires("alert", "handle")
def alert_close(request, alert_id: int):
    outcome = request.POST.get("outcome", "")
    if outcome not in ("confirmed", "dismissed"):
        messages.error(request, _("请选择核实结论：确认属实或排除"))
        return redirect("alerts:detail", alert_id=alert_id)
    raw = request.POST.get("recovery", "").strip()
    recovery = None
    if outcome == "confirmed" and raw:
        try:
            recovery = parse_yuan(raw)
        except MoneyError:
            messages.error(request, _("追回金额应为元，最多两位小数，例如 12.50"))
            return redirect("alerts:detail", alert_id=alert_id)
    label = _("已确认属实，补贴将在结算中追回") if outcome == "confirmed" else _("已排除该预警")
    run_service(request, lambda: services.alert_close(actor=request.user, alert_id=alert_id,
                                                      confirmed=outcome == "confirmed",
                                                      reason=request.POST.get("reason", ""), recovery_fen=recovery),
                label)
    return redirect("alerts:detail", alert_id=alert_id)


@require_POST
@requires("alert", "detect")
def detect(request):
    try:
        day = date.fromisoformat(request.POST.get("day", "").strip())
    except ValueError:
        messages.error(request, _("请选择要检测的日期"))
        return redirect("alerts:list")
    try:
        result = services.detect_now(actor=request.user, day=day)
    except DomainError as exc:
        messages.error(request, exc.message_zh)
        return redirect("alerts:list")
    messages.success(request, _("已检测%(day)s：新增预警%(raised)d条，已有%(seen)d条") % {
        "day": f"{day:%Y-%m-%d}", "raised": result.raised, "seen": result.seen})
    for code in result.errors:
        messages.error(request, _("“%(rule)s”检测未完成，请联系运维人员") % {"rule": rules.rule_title(code)})
    return redirect("alerts:list")


@requires("alert", "configure")
def rule_settings(request):
    if request.method == "POST":
        code = request.POST.get("code", "")
        rule = rules.get_rule(code)
        if rule is None:
            raise NotFound("预警规则", "alert rule")
        params = {key: request.POST.get(key, "") for key in rule.defaults}
        run_service(request, lambda: services.rule_configure(actor=request.user, code=code, params=params,
                                                             enabled=request.POST.get("enabled") == "on"),
                    _("已保存“%(rule)s”的阈值") % {"rule": rules.rule_title(code)})
        return redirect(f"{request.path}#rule-{code.replace('.', '-')}")
    rows = []
    for code in sorted(rules.RULES, key=rules.rule_title):
        rule = rules.RULES[code]
        values = rules.params_for(code)
        rows.append({"code": code, "anchor": code.replace(".", "-"), "title": rules.rule_title(code),
                     "enabled": rules.enabled(code), "detects": rule.detector is not None,
                     "params": [{"key": k, "label": rule.params_help_zh.get(k, k), "value": values[k],
                                 "default": rule.defaults[k]} for k in rule.defaults]})
    return render(request, "alerts/rules.html", {"rows": rows})
