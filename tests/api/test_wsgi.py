"""The production WSGI entry point sends /api/v1/ through a lean middleware chain (no sessions,
CSRF, locale, messages) and everything else through the console's full chain."""

from __future__ import annotations

import io
import json

from django.test.client import FakePayload


def _call(app, path: str, method: str = "GET", body: bytes = b"") -> tuple[str, dict, bytes]:
    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "testserver",
        "SERVER_PORT": "80", "wsgi.url_scheme": "http", "wsgi.input": FakePayload(body),
        "wsgi.errors": io.StringIO(), "CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": "application/json",
        "HTTP_HOST": "testserver",
    }
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, dict(headers)

    chunks = app(environ, start_response)
    data = b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    return seen["status"], seen["headers"], data


def test_api_requests_skip_the_console_middleware(db, settings):
    from config.wsgi import application

    settings.ALLOWED_HOSTS = ["testserver"]
    status, headers, data = _call(application, "/api/v1/meals/quote", "POST", b"{}")
    assert status.startswith("401")
    assert json.loads(data)["code"] == "SIGNATURE_MISSING"
    assert "Set-Cookie" not in headers and "Cookie" not in headers.get("Vary", "")
    assert headers.get("X-Frame-Options") == "DENY"  # security headers stay
    assert "Content-Language" not in headers  # no locale negotiation


def test_console_requests_keep_the_full_chain(db, settings):
    from config.wsgi import application

    settings.ALLOWED_HOSTS = ["testserver"]
    status, headers, _data = _call(application, "/accounts/login/")
    assert status.startswith("200")
    assert "csrftoken=" in headers.get("Set-Cookie", "")  # CSRF middleware ran
    assert headers.get("Content-Language") == "zh-hans"


def test_routes_without_parameters_are_resolved_once(db, settings):
    from django.urls import resolve

    from config.wsgi import application

    settings.ALLOWED_HOSTS = ["testserver"]
    handler = application.api_handler
    handler._exact.clear()
    for _ in range(2):
        status, _h, data = _call(application, "/api/v1/meals/quote", "POST", b"{}")
        assert status.startswith("401") and json.loads(data)["code"] == "SIGNATURE_MISSING"
    cached = handler._exact["/api/v1/meals/quote"]
    assert cached.func is resolve("/api/v1/meals/quote").func
    # A route with a parameter and the API's catch-all for unknown paths are resolved every time.
    status, _h, _d = _call(application, "/api/v1/elders/5/usage")
    assert status.startswith("401")
    status, _h, data = _call(application, "/api/v1/no-such-route")
    assert status.startswith("404") and json.loads(data)["code"] == "NOT_FOUND"
    assert set(handler._exact) == {"/api/v1/meals/quote"}
