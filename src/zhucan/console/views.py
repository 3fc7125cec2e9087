"""Console home (each role's landing page), the workbench and the audit log."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from zhucan.accounts.gate import requires
from zhucan.accounts.permissions import has_perm
from zhucan.accounts.scoping import restrict
from zhucan.canteens.models import Canteen
from zhucan.console import selectors
from zhucan.console.landing import landing_url
from zhucan.core.audit_actions import group_choices
from zhucan.core.auditread import readable
from zhucan.core.http import paginate
from zhucan.elders.models import Elder, Verification


@login_required
def home(request):
    """`/`: each role lands on the page it uses most; the workbench when that is this page."""
    target = landing_url(request.user)
    if target is not None:
        return redirect(target)
    return workbench(request)


@login_required
def workbench(request):
    user = request.user
    stats = {}
    if has_perm(user, "elder", "view"):
        elders = restrict(Elder.objects.all(), user)
        stats["elders"] = elders.count()
        stats["pending"] = elders.filter(verification=Verification.PENDING).count()
    if has_perm(user, "canteen", "view"):
        stats["canteens"] = restrict(Canteen.objects.all(), user).count()
    return render(request, "console/home.html", {"stats": stats})


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value and value.strip() else None
    except ValueError:
        return None


@requires("audit", "view")
def audit_list(request):
    get = request.GET
    filters = selectors.AuditFilter(who=get.get("who", "").strip()[:64], group=get.get("group", ""),
                                    object_type=get.get("type", "")[:64], date_from=_date(get.get("from", "")),
                                    date_to=_date(get.get("to", "")))
    qs = selectors.audit_list(user=request.user, filters=filters)
    page, query = paginate(request, qs)
    return render(request, "console/audit_list.html", {
        "page": page, "records": readable(page.object_list), "query": query, "filters": filters,
        "groups": group_choices(), "object_types": selectors.audit_object_types(),
        "bad_dates": bool((get.get("from") and not filters.date_from) or (get.get("to") and not filters.date_to)),
    })
