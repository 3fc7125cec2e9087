"""The permission gate of console views: login first, then the role check of `permissions`."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from zhucan.accounts.permissions import has_perm
from zhucan.core.errors import NotFound


def requires(resource: str, action: str):
    """Login, then the role check; a refused role sees a Chinese 403 page and nothing changes."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            if not has_perm(request.user, resource, action):
                return render(request, "console/denied.html", status=403)
            try:
                return view(request, *args, **kwargs)
            except NotFound as exc:
                return render(request, "console/not_found.html", {"error": exc}, status=404)

        return wrapper

    return decorator
