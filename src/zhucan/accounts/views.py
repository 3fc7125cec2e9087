"""Login (throttled) and user management."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhucan.accounts import services, throttle
from zhucan.accounts.forms import LoginForm, UserForm
from zhucan.accounts.gate import requires
from zhucan.accounts.models import User
from zhucan.accounts.permissions import has_perm
from zhucan.accounts.scoping import get_scoped, restrict
from zhucan.core import clock
from zhucan.core.audit import CountedRows, audit_export
from zhucan.core.errors import DomainError
from zhucan.core.http import add_domain_error, client_ip, paginate
from zhucan.core.xlsx import xlsx_bytes, xlsx_response


def login_view(request):
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        username, ip = form.cleaned_data["username"], client_ip(request)
        until = throttle.locked_until(username, ip)
        if until is not None:
            minutes = max(1, int((until - clock.now()).total_seconds() // 60) + 1)
            form.add_error(None, _("登录失败次数过多，账号已临时锁定，请 %(m)s 分钟后再试") % {"m": minutes})
            status = 429
        else:
            user = authenticate(request, username=username, password=form.cleaned_data["password"])
            if user is None:
                throttle.record_failure(username, ip)
                form.add_error(None, _("用户名或密码不正确"))
                status = 401
            else:
                throttle.record_success(username)
                login(request, user)
                target = request.GET.get("next", "")
                if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                    target = "/"
                return redirect(target or "/")
    return render(request, "accounts/login.html", {"form": form}, status=status)


@require_POST
def logout_view(request):
    logout(request)
    return redirect("accounts:login")


@requires("user", "view")
def user_list(request):
    qs = restrict(User.objects.select_related("region", "canteen"), request.user).order_by("username")
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(username__icontains=q) | qs.filter(display_name__icontains=q)
    page, query = paginate(request, qs)
    return render(request, "accounts/user_list.html", {
        "page": page, "query": query, "q": q, "can_create": has_perm(request.user, "user", "create"),
        "full_contact": has_perm(request.user, "user", "see_contact"),
    })


@requires("user", "export")
def user_export(request):
    """All users in the actor's jurisdiction as .xlsx. Phone numbers are whole only for the roles
    that manage users, masked for the others; the export's audit row says which."""
    qs = restrict(User.objects.select_related("region", "canteen"), request.user, "export").order_by("username")
    full_contact = has_perm(request.user, "user", "see_contact")
    rows = CountedRows([u.username, u.display_name, u.phone if full_contact else u.phone_masked,
                        u.get_role_display(), u.region.name if u.region else "", u.canteen.name if u.canteen else "",
                        "是" if u.is_active else "否"] for u in qs)
    content = xlsx_bytes(sheet="用户", headers=["用户名", "姓名", "联系电话", "角色", "所属辖区", "所属助餐点", "启用"],
                         rows=rows)
    audit_export(actor=request.user, what="user", filters={**request.GET.dict(), "full_contact": full_contact},
                 rows=rows.count, ip=client_ip(request))
    return xlsx_response(f"用户-{clock.local_today():%Y%m%d}.xlsx", content)


@requires("user", "create")
def user_create(request):
    form = UserForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            user = services.user_create(actor=request.user, username=d["username"], password=d["password"],
                                        role=d["role"], region=d.get("region"), canteen=d.get("canteen"),
                                        display_name=d["display_name"], phone=d["phone"], ip=client_ip(request))
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("已新建用户：%(name)s") % {"name": user.username})
            return redirect("accounts:user_list")
    return render(request, "accounts/user_form.html", {"form": form, "creating": True})


@requires("user", "change")
def user_edit(request, user_id: int):
    target = get_scoped(User.objects.all(), request.user, "change", pk=user_id, what_zh="用户", what_en="user")
    initial = {"username": target.username, "display_name": target.display_name, "phone": target.phone,
               "role": target.role, "region": target.region, "canteen": target.canteen,
               "is_active": target.is_active}
    form = UserForm(request.POST or None, initial=initial, actor=request.user, editing=True)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.user_update(actor=request.user, user_id=target.pk, role=d["role"], region=d.get("region"),
                                 canteen=d.get("canteen"), display_name=d["display_name"], phone=d["phone"],
                                 is_active=d["is_active"], ip=client_ip(request))
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("accounts:user_list")
    return render(request, "accounts/user_form.html", {"form": form, "creating": False, "target": target})
