"""The elder phone page (H5): thin views over the services and selectors.

Only elders bound to the logged-in account are reachable; any other id answers 404 exactly like
an id that does not exist. Every answer is personal: never cached.
"""

from __future__ import annotations

import base64

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhucan.core.errors import DomainError, NotFound
from zhucan.core.http import client_ip
from zhucan.elderphone import selectors, services, sms
from zhucan.elderphone.phones import name_mask, phone_mask, phone_normalise
from zhucan.elderphone.session import h5_account, h5_login, h5_login_required, h5_logout
from zhucan.identity import qr, tokens
from zhucan.identity.models import QrUse
from zhucan.identity.services import elder_qr_issue

QR_SCALE = 8  # pixels per module in the PNG; the page scales it to the screen's width
REFRESH_BEFORE_SECONDS = 8  # the page fetches a fresh code this long before expiry


def _status(exc: DomainError) -> int:
    return exc.http_status if exc.http_status in (400, 401, 409, 429) else 400


def _not_found(request):
    return render(request, "elderphone/h5/not_found.html", status=404)


def _code(elder) -> dict:
    """A fresh single-use code for the elder: token, PNG as a data URI, seconds to live."""
    token, expires_at = elder_qr_issue(elder=elder)
    claims = tokens.parse(token)[0]
    png = base64.b64encode(qr.render_png(token, scale=QR_SCALE)).decode("ascii")
    lifetime = int((expires_at - claims.issued_at).total_seconds())
    return {"token": token, "png": f"data:image/png;base64,{png}", "expires_at": expires_at.isoformat(),
            "expires_in": lifetime, "refresh_in": max(5, lifetime - REFRESH_BEFORE_SECONDS),
            "n": claims.nonce_hash, "name": name_mask(elder.name)}


@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request):
    if h5_account(request) is not None:
        return redirect("h5:home")
    error, phone, status = None, request.GET.get("phone", ""), 200
    if request.method == "POST":
        phone = request.POST.get("phone", "")
        try:
            account = services.account_login(phone=phone, password=request.POST.get("password", ""),
                                              ip=client_ip(request))
        except DomainError as exc:
            error, status = exc, _status(exc)
        else:
            h5_login(request, account)
            return redirect("h5:home")
    return render(request, "elderphone/h5/login.html", {"error": error, "phone": phone}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def password_view(request):
    """首次登录/忘记密码: step 1 the phone number (a code is sent), step 2 the code and the new
    password twice. Success logs the person in."""
    phone = request.POST.get("phone", request.GET.get("phone", "")).strip()
    step, error, sent_to, status = "phone", None, "", 200
    if request.method == "POST":
        action = request.POST.get("action", "send")
        if action == "send":
            try:
                sent_to = services.sms_code_send(phone=phone, ip=client_ip(request))
                step = "code"
            except DomainError as exc:
                error, status = exc, _status(exc)
                step = "code" if exc.code in ("SMS_TOO_FREQUENT",) and request.POST.get("resend") else "phone"
        else:
            step = "code"
            try:
                account = services.password_set_with_code(
                    phone=phone, code=request.POST.get("code", ""), password=request.POST.get("password", ""),
                    password2=request.POST.get("password2", ""), ip=client_ip(request))
            except DomainError as exc:
                error, status = exc, _status(exc)
                if exc.code == "PHONE_INVALID":
                    step = "phone"
            else:
                h5_login(request, account)
                return redirect("h5:home")
    dev_code = ""
    if step == "code" and settings.DEBUG and sms.backend_is_console():
        try:
            dev_code = sms.last_code(phone_normalise(phone)) or ""
        except DomainError:
            dev_code = ""
    return render(request, "elderphone/h5/password.html", {
        "step": step, "phone": phone, "error": error, "sent_to": sent_to or (phone_mask(phone) if phone else ""),
        "dev_code": dev_code}, status=status)


@require_POST
def logout_view(request):
    h5_logout(request)
    return redirect("h5:login")


@never_cache
@h5_login_required
def home(request):
    bindings = selectors.account_bindings(account=request.h5_account)
    if len(bindings) == 1:
        return redirect("h5:elder", elder_id=bindings[0].elder_id)
    return render(request, "elderphone/h5/home.html", {
        "account": request.h5_account,
        "choices": [{"binding": b, "name": b.elder.name} for b in bindings]})


@never_cache
@h5_login_required
def elder_page(request, elder_id: int):
    try:
        elder, binding = selectors.account_elder(account=request.h5_account, elder_id=elder_id)
    except NotFound:
        return _not_found(request)
    family = selectors.elder_family(elder=elder)
    return render(request, "elderphone/h5/elder.html", {
        "account": request.h5_account, "elder": elder, "binding": binding,
        "masked_name": name_mask(elder.name), "code": _code(elder),
        "allowance": selectors.allowance_today(elder=elder),
        "meals": selectors.recent_meals(elder=elder), "recent_days": selectors.RECENT_DAYS,
        "family": [{"binding": b, "me": b.account_id == request.h5_account.pk} for b in family],
        "several": len(selectors.account_bindings(account=request.h5_account)) > 1,
    })


def _json(body: dict, status: int = 200) -> JsonResponse:
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@h5_login_required(json=True)
def code_json(request, elder_id: int):
    """A fresh elder code for the page to show: {token, png (data URI), expires_at, expires_in,
    refresh_in, n (the code's single-use key, for code_status), name (masked)}."""
    try:
        elder, _binding = selectors.account_elder(account=request.h5_account, elder_id=elder_id)
    except NotFound as exc:
        return _json(exc.as_dict(), status=404)
    return _json(_code(elder))


@require_GET
@h5_login_required(json=True)
def code_status(request, elder_id: int):
    """Has the code shown (named by its `n`) been used at a counter? Then the page refreshes."""
    try:
        elder, _binding = selectors.account_elder(account=request.h5_account, elder_id=elder_id)
    except NotFound as exc:
        return _json(exc.as_dict(), status=404)
    nonce_hash = request.GET.get("n", "")[:64]
    use = QrUse.objects.filter(nonce_hash=nonce_hash, elder=elder).select_related("canteen").first()
    return _json({"used": use is not None, "canteen": use.canteen.name if use else None})
