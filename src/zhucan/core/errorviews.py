"""Chinese error pages instead of Django's defaults (the demo and production run with DEBUG off)."""

from django.shortcuts import render


def bad_request(request, exception=None):
    return render(request, "console/bad_request.html", status=400)


def forbidden(request, exception=None):
    return render(request, "console/denied.html", status=403)


def not_found(request, exception=None):
    return render(request, "console/not_found.html", status=404)


def server_error(request):
    # No context processors, no database: the page must render whatever broke.
    from django.http import HttpResponseServerError
    from django.template import loader

    return HttpResponseServerError(loader.get_template("console/server_error.html").render())
