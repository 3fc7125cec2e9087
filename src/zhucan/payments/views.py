"""Online payment: the provider's callback (no login: it is verified by signature) and the
reconciliation page for the district and the canteen."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from zhucan.accounts.gate import requires
from zhucan.accounts.models import CANTEEN_ROLES
from zhucan.core.errors import DomainError
from zhucan.core.sealed import mask_name
from zhucan.payments import selectors, services


@csrf_exempt
@require_POST
def wechat_notify(request: HttpRequest) -> HttpResponse:
    """WeChat Pay's notify URL: 204 when handled, else the stable code (WeChat retries non-2xx)."""
    try:
        services.payment_notify(headers=dict(request.headers), body=request.body)
    except DomainError as err:
        return JsonResponse({"code": err.code, "message": err.message_zh}, status=err.http_status)
    return HttpResponse(status=204)


@requires("payment", "view")
def reconciliation(request: HttpRequest) -> HttpResponse:
    items = list(selectors.mismatches(user=request.user))
    payments = list(selectors.payments(user=request.user))
    for row in items:
        row.elder_masked = mask_name(row.payment.order.elder.name) if row.payment else ""
    for row in payments:
        row.elder_masked = mask_name(row.order.elder.name)
    # Officials see the day's totals; canteen staff only their own rows.
    runs = selectors.recent_runs() if request.user.role not in CANTEEN_ROLES else []
    return render(request, "payments/reconciliation.html", {"items": items, "runs": runs, "payments": payments})
