"""The platform's URLs plus stand-in pages for the menu entries of apps built on other branches
(dashboard, alerts, evaluation, assessment, inspections, video), so the navigation can be measured
with every entry it will have. Entries that already exist keep their real page."""

from django.shortcuts import render
from django.urls import NoReverseMatch, include, path, reverse

from config.urls import handler403, handler404, handler500  # noqa: F401
from config.urls import urlpatterns as platform

PLANNED = [("analytics", "dashboard", "dashboard/"), ("alerts", "list", "alerts/"),
           ("evaluation", "index", "evaluation/"), ("assessment", "index", "assessment/"),
           ("inspections", "index", "inspections/"), ("video", "wall", "video/")]


def _page(request):
    return render(request, "console/home.html", {"stats": {}})


def _missing(namespace: str, name: str) -> bool:
    try:
        reverse(f"{namespace}:{name}", urlconf="config.urls")
    except NoReverseMatch:
        return True
    return False


urlpatterns = [*platform]
for namespace, name, prefix in PLANNED:
    if _missing(namespace, name):
        urlpatterns.append(path(prefix, include(([path("", _page, name=name)], namespace))))
