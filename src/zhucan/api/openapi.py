"""What the OpenAPI description says beyond the shapes: the headers each call needs and the status
codes it can answer, kept beside the server's own rules (signing.py, auth.py, errors.py) so that
the description tells a vendor exactly what the server does."""

from __future__ import annotations

from zhucan.api import signing

# Every signed call can be refused for its input (400: INPUT_INVALID, BAD_JSON, TEXT_NOT_STORABLE…),
# its signature (401), its terminal (403: revoked, another canteen), its size (413), or fail (500).
ALWAYS = (400, 401, 403, 413, 500)

_SIGNATURE_HEADERS = [
    (signing.HEADER_KEY, "终端密钥编号（登记终端时获得，tk_ 开头）",
     {"type": "string", "minLength": 1, "maxLength": 40}),
    (signing.HEADER_TIMESTAMP, "Unix 时间戳（秒，十进制）；与服务器时间相差不得超过300秒（默认时间窗口）",
     {"type": "string", "pattern": r"^\d{1,12}$"}),
    (signing.HEADER_NONCE, "随机串：16–64个字母、数字、下划线或连字符，同一终端永不重复（服务器至少记住"
     "11分钟，即时间窗口的两倍加60秒；更早的请求已因时间戳过期被拒）",
     {"type": "string", "pattern": signing.NONCE_RE.pattern}),
    (signing.HEADER_SIGNATURE, "HMAC-SHA256 签名（64位十六进制），算法见对接指南",
     {"type": "string", "pattern": signing.SIGNATURE_RE.pattern}),
]
_IDEMPOTENCY_HEADER = (signing.HEADER_IDEMPOTENCY,
                       "幂等键：1–80个可见 ASCII 字符；重试同一笔请求时原样重发，返回原结果（replayed: true）",
                       {"type": "string", "pattern": r"^[\x21-\x7e]{1,80}$"})


def _header(name: str, description: str, schema: dict) -> dict:
    return {"in": "header", "name": name, "required": True, "description": description, "schema": schema}


def errors(*statuses: int) -> frozenset[int]:
    """The error statuses of one call: those every signed call can answer, and `statuses`."""
    return frozenset((*ALWAYS, *statuses))


def signed(*, idempotent: bool = False) -> dict:
    """`openapi_extra` of a call: its signature headers, and the Idempotency-Key of a write."""
    headers = [*_SIGNATURE_HEADERS, *([_IDEMPOTENCY_HEADER] if idempotent else [])]
    return {"parameters": [_header(*h) for h in headers]}
