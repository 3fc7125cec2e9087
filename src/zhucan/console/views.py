"""Console home and the audit log."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from zhucan.accounts.gate import requires
from zhucan.accounts.permissions import has_perm
from zhucan.accounts.scoping import restrict
from zhucan.canteens.models import Canteen
from zhucan.core.http import paginate
from zhucan.core.models import AuditLog
from zhucan.elders.models import Elder, Verification


@login_required
def home(request):
    user = request.user
    stats = {}
    if has_perm(user, "elder", "view"):
        elders = restrict(Elder.objects.all(), user)
        stats["elders"] = elders.count()
        stats["pending"] = elders.filter(verification=Verification.PENDING).count()
    if has_perm(user, "canteen", "view"):
        stats["canteens"] = restrict(Canteen.objects.all(), user).count()
    return render(request, "console/home.html", {"stats": stats})


@requires("audit", "view")
def audit_list(request):
    qs = restrict(AuditLog.objects.all(), request.user)
    action = request.GET.get("action", "").strip()
    if action:
        qs = qs.filter(action__startswith=action)
    page, query = paginate(request, qs)
    return render(request, "console/audit_list.html", {"page": page, "query": query, "action": action})
