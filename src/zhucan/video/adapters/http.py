"""The adapters' HTTP: `http.client` with a timeout on every exchange (connecting and each read) and
an overall deadline for the body, a size cap, at most three redirects, and failures turned into
AdapterError. A `Session` keeps one connection per host open between calls (a live probe reads the
same playlist twice; a platform is asked several things in a row)."""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import time
from urllib.parse import urljoin, urlsplit

from zhucan.video.adapters.base import AdapterError

MAX_BODY = 8 * 1024 * 1024  # a 7-day recorder playlist of one-minute segments is about 1 MB
MAX_REDIRECTS = 3
_CHUNK = 64 * 1024


def _host(url: str) -> str:
    return urlsplit(url).netloc.rpartition("@")[2] or url[:60]


class Session:
    """Connections kept per (scheme, host, port) until `close()`; use as a context manager."""

    def __init__(self):
        self._conns: dict[tuple[str, str, int | None], http.client.HTTPConnection] = {}

    def connection(self, scheme: str, host: str, port: int | None, timeout: float) -> http.client.HTTPConnection:
        key = (scheme, host, port)
        conn = self._conns.get(key)
        if conn is None:
            if scheme == "https":
                conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=ssl.create_default_context())
            else:
                conn = http.client.HTTPConnection(host, port, timeout=timeout)
            self._conns[key] = conn
        conn.timeout = timeout
        if conn.sock is not None:
            conn.sock.settimeout(timeout)
        return conn

    def drop(self, scheme: str, host: str, port: int | None) -> None:
        conn = self._conns.pop((scheme, host, port), None)
        if conn is not None:
            conn.close()

    def close(self) -> None:
        for conn in self._conns.values():
            conn.close()
        self._conns.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _once(session: Session, url: str, *, timeout: float, deadline: float, method: str, body: bytes | None,
          headers: dict[str, str], max_bytes: int) -> tuple[int, bytes, str | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise AdapterError("bad_address", f"地址不是 http(s) 地址：{_host(url)}")
    try:
        port = parts.port
    except ValueError:
        raise AdapterError("bad_address", f"地址的端口不对：{_host(url)}") from None
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    for attempt in (1, 2):  # a kept connection the server closed meanwhile: one fresh try
        conn = session.connection(scheme, parts.hostname, port, timeout)
        try:
            conn.request(method, target, body=body, headers=headers)
            response = conn.getresponse()
            parts_read, size = [], 0
            while True:
                if time.monotonic() > deadline:
                    session.drop(scheme, parts.hostname, port)
                    raise AdapterError("timeout", f"{_host(url)} 在{timeout:g}秒内未答完")
                chunk = response.read(_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    session.drop(scheme, parts.hostname, port)
                    raise AdapterError("bad_answer", f"{_host(url)} 的应答过大")
                parts_read.append(chunk)
            if response.will_close:
                session.drop(scheme, parts.hostname, port)
            return response.status, b"".join(parts_read), response.getheader("Location")
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            session.drop(scheme, parts.hostname, port)
            if attempt == 2:
                raise AdapterError("unreachable", f"{_host(url)} 断开了连接") from None
        except TimeoutError:
            session.drop(scheme, parts.hostname, port)
            raise AdapterError("timeout", f"{_host(url)} 在{timeout:g}秒内无应答") from None
        except (http.client.HTTPException, ssl.SSLError) as exc:
            session.drop(scheme, parts.hostname, port)
            raise AdapterError("bad_answer", f"{_host(url)} 的应答不是有效的 HTTP（{type(exc).__name__}）") from None
        except (OSError, socket.gaierror, UnicodeError):
            session.drop(scheme, parts.hostname, port)
            raise AdapterError("unreachable", f"无法连接 {_host(url)}") from None
    raise AdapterError("unreachable", f"无法连接 {_host(url)}")  # not reached


def fetch(url: str, *, timeout: float, method: str = "GET", body: bytes | None = None,
          headers: dict[str, str] | None = None, max_bytes: int = MAX_BODY,
          session: Session | None = None) -> tuple[int, bytes]:
    """(status, body) of one exchange. A 4xx/5xx answer is returned, not raised: the adapters read
    the vendor's error body. Raises AdapterError for no answer, a timeout or a body too large."""
    own = session is None
    session = session or Session()
    deadline = time.monotonic() + timeout
    try:
        for _ in range(MAX_REDIRECTS + 1):
            status, data, location = _once(session, url, timeout=timeout, deadline=deadline, method=method,
                                           body=body, headers=headers or {}, max_bytes=max_bytes)
            if status in (301, 302, 303, 307, 308) and location:
                url = urljoin(url, location)
                if status == 303:
                    method, body = "GET", None
                continue
            return status, data
        raise AdapterError("bad_answer", f"{_host(url)} 重定向次数过多")
    finally:
        if own:
            session.close()


def fetch_json(url: str, *, timeout: float, method: str = "GET", payload: dict | None = None,
               headers: dict[str, str] | None = None, body: bytes | None = None,
               session: Session | None = None) -> tuple[int, dict]:
    if payload is not None and body is None:
        body = json.dumps(payload, ensure_ascii=False).encode()
    status, raw = fetch(url, timeout=timeout, method=method, body=body, headers=headers, session=session)
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise AdapterError("bad_answer", f"{_host(url)} 的应答不是 JSON（HTTP {status}）") from None
    if not isinstance(data, dict):
        raise AdapterError("bad_answer", f"{_host(url)} 的应答格式不对（HTTP {status}）")
    return status, data
