"""A WSGI handler for API v1 with only the middleware a signed, cookieless request needs.

The console's chain (sessions, CSRF, auth, messages, locale, WhiteNoise, common) runs on every
request; for `/api/v1/` none of it applies (Ninja authenticates by signature, answers JSON in both
languages, and is CSRF-exempt), so API requests skip it. Security headers are kept. The routes
without path parameters are resolved once per process.
"""

from __future__ import annotations

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.urls import ResolverMatch

API_PREFIX = "/api/v1/"
API_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]


class ApiWSGIHandler(WSGIHandler):
    # path -> its resolver match, for the API's routes without path parameters (quote, commit, …):
    # the same match the URL resolver gives, found without walking the patterns on every call.
    _exact: dict[str, ResolverMatch]

    def resolve_request(self, request) -> ResolverMatch:
        if hasattr(request, "urlconf"):  # a per-request urlconf (none of ours sets one): no shortcut
            return super().resolve_request(request)
        match = self._exact.get(request.path_info)
        if match is None:
            match = super().resolve_request(request)
            if not match.args and not match.kwargs and match.url_name != "api-not-found" and len(self._exact) < 256:
                self._exact[request.path_info] = match
            return match
        request.resolver_match = match
        return match

    def load_middleware(self, is_async: bool = False) -> None:
        self._exact = {}
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = [m for m in API_MIDDLEWARE if m in full]  # read once, at start-up
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full


def dispatch_api(console_app):
    """The application: /api/v1/… to the lean handler, everything else to `console_app`."""
    api_app = ApiWSGIHandler()

    def application(environ, start_response):
        if environ.get("PATH_INFO", "").startswith(API_PREFIX):
            return api_app(environ, start_response)
        return console_app(environ, start_response)

    application.api_handler = api_app
    return application
