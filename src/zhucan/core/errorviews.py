"""Chinese error pages instead of Django's defaults."""

from django.shortcuts import render


def forbidden(request, exception=None):
    return render(request, "console/denied.html", status=403)


def not_found(request, exception=None):
    return render(request, "console/not_found.html", status=404)


def server_error(request):
    return render(request, "console/server_error.html", status=500)
