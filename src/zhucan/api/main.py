"""The API v1 instance (mounted at /api/v1/ by config/urls.py; OpenAPI at /api/v1/openapi.json).

Every answer under /api/v1/ is JSON, failures included: unknown routes (404) and wrong methods (405)
are shaped here, since Ninja and Django would answer those in HTML or plain text.
"""

from __future__ import annotations

import json

from django.http import Http404, HttpResponse
from django.urls import re_path
from ninja import NinjaAPI
from ninja.parser import Parser
from ninja.renderers import JSONRenderer

from zhucan.api.auth import TerminalSignature
from zhucan.api.endpoints import canteen, elders, faces, meals, report, terminal
from zhucan.api.errors import api_error, install_handlers
from zhucan.api.present import JSON_DUMPS_PARAMS

DESCRIPTION = """智慧助餐 对接接口 v1 — for our cashier terminals and third-party POS vendors.

Every request is signed (HMAC-SHA256, headers X-Zhucan-Key / -Timestamp / -Nonce / -Signature); every
write carries an Idempotency-Key. Money: requests take integer fen; answers give `*_fen` and `*_yuan`.
Errors: `{"code", "message" (中文), "message_en", "field"}`. See docs/integration.md.
"""


class BodyOnceParser(Parser):
    """The signature check has already parsed the body: reuse it."""

    def parse_body(self, request):
        data = getattr(request, "api_json", None)
        return data if data is not None else json.loads(request.body)


class ChineseJSONRenderer(JSONRenderer):
    json_dumps_params = JSON_DUMPS_PARAMS


def _json_error(error) -> HttpResponse:
    body = json.dumps(error.as_dict(), ensure_ascii=False)
    return HttpResponse(body, status=error.http_status, content_type="application/json; charset=utf-8")


def _json_errors(view):
    """Ninja answers a wrong method in plain text and its root page raises Http404: make both JSON."""

    def wrapped(request, *args, **kwargs):
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return not_found(request)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith("application/json"):
            allowed = response.get("Allow", "")
            response = _json_error(api_error("METHOD_NOT_ALLOWED", method=request.method))
            response["Allow"] = allowed
        return response

    wrapped.csrf_exempt = True
    return wrapped


def not_found(request, *args, **kwargs) -> HttpResponse:
    return _json_error(api_error("NOT_FOUND", path=request.path))


not_found.csrf_exempt = True


class ZhucanAPI(NinjaAPI):
    def _get_urls(self):
        urls = super()._get_urls()
        for pattern in urls:
            if hasattr(pattern, "callback"):
                pattern.callback = _json_errors(pattern.callback)
        return [*urls, re_path(r"^.*$", not_found, name="api-not-found")]


api = ZhucanAPI(
    title="智慧助餐 对接接口 (Zhucan integration API)",
    version="1.0.0",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=TerminalSignature(),
    parser=BodyOnceParser(),
    renderer=ChineseJSONRenderer(),
)
install_handlers(api)
api.add_router("", elders.router)
api.add_router("", canteen.router)
api.add_router("", meals.router)
api.add_router("", report.router)
api.add_router("", faces.router)
api.add_router("", terminal.router)
