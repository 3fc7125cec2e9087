"""The elder's voice on the phone page (/h5/e/<elder>/…): rate a meal with big buttons, make a
complaint or suggestion and follow it. The phone page's own session (elderphone.session); only
elders bound to the account are reachable, any other id answers 404 like one that does not exist."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from zhucan.canteens.models import PeriodName
from zhucan.core.errors import DomainError, NotFound
from zhucan.core.http import client_ip
from zhucan.elderphone.phones import name_mask
from zhucan.elderphone.selectors import account_elder
from zhucan.elderphone.session import h5_login_required
from zhucan.evaluation import selectors, services
from zhucan.evaluation.models import ComplaintKind

STAR_WORDS = {1: "很差", 2: "较差", 3: "一般", 4: "满意", 5: "很满意"}


def _not_found(request):
    return render(request, "elderphone/h5/not_found.html", status=404)


def _elder(request, elder_id: int):
    elder, _binding = account_elder(account=request.h5_account, elder_id=elder_id)
    return elder


@never_cache
@h5_login_required
def meals(request, elder_id: int):
    try:
        elder = _elder(request, elder_id)
    except NotFound:
        return _not_found(request)
    rows = selectors.rateable_meals(elder=elder)
    return render(request, "evaluation/h5/meals.html", {
        "elder": elder, "masked_name": name_mask(elder.name), "rows": rows,
        "thanks": request.GET.get("rated", ""), "window": services.RATING_WINDOW_DAYS})


@never_cache
@h5_login_required
@require_http_methods(["GET", "POST"])
def rate(request, elder_id: int, meal_id: int):
    try:
        elder = _elder(request, elder_id)
    except NotFound:
        return _not_found(request)
    meal = selectors.elder_meal(elder=elder, meal_id=meal_id)
    if meal is None:
        return _not_found(request)
    if request.method == "GET" and hasattr(meal, "rating"):  # rated already: the list shows the rating
        return redirect(f"{reverse('h5eval:meals', args=[elder.pk])}#meal-{meal.pk}")
    error, status, values = None, 200, {}
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in ("taste", "portion", "hygiene", "service", "comment")}
        values["phrases"] = request.POST.getlist("phrases")
        try:
            services.rating_submit(account=request.h5_account, elder=elder, meal_id=meal.pk, values=values,
                                   ip=client_ip(request))
        except DomainError as exc:
            error, status = exc, (exc.http_status if exc.http_status in (400, 409) else 400)
        else:
            return redirect(f"{reverse('h5eval:meals', args=[elder.pk])}?rated={meal.pk}#meal-{meal.pk}")
    return render(request, "evaluation/h5/rate.html", {
        "elder": elder, "masked_name": name_mask(elder.name), "meal": meal, "error": error,
        "dimensions": [(name, services.DIMENSION_LABELS[name], str(values.get(name, ""))) for name in
                       ("taste", "portion", "hygiene", "service")],
        "stars": [(n, STAR_WORDS[n]) for n in range(1, 6)], "phrases": services.PHRASES,
        "chosen": values.get("phrases", []), "comment": values.get("comment", ""),
        "period": dict(PeriodName.choices).get(meal.period, ""),
    }, status=status)


@never_cache
@h5_login_required
@require_http_methods(["GET", "POST"])
def complaints(request, elder_id: int):
    """The elder's complaints and suggestions with their status, and the form for a new one (the
    canteen chosen among those the elder ate at; the account's number is the contact)."""
    try:
        elder = _elder(request, elder_id)
    except NotFound:
        return _not_found(request)
    canteens = selectors.elder_canteens(elder=elder)
    error, status, form = None, 200, {"kind": "", "text": "", "canteen": ""}
    if request.method == "POST":
        form = {k: request.POST.get(k, "") for k in form}
        canteen = next((c for c in canteens if str(c.pk) == form["canteen"]), None)
        try:
            complaint = services.complaint_submit(channel="phone", canteen=canteen, kind=form["kind"],
                                                  text=form["text"], elder=elder, account=request.h5_account,
                                                  ip=client_ip(request))
        except DomainError as exc:
            error, status = exc, 400
        else:
            return redirect(f"{request.path}?sent={complaint.code}")
    return render(request, "evaluation/h5/complaints.html", {
        "elder": elder, "masked_name": name_mask(elder.name), "rows": selectors.elder_complaints(elder=elder),
        "canteens": canteens, "kinds": ComplaintKind.choices, "form": form, "error": error,
        "sent": request.GET.get("sent", "")}, status=status)
