"""The adapters' HTTP: the standard library's client, a timeout on every exchange (connecting and
each read) and an overall deadline for the body, a size cap, and failures turned into AdapterError."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from zhucan.video.adapters.base import AdapterError

MAX_BODY = 8 * 1024 * 1024  # a 7-day recorder playlist of one-minute segments is about 1 MB
_CHUNK = 64 * 1024


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def fetch(url: str, *, timeout: float, method: str = "GET", body: bytes | None = None,
          headers: dict[str, str] | None = None, max_bytes: int = MAX_BODY) -> tuple[int, bytes]:
    """(status, body) of one exchange. A 4xx/5xx answer is returned, not raised: the adapters read
    the vendor's error body. Raises AdapterError for no answer, a timeout or a body too large."""
    if not url.lower().startswith(("http://", "https://")):
        raise AdapterError("bad_address", f"地址不是 http(s) 地址：{url[:80]}")
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    deadline = time.monotonic() + timeout
    try:
        try:
            response = urllib.request.urlopen(request, timeout=timeout)
        except urllib.error.HTTPError as exc:
            response = exc
        with response:
            status = response.status if hasattr(response, "status") else response.code
            parts, size = [], 0
            while True:
                if time.monotonic() > deadline:
                    raise AdapterError("timeout", f"{_host(url)} 在{timeout:g}秒内未答完")
                chunk = response.read(_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise AdapterError("bad_answer", f"{_host(url)} 的应答过大")
                parts.append(chunk)
            return status, b"".join(parts)
    except AdapterError:
        raise
    except TimeoutError:
        raise AdapterError("timeout", f"{_host(url)} 在{timeout:g}秒内无应答") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise AdapterError("timeout", f"{_host(url)} 在{timeout:g}秒内无应答") from None
        raise AdapterError("unreachable", f"无法连接 {_host(url)}") from None
    except (OSError, ValueError):
        raise AdapterError("unreachable", f"无法连接 {_host(url)}") from None


def fetch_json(url: str, *, timeout: float, method: str = "GET", payload: dict | None = None,
               headers: dict[str, str] | None = None, body: bytes | None = None) -> tuple[int, dict]:
    if payload is not None and body is None:
        body = json.dumps(payload, ensure_ascii=False).encode()
    status, raw = fetch(url, timeout=timeout, method=method, body=body, headers=headers)
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise AdapterError("bad_answer", f"{_host(url)} 的应答不是 JSON（HTTP {status}）") from None
    if not isinstance(data, dict):
        raise AdapterError("bad_answer", f"{_host(url)} 的应答格式不对（HTTP {status}）")
    return status, data
