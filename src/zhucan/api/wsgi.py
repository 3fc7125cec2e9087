"""A WSGI handler for API v1 with only the middleware a signed, cookieless request needs.

The console's chain (sessions, CSRF, auth, messages, locale, WhiteNoise, common) runs on every
request; for `/api/v1/` none of it applies (Ninja authenticates by signature, answers JSON in both
languages, and is CSRF-exempt), so API requests skip it. Security headers are kept.
"""

from __future__ import annotations

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler

API_PREFIX = "/api/v1/"
API_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]


class ApiWSGIHandler(WSGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
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

    return application
