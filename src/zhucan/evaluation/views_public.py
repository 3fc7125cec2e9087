"""Complaints and suggestions without an account (no login): the form under a designated canteen's
public page (/public/canteens/<id>/complaint/, a contact number required) and the lookup of a case
by its receipt code and that number (/public/complaints/). Never cached: each answer is personal."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from zhucan.canteens.models import Canteen
from zhucan.core.errors import DomainError, NotFound
from zhucan.core.http import client_ip
from zhucan.evaluation import services
from zhucan.evaluation.models import ComplaintKind
from zhucan.filing import public


@never_cache
@require_http_methods(["GET", "POST"])
def complaint_form(request, canteen_id: int):
    try:
        record = public.canteen_record(canteen_id=canteen_id)
    except NotFound as exc:
        raise Http404("该助餐点不在定点名单中") from exc
    form = {"kind": "", "text": "", "contact_phone": "", "contact_name": ""}
    error, status = None, 200
    if request.method == "POST":
        form = {k: request.POST.get(k, "") for k in form}
        try:
            complaint = services.complaint_submit(
                channel="public", canteen=Canteen.objects.select_related("region").get(pk=record["id"]),
                kind=form["kind"], text=form["text"], contact_phone=form["contact_phone"],
                contact_name=form["contact_name"], ip=client_ip(request))
        except DomainError as exc:
            error, status = exc, 400
        else:
            return render(request, "evaluation/public/received.html", {"c": record, "complaint": complaint})
    return render(request, "evaluation/public/complaint.html", {
        "c": record, "form": form, "error": error, "kinds": ComplaintKind.choices}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def complaint_lookup(request):
    complaint, error, status = None, None, 200
    code = request.POST.get("code", request.GET.get("code", ""))
    if request.method == "POST":
        try:
            complaint = services.complaint_lookup(code=code, phone=request.POST.get("phone", ""))
        except DomainError as exc:
            error, status = exc, 404
    return render(request, "evaluation/public/lookup.html", {"complaint": complaint, "error": error, "code": code},
                  status=status)
