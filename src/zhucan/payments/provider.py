"""The payment-provider interface and its WeChat Pay v3 implementation (library `wechatpayv3`).

Requests are signed with the merchant's RSA key (WECHATPAY2-SHA256-RSA2048), responses and callbacks
are verified against the WeChat Pay platform public key, the callback resource is decrypted with the
APIv3 key (AEAD_AES_256_GCM). The gateway is `ZHUCAN_WECHATPAY_BASE_URL` (the real one by default;
tests point it at a local stand-in that speaks the same protocol)."""

from __future__ import annotations

import csv
import gzip
import io
import json
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from django.conf import settings

from zhucan.core.money import parse_yuan
from zhucan.payments.errors import payment_error


@dataclass(frozen=True)
class BillRow:
    out_trade_no: str
    transaction_id: str
    state: str  # SUCCESS | REFUND | …
    amount_fen: int


@dataclass(frozen=True)
class Notification:
    notification_id: str
    event_type: str
    timestamp: int
    resource: dict


class PaymentProvider(Protocol):
    def prepay(self, *, out_trade_no: str, amount_fen: int, description: str, payer_openid: str = "",
               client_ip: str = "") -> dict: ...

    def verify_callback(self, *, headers: dict, body: bytes) -> Notification | None: ...

    def refund(self, *, out_trade_no: str, out_refund_no: str, amount_fen: int, total_fen: int,
               reason: str) -> dict: ...

    def trade_bill(self, *, day: date) -> list[BillRow]: ...


def _pem(value: str) -> str:
    """A PEM given inline or as a path to a file."""
    if value and "-----BEGIN" not in value:
        with open(value, encoding="ascii") as f:
            return f.read()
    return value


_HEADERS = ("Wechatpay-Signature", "Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Serial",
            "Wechatpay-Signature-Type")


class WeChatPayV3:
    """WeChat Pay v3, direct-merchant mode, verified with the platform public key (公钥模式)."""

    def __init__(self, *, mchid: str, appid: str, private_key: str, cert_serial_no: str, apiv3_key: str,
                 public_key: str, public_key_id: str, notify_url: str, base_url: str, kind: str = "h5",
                 timeout: float = 10.0):
        from wechatpayv3 import WeChatPay, WeChatPayType

        self.mchid = mchid
        self.kind = kind
        self._types = {"h5": WeChatPayType.H5, "jsapi": WeChatPayType.JSAPI}
        self._client = WeChatPay(wechatpay_type=self._types[kind], mchid=mchid, private_key=_pem(private_key),
                                 cert_serial_no=cert_serial_no, appid=appid, apiv3_key=apiv3_key,
                                 notify_url=notify_url, public_key=_pem(public_key), public_key_id=public_key_id,
                                 timeout=(timeout, timeout))
        # The library's gateway is fixed; a deployment (or the tests' stand-in) may point elsewhere.
        self._client._core._gate_way = base_url.rstrip("/")

    def _call(self, fn, **kwargs):
        import requests

        try:
            code, message = fn(**kwargs)
        except requests.RequestException as exc:
            raise payment_error("PAYMENT_PROVIDER_UNAVAILABLE") from exc
        except Exception as exc:  # the library raises plain Exception on a bad response signature
            raise payment_error("PAYMENT_PROVIDER_REFUSED", reason=str(exc)[:80]) from exc
        if not 200 <= code < 300:
            try:
                reason = json.loads(message).get("message", "")
            except (ValueError, AttributeError):
                reason = str(code)
            raise payment_error("PAYMENT_PROVIDER_REFUSED", reason=reason[:80])
        return message

    def prepay(self, *, out_trade_no, amount_fen, description, payer_openid="", client_ip=""):
        kwargs = {"description": description, "out_trade_no": out_trade_no,
                  "amount": {"total": amount_fen, "currency": "CNY"}, "pay_type": self._types[self.kind]}
        if self.kind == "jsapi":
            kwargs["payer"] = {"openid": payer_openid}
        else:
            kwargs["scene_info"] = {"payer_client_ip": client_ip or "127.0.0.1", "h5_info": {"type": "Wap"}}
        return json.loads(self._call(self._client.pay, **kwargs))

    def verify_callback(self, *, headers, body):
        wanted = {k.lower(): k for k in _HEADERS}
        canonical = {wanted[k.lower()]: v for k, v in headers.items() if k.lower() in wanted}
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        try:
            plain = self._client._core.decrypt_callback(canonical, text)
        except Exception:  # unsupported algorithm, malformed base64 …
            return None
        if not plain:
            return None
        outer = json.loads(text)
        return Notification(notification_id=str(outer.get("id", "")), event_type=str(outer.get("event_type", "")),
                            timestamp=int(canonical.get("Wechatpay-Timestamp") or 0), resource=json.loads(plain))

    def refund(self, *, out_trade_no, out_refund_no, amount_fen, total_fen, reason):
        return json.loads(self._call(self._client.refund, out_refund_no=out_refund_no, out_trade_no=out_trade_no,
                                     amount={"refund": amount_fen, "total": total_fen, "currency": "CNY"},
                                     reason=reason))

    def trade_bill(self, *, day):
        info = json.loads(self._call(self._client.trade_bill, bill_date=day.isoformat()))
        raw = self._call(self._client.download_bill, url=info["download_url"])
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        return parse_trade_bill(raw.decode("utf-8-sig"))


def parse_trade_bill(text: str) -> list[BillRow]:
    """The v3 trade bill (CSV, every field prefixed with a backtick, amounts in yuan, summary at the end)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    header = [h.strip() for h in next(csv.reader([lines[0]]))]
    rows = []
    for line in lines[1:]:
        if not line.startswith("`"):
            break  # the summary (总交易单数, …)
        values = [v.strip().lstrip("`") for v in next(csv.reader(io.StringIO(line)))]
        rec = dict(zip(header, values, strict=False))
        state = rec.get("交易状态", "")
        amount = rec.get("退款金额") if state == "REFUND" else rec.get("订单金额") or rec.get("应结订单金额")
        rows.append(BillRow(out_trade_no=rec.get("商户订单号", ""), transaction_id=rec.get("微信订单号", ""),
                            state=state, amount_fen=parse_yuan(amount or "0")))
    return rows


def get_provider() -> PaymentProvider:
    """The configured provider; PAYMENT_NOT_CONFIGURED when the deployment has none."""
    if not settings.ZHUCAN_WECHATPAY_MCHID:
        raise payment_error("PAYMENT_NOT_CONFIGURED")
    return WeChatPayV3(
        mchid=settings.ZHUCAN_WECHATPAY_MCHID, appid=settings.ZHUCAN_WECHATPAY_APPID,
        private_key=settings.ZHUCAN_WECHATPAY_PRIVATE_KEY, cert_serial_no=settings.ZHUCAN_WECHATPAY_CERT_SERIAL_NO,
        apiv3_key=settings.ZHUCAN_WECHATPAY_APIV3_KEY, public_key=settings.ZHUCAN_WECHATPAY_PUBLIC_KEY,
        public_key_id=settings.ZHUCAN_WECHATPAY_PUBLIC_KEY_ID, notify_url=settings.ZHUCAN_WECHATPAY_NOTIFY_URL,
        base_url=settings.ZHUCAN_WECHATPAY_BASE_URL, kind=settings.ZHUCAN_WECHATPAY_KIND,
        timeout=settings.ZHUCAN_WECHATPAY_TIMEOUT)
