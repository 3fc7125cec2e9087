"""The console's guard against text the database cannot store (see core/text.py): a query
parameter or form field holding a NUL would otherwise reach a filter or a save and answer 500.
Django's form CharField refuses NUL, but many views read `request.GET` directly and not every
field is a CharField, so the guard stands in front of every console view. API v1 answers its own
JSON error (TEXT_NOT_STORABLE) and is left to it.
"""

from __future__ import annotations

from django.shortcuts import render

from zhucan.core import text

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class StorableTextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith("/api/") and not self._storable(request):
            return render(request, "console/bad_input.html", status=400)
        return self.get_response(request)

    @staticmethod
    def _storable(request) -> bool:
        # Django decodes form and query data with errors="replace", so only NUL can arrive here;
        # file contents are checked by the importers that read them, file names here.
        if request.META.get("QUERY_STRING") and any(text.unstorable_paths(dict(request.GET.lists()))):
            return False
        if request.method == "POST" and request.content_type in _FORM_TYPES:
            if any(text.unstorable_paths(dict(request.POST.lists()))):
                return False
            if any(not text.is_storable(f.name or "") for f in request.FILES.values()):
                return False
        return True
