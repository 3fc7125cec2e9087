"""The API's own stable error codes and the handlers that give every failure one JSON shape:
``{"code": ..., "message": <Chinese>, "message_en": ..., "field": ...}``.

Domain codes (ELDER_NOT_ELIGIBLE, DISH_NOT_ON_MENU, …) come from the services' DomainError as is;
identification's (CARD_UNKNOWN, QR_*, …) from the identity app (`zhucan.identity.errors`).
"""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, HttpResponse
from ninja.errors import AuthenticationError, HttpError, ValidationError

from zhucan.core import text
from zhucan.core.errors import DomainError, coded_error

logger = logging.getLogger(__name__)

API_ERRORS: dict[str, tuple[int, str, str]] = {
    "SIGNATURE_MISSING": (401, "请求未签名：缺少 {header} 请求头", "unsigned request: the {header} header is missing"),
    "SIGNATURE_INVALID": (401, "签名校验失败，请核对密钥和签名串", "the signature does not match"),
    "TIMESTAMP_STALE": (401, "请求时间戳与服务器时间相差超过 {window} 秒，请校准终端时钟",
                        "the timestamp is more than {window} s from the server's clock"),
    "NONCE_REUSED": (401, "该请求随机串（nonce）已使用过，疑似重放", "the nonce was already used (replay?)"),
    "TERMINAL_UNKNOWN": (401, "终端密钥编号未登记", "unknown terminal key"),
    "TERMINAL_REVOKED": (403, "该终端已被停用", "the terminal was revoked"),
    "CANTEEN_MISMATCH": (403, "该终端只属于本助餐点，不能代其他助餐点提交",
                         "the terminal belongs to another canteen"),
    "BODY_TOO_LARGE": (413, "请求内容超过 {limit} 字节上限", "the body exceeds {limit} bytes"),
    "BAD_JSON": (400, "请求内容不是有效的 JSON 对象", "the body is not a valid JSON object"),
    "INPUT_INVALID": (400, "输入有误：{detail}", "invalid input: {detail}"),
    text.CODE: (400, text.MESSAGE_ZH, text.MESSAGE_EN),  # raised by zhucan.core.text, listed for the guide
    "IDEMPOTENCY_KEY_INVALID": (400, "Idempotency-Key 须为1到80个可见 ASCII 字符",
                                "the Idempotency-Key must be 1–80 printable ASCII characters"),
    "OCCURRED_AT_INVALID": (400, "上报的用餐时间须在过去 {hours} 小时内", "occurred_at must be within the "
                            "last {hours} hours"),
    "NOT_FOUND": (404, "接口不存在：{path}", "no such endpoint: {path}"),
    "METHOD_NOT_ALLOWED": (405, "该接口不支持 {method} 方法", "{method} is not allowed here"),
    "INTERNAL_ERROR": (500, "服务器内部错误，请稍后重试（可用同一 Idempotency-Key 重试）",
                       "internal error; retry later with the same Idempotency-Key"),
}


def api_error(code: str, *, field: str | None = None, **params) -> DomainError:
    return coded_error(API_ERRORS, code, field=field, details=False, **params)


def error_response(api, request: HttpRequest, error: DomainError) -> HttpResponse:
    return api.create_response(request, error.as_dict(), status=error.http_status)


# Pydantic error types → a Chinese phrase (the English one is pydantic's own message).
_PYDANTIC_ZH = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不认识的字段",
    "int_type": "须为整数",
    "int_parsing": "须为整数",
    "int_from_float": "须为整数",
    "string_type": "须为字符串",
    "string_too_short": "内容过短",
    "string_too_long": "内容过长",
    "string_pattern_mismatch": "格式不正确",
    "bool_type": "须为 true 或 false",
    "list_type": "须为数组",
    "too_short": "至少需要一项",
    "too_long": "项数过多",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "greater_than": "数值过小",
    "less_than": "数值过大",
    "literal_error": "取值无效",
    "enum": "取值无效",
    "model_type": "须为 JSON 对象",
    "dict_type": "须为 JSON 对象",
    "datetime_type": "须为带时区的时间（ISO 8601）",
    "datetime_parsing": "须为带时区的时间（ISO 8601）",
    "datetime_from_date_parsing": "须为带时区的时间（ISO 8601）",
    "timezone_aware": "须带时区，例如 +08:00",
    "value_error": "取值无效",
    "none_required": "此处不适用，请勿提供",
}


_UNSTORABLE_TYPES = frozenset({text.CODE.lower(), "string_unicode"})


def _field_of(loc) -> str:
    # Ninja's loc is ("body", <param name>, field, index, …) or ("query"/"path", name).
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[2:] if parts[0] == "body" and len(parts) > 2 else parts[1:]
    return ".".join(parts) or "body"


def validation_error(exc: ValidationError) -> DomainError:
    # Text that cannot be stored has its own code whatever else is wrong with the request. Pydantic
    # itself refuses a lone surrogate (string_unicode); our validator refuses NUL.
    unstorable = next((e for e in exc.errors if e.get("type") in _UNSTORABLE_TYPES
                       or any(isinstance(p, str) and not text.is_storable(p) for p in e.get("loc", ()))), None)
    if unstorable is not None:
        return text.text_not_storable(field=_field_of(unstorable.get("loc", ())))
    first = exc.errors[0] if exc.errors else {"type": "value_error", "loc": (), "msg": "invalid"}
    field = _field_of(first.get("loc", ()))
    kind = str(first.get("type", "value_error"))
    zh = _PYDANTIC_ZH.get(kind, "格式不正确")
    status, _zh, _en = API_ERRORS["INPUT_INVALID"]
    return DomainError(code="INPUT_INVALID", message_zh=f"输入有误：{field} {zh}",
                       message_en=f"invalid input: {field}: {first.get('msg', 'invalid')}", field=field,
                       http_status=status,
                       details={"errors": [{"field": _field_of(e.get("loc", ())), "type": e.get("type"),
                                            "message_en": e.get("msg")} for e in exc.errors[:20]]})


def install_handlers(api) -> None:
    """Every failure under /api/v1/ answers JSON with a code (no HTML, no traceback)."""

    def on_domain(request, exc: DomainError):
        return error_response(api, request, exc)

    def on_validation(request, exc: ValidationError):
        return error_response(api, request, validation_error(exc))

    def on_auth(request, exc: AuthenticationError):
        return error_response(api, request, api_error("SIGNATURE_MISSING", header="X-Zhucan-Signature"))

    def on_http(request, exc: HttpError):
        if exc.status_code == 400 and "parse request body" in str(exc):
            return error_response(api, request, api_error("BAD_JSON", field="body"))
        if exc.status_code == 405:
            return error_response(api, request, api_error("METHOD_NOT_ALLOWED", method=request.method))
        return error_response(api, request, DomainError(code=f"HTTP_{exc.status_code}", message_zh=str(exc),
                                                        message_en=str(exc), http_status=exc.status_code))

    def on_404(request, exc: Http404):
        return error_response(api, request, api_error("NOT_FOUND", path=request.path))

    def on_any(request, exc: Exception):
        logger.exception("API v1 %s %s failed", request.method, request.path)
        return error_response(api, request, api_error("INTERNAL_ERROR"))

    api.add_exception_handler(DomainError, on_domain)
    api.add_exception_handler(ValidationError, on_validation)
    api.add_exception_handler(AuthenticationError, on_auth)
    api.add_exception_handler(HttpError, on_http)
    api.add_exception_handler(Http404, on_404)
    api.add_exception_handler(Exception, on_any)
