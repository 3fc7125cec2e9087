"""Sending a receipt to an ESC/POS printer with python-escpos 3.1.

The printer is put in Chinese mode (`FS &`, bytes 1C 26) and every text line is sent as GB18030
bytes by us (`_raw`): the library's own text path goes through single-byte code pages, where lines
without a common Han character lose `¥，：（）` to "?". The whole receipt is composed first (on a
Dummy printer with the target's profile) and sent in one write, so a rendering problem never leaves
half a receipt, and the device is held only for that write.

Printing happens after the meal is committed: every failure to reach the printer becomes a
`PrinterError` (code PRINTER_UNREACHABLE) the caller can show ("本笔消费已记账，可稍后补打小票").
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from escpos.printer import Dummy, File, Network, Serial, Usb

from zhucan.checkout.receipts_render import WIDTH_58MM, WIDTH_80MM, ReceiptData, render_styled
from zhucan.core.errors import DomainError

FS_CHINESE_ON = b"\x1c\x26"  # FS &: select Kanji (Chinese double-byte) mode
ESC_INIT = b"\x1b\x40"  # ESC @
ESC_ALIGN_LEFT, ESC_ALIGN_CENTER = b"\x1ba\x00", b"\x1ba\x01"
ESC_BOLD_ON, ESC_BOLD_OFF = b"\x1bE\x01", b"\x1bE\x00"
NETWORK_TIMEOUT_S = 2.0
URL_EXAMPLES = "tcp://10.0.0.5:9100、usb://04b8:0202、serial:///dev/ttyUSB0?baudrate=9600、file:///tmp/receipts/x.bin"


class PrinterError(DomainError):
    """A receipt could not be printed (the meal itself stands)."""


def _url_invalid(url: str, detail: str) -> PrinterError:
    return PrinterError(code="PRINTER_URL_INVALID",
                        message_zh=f"小票打印机地址无效（{detail}）：{url}；示例：{URL_EXAMPLES}",
                        message_en=f"invalid printer URL ({detail}): {url}", field="printer",
                        http_status=400, details={"url": url, "detail": detail})


def _unreachable(target: str, exc: BaseException) -> PrinterError:
    return PrinterError(code="PRINTER_UNREACHABLE",
                        message_zh=f"无法连接小票打印机（{target}）：{exc}。本笔消费已记账，可稍后补打小票",
                        message_en=f"cannot reach the receipt printer ({target}): {exc}; the meal is recorded",
                        http_status=503, details={"target": target})


def _number(url: str, params: dict, name: str, kind, low, high, default):
    if name not in params:
        return default
    try:
        value = kind(params.pop(name), 0) if kind is int else kind(params.pop(name))
    except ValueError:
        raise _url_invalid(url, f"参数 {name} 须为数字") from None
    if not low <= value <= high:
        raise _url_invalid(url, f"参数 {name} 超出范围 {low}–{high}")
    return value


def printer_from_url(url: str):
    """tcp://host[:9100][?timeout=2] · usb://VVVV:PPPP[?in_ep=0x82&out_ep=0x01&timeout=ms] ·
    serial:///dev/ttyUSB0[?baudrate=9600] · file:///path/x.bin (may hold "{receipt_no}").
    Every form also takes ?cols=32|48 (58 mm / 80 mm paper). Nothing is opened here."""
    try:
        parts = urlsplit((url or "").strip())
        params = dict(parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query)))
    except ValueError:
        raise _url_invalid(url, "格式错误") from None
    cols = _number(url, params, "cols", int, WIDTH_58MM, WIDTH_80MM, WIDTH_58MM)
    scheme = parts.scheme.lower()
    try:
        if scheme == "tcp":
            try:
                host, port = parts.hostname, parts.port or 9100
            except ValueError:
                raise _url_invalid(url, "端口须为1–65535") from None
            if not host:
                raise _url_invalid(url, "缺少主机地址")
            timeout = _number(url, params, "timeout", float, 0.1, 60, NETWORK_TIMEOUT_S)
            printer = Network(host=host, port=port, timeout=timeout)
        elif scheme == "usb":
            match = re.fullmatch(r"([0-9a-fA-F]{4}):([0-9a-fA-F]{4})", parts.netloc)
            if not match or parts.path not in ("", "/"):
                raise _url_invalid(url, "USB 地址须为 usb://厂商号:产品号（4位十六进制）")
            printer = Usb(int(match[1], 16), int(match[2], 16),
                          timeout=_number(url, params, "timeout", int, 0, 60000, 0),
                          in_ep=_number(url, params, "in_ep", int, 0, 255, 0x82),
                          out_ep=_number(url, params, "out_ep", int, 0, 255, 0x01))
        elif scheme == "serial":
            if parts.netloc or not parts.path.startswith("/") or len(parts.path) < 2:
                raise _url_invalid(url, "串口地址须为 serial:///dev/设备名")
            printer = Serial(devfile=unquote(parts.path),
                             baudrate=_number(url, params, "baudrate", int, 300, 921600, 9600),
                             timeout=_number(url, params, "timeout", float, 0.1, 60, 1))
        elif scheme == "file":
            path = unquote(parts.path)
            if parts.netloc not in ("", "localhost") or not path.startswith("/") or path.endswith("/"):
                raise _url_invalid(url, "文件地址须为 file:///绝对路径/文件名")
            printer = File(devfile=path)
        else:
            raise _url_invalid(url, "仅支持 tcp、usb、serial、file")
    except RuntimeError as exc:  # python-escpos: pyserial / pyusb not installed
        raise _unreachable(url, exc) from exc
    if params:
        raise _url_invalid(url, f"未知参数 {', '.join(sorted(params))}")
    printer.receipt_width = cols
    return printer


def receipt_bytes(data: ReceiptData, width: int = WIDTH_58MM, *, qr: bool = True, cut: bool = True,
                  profile=None) -> bytes:
    """The complete ESC/POS byte stream of a receipt."""
    out = Dummy()
    # A private copy of the target's profile that knows the paper's width in dots (otherwise
    # python-escpos prints a warning to stdout for every image).
    base = profile if profile is not None else out.profile
    out.profile = copy.copy(base)
    out.profile.profile_data = copy.deepcopy(base.profile_data)
    media = out.profile.profile_data.setdefault("media", {}).setdefault("width", {})
    if not str(media.get("pixels", "")).isdigit():
        media["pixels"] = 384 if width < WIDTH_80MM else 576  # 58 mm / 80 mm at 203 dpi
    out._raw(ESC_INIT + FS_CHINESE_ON)
    for style, text in render_styled(data, width):
        if style == "qr":
            if qr and text:
                out._raw(ESC_ALIGN_CENTER)
                out.qr(text, size=4)  # rendered as an image: works without native QR support
                out._raw(b"\n" + ESC_ALIGN_LEFT + FS_CHINESE_ON)  # qr() selected a code page (ESC t)
            continue
        line = text.encode("gb18030", errors="replace") + b"\n"
        out._raw(ESC_BOLD_ON + line + ESC_BOLD_OFF if style == "bold" else line)
    if cut:
        out.cut()
    return out.output


def describe(printer) -> str:
    for attr in ("host", "devfile"):
        if getattr(printer, attr, None):
            port = f":{printer.port}" if attr == "host" else ""
            return f"{getattr(printer, attr)}{port}"
    if getattr(printer, "usb_args", None):
        args = printer.usb_args
        return f"USB {args.get('idVendor', 0):04x}:{args.get('idProduct', 0):04x}"
    return type(printer).__name__


def print_receipt(data: ReceiptData, printer, *, width: int | None = None, qr: bool = True, cut: bool = True,
                  close: bool = True) -> bytes:
    """Print on any python-escpos printer (Network, Usb, Serial, File, Dummy …); returns the bytes sent.
    Raises PrinterError(PRINTER_UNREACHABLE) when the printer cannot be reached or written."""
    width = width or getattr(printer, "receipt_width", WIDTH_58MM)
    payload = receipt_bytes(data, width, qr=qr, cut=cut, profile=printer.profile)
    if isinstance(printer, File) and "{receipt_no}" in printer.devfile:
        safe = re.sub(r"[^0-9A-Za-z_.-]", "_", data.receipt_no)
        printer = File(devfile=printer.devfile.replace("{receipt_no}", safe))
    try:
        if isinstance(printer, File):
            Path(printer.devfile).parent.mkdir(parents=True, exist_ok=True)
        printer._raw(payload)
        if hasattr(printer, "flush"):
            printer.flush()
    except Exception as exc:  # socket, USB, serial, file: the caller's meal must not fail on these
        raise _unreachable(describe(printer), exc) from exc
    finally:
        if close:
            try:
                printer.close()
            except Exception:
                pass
    return payload
