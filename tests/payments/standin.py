"""A local stand-in for WeChat Pay v3 (a real HTTP server in a thread on a random port).

It speaks the provider's protocol with real keys generated here: it verifies the merchant's request
signatures (WECHATPAY2-SHA256-RSA2048 over method, path, timestamp, nonce and body with the
merchant's public key), signs its responses with the platform key (Wechatpay-* headers, public-key
mode), and builds callbacks the way WeChat Pay sends them (the resource encrypted with the APIv3 key
under AEAD_AES_256_GCM, the body signed with the platform key). Supported: H5 and JSAPI prepay,
query by out_trade_no, refunds, the trade bill (gzip CSV, backticked fields, amounts in yuan) and
its download; payments succeed or fail as the test says, and a callback can be replayed or forged."""

from __future__ import annotations

import base64
import gzip
import json
import re
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

CST = timezone(timedelta(hours=8))
BILL_HEADER = ("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,"
               "货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,"
               "商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注")


def _pem_private(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _pem_public(key) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


class Keys:
    """The merchant's API key pair and the platform's key pair, as a real deployment has them."""

    def __init__(self):
        self.merchant = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.platform = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.merchant_serial = uuid.uuid4().hex.upper()[:40]
        self.platform_key_id = "PUB_KEY_ID_" + uuid.uuid4().hex.upper()
        self.apiv3_key = uuid.uuid4().hex  # 32 characters
        self.mchid = "1900000109"
        self.appid = "wxd678efh567hg6787"


class StandIn:
    def __init__(self, keys: Keys):
        self.keys = keys
        self.trades: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.extra_bill_rows: list[dict] = []  # rows the bill carries that no prepay made (tests)
        self.bill_amount_override: dict[str, int] = {}
        self.refund_outcome = "SUCCESS"
        self.requests: list[tuple[str, str, bool]] = []  # (method, path, signature verified)
        self.now = time.time  # the moment callbacks are signed at (tests align it with their clock)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # --- lifecycle ---
    def start(self) -> StandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        self.trades.clear()
        self.refunds.clear()
        self.extra_bill_rows.clear()
        self.bill_amount_override.clear()
        self.requests.clear()
        self.refund_outcome = "SUCCESS"
        self.now = time.time

    def settings(self, notify_url: str = "http://testserver/payments/notify/wechat/") -> dict:
        k = self.keys
        return {"ZHUCAN_WECHATPAY_MCHID": k.mchid, "ZHUCAN_WECHATPAY_APPID": k.appid,
                "ZHUCAN_WECHATPAY_PRIVATE_KEY": _pem_private(k.merchant),
                "ZHUCAN_WECHATPAY_CERT_SERIAL_NO": k.merchant_serial, "ZHUCAN_WECHATPAY_APIV3_KEY": k.apiv3_key,
                "ZHUCAN_WECHATPAY_PUBLIC_KEY": _pem_public(k.platform),
                "ZHUCAN_WECHATPAY_PUBLIC_KEY_ID": k.platform_key_id, "ZHUCAN_WECHATPAY_NOTIFY_URL": notify_url,
                "ZHUCAN_WECHATPAY_BASE_URL": self.base_url, "ZHUCAN_WECHATPAY_KIND": "h5",
                "ZHUCAN_WECHATPAY_TIMEOUT": 5.0}

    # --- signing as the platform ---
    def _sign(self, timestamp: str, nonce: str, body: str, key=None) -> str:
        message = f"{timestamp}\n{nonce}\n{body}\n".encode()
        return base64.b64encode((key or self.keys.platform).sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()

    def _signed_headers(self, body: str, *, timestamp: int | None = None, key=None) -> dict:
        ts, nonce = str(int(self.now() if timestamp is None else timestamp)), uuid.uuid4().hex
        return {"Wechatpay-Timestamp": ts, "Wechatpay-Nonce": nonce, "Wechatpay-Serial": self.keys.platform_key_id,
                "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
                "Wechatpay-Signature": self._sign(ts, nonce, body, key)}

    # --- the merchant's request signature ---
    def _verify_request(self, method: str, target: str, body: str, authorization: str) -> bool:
        m = re.fullmatch(r'WECHATPAY2-SHA256-RSA2048 (.*)', authorization or "")
        if not m:
            return False
        fields = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
        if fields.get("mchid") != self.keys.mchid or fields.get("serial_no") != self.keys.merchant_serial:
            return False
        try:
            if abs(time.time() - int(fields["timestamp"])) > 300:
                return False
            message = f"{method}\n{target}\n{fields['timestamp']}\n{fields['nonce_str']}\n{body}\n".encode()
            self.keys.merchant.public_key().verify(base64.b64decode(fields["signature"]), message,
                                                   padding.PKCS1v15(), hashes.SHA256())
        except Exception:
            return False
        return True

    # --- callbacks (what WeChat Pay POSTs to the notify URL) ---
    def callback(self, event_type: str, resource: dict, *, notification_id: str | None = None,
                 timestamp: int | None = None, forge: bool = False) -> tuple[dict, bytes]:
        nonce = uuid.uuid4().hex[:12]
        plain = json.dumps(resource, ensure_ascii=False).encode()
        associated = "transaction" if event_type.startswith("TRANSACTION") else "refund"
        cipher = AESGCM(self.keys.apiv3_key.encode()).encrypt(nonce.encode(), plain, associated.encode())
        body = json.dumps({
            "id": notification_id or str(uuid.uuid4()), "create_time": datetime.now(CST).isoformat(timespec="seconds"),
            "resource_type": "encrypt-resource", "event_type": event_type,
            "summary": "支付成功" if event_type == "TRANSACTION.SUCCESS" else "通知",
            "resource": {"original_type": associated, "algorithm": "AEAD_AES_256_GCM",
                         "ciphertext": base64.b64encode(cipher).decode(), "associated_data": associated,
                         "nonce": nonce}}, ensure_ascii=False)
        forger = rsa.generate_private_key(public_exponent=65537, key_size=2048) if forge else None
        return self._signed_headers(body, timestamp=timestamp, key=forger), body.encode()

    def pay(self, out_trade_no: str, *, success: bool = True, amount_fen: int | None = None,
            paid_at: datetime | None = None, **kw) -> tuple[dict, bytes]:
        """The payer finishes (or fails) paying: the trade's state changes and the callback is built."""
        trade = self.trades[out_trade_no]
        when = (paid_at or datetime.fromtimestamp(self.now(), UTC)).astimezone(CST)
        trade["state"] = "SUCCESS" if success else "PAYERROR"
        trade["success_time"] = when.isoformat(timespec="seconds") if success else ""
        trade["transaction_id"] = trade.get("transaction_id") or "42000" + uuid.uuid4().hex[:23]
        resource = {"mchid": self.keys.mchid, "appid": self.keys.appid, "out_trade_no": out_trade_no,
                    "transaction_id": trade["transaction_id"], "trade_type": "MWEB", "trade_state": trade["state"],
                    "trade_state_desc": "支付成功" if success else "银行卡余额不足", "bank_type": "OTHERS",
                    "success_time": trade["success_time"],
                    "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
                    "amount": {"total": trade["amount"] if amount_fen is None else amount_fen,
                               "payer_total": trade["amount"], "currency": "CNY", "payer_currency": "CNY"}}
        return self.callback("TRANSACTION.SUCCESS" if success else "TRANSACTION.PAYERROR", resource, **kw)

    # --- the bill ---
    def bill_text(self, day: str) -> str:
        lines = [BILL_HEADER]
        rows = [dict(t, out_trade_no=no) for no, t in self.trades.items()
                if t.get("state") in ("SUCCESS", "REFUND") and t.get("success_time", "").startswith(day)]
        rows += [r for r in self.extra_bill_rows if r["success_time"].startswith(day)]
        for t in rows:
            amount = self.bill_amount_override.get(t["out_trade_no"], t["amount"])
            fields = [t["success_time"].replace("T", " ")[:19], self.keys.appid, self.keys.mchid, "0", "",
                      t["transaction_id"], t["out_trade_no"], "oUpF8uMuAJO", "MWEB", "SUCCESS", "OTHERS", "CNY",
                      _yuan(amount), "0.00", "0", "0", "0.00", "0.00", "", "", "助餐订餐", "", "0.00", "0.60%",
                      _yuan(amount), "0.00", ""]
            lines.append(",".join("`" + f for f in fields))
        lines.append("总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额")
        lines.append(f"`{len(rows)},`0.00,`0.00,`0.00,`0.00,`0.00,`0.00")
        return "\n".join(lines) + "\n"

    # --- HTTP ---
    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _answer(self, status: int, payload: dict | None, *, raw: bytes | None = None):
                if raw is not None:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/octet-stream")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                    return
                body = json.dumps(payload or {}, ensure_ascii=False) if payload is not None else ""
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                for k, v in standin._signed_headers(body, timestamp=int(time.time())).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body.encode())))
                self.end_headers()
                self.wfile.write(body.encode())

            def _handle(self, method: str):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                ok = standin._verify_request(method, self.path, body, self.headers.get("Authorization", ""))
                url = urlsplit(self.path)
                standin.requests.append((method, url.path, ok))
                if not ok:
                    return self._answer(401, {"code": "SIGN_ERROR", "message": "签名错误"})
                data = json.loads(body) if body else {}
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                return standin._route(self, method, url.path, query, data)

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

        return Handler

    def _route(self, h, method, path, query, data):
        if method == "POST" and path in ("/v3/pay/transactions/h5", "/v3/pay/transactions/jsapi"):
            total = (data.get("amount") or {}).get("total")
            if data.get("mchid") != self.keys.mchid or not isinstance(total, int) or total <= 0:
                return h._answer(400, {"code": "PARAM_ERROR", "message": "参数错误"})
            no = data.get("out_trade_no", "")
            trade = self.trades.get(no)
            if trade and trade["state"] == "SUCCESS":
                return h._answer(400, {"code": "ORDERPAID", "message": "该订单已支付"})
            if trade and trade["amount"] != total:
                return h._answer(400, {"code": "INVALID_REQUEST", "message": "订单金额与原订单不一致"})
            prepay = "wx" + uuid.uuid4().hex[:26]
            self.trades[no] = {"amount": total, "state": "NOTPAY", "prepay_id": prepay,
                               "description": data.get("description", ""), "notify_url": data.get("notify_url")}
            if path.endswith("/h5"):
                return h._answer(200, {"h5_url": f"{self.base_url}/pay?prepay_id={prepay}"})
            return h._answer(200, {"prepay_id": prepay})
        m = re.fullmatch(r"/v3/pay/transactions/out-trade-no/([^/]+)", path)
        if method == "GET" and m:
            trade = self.trades.get(m.group(1))
            if trade is None:
                return h._answer(404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"})
            return h._answer(200, {"out_trade_no": m.group(1), "trade_state": trade["state"],
                                   "transaction_id": trade.get("transaction_id", ""),
                                   "amount": {"total": trade["amount"]}})
        if method == "POST" and path == "/v3/refund/domestic/refunds":
            no, rno = data.get("out_trade_no", ""), data.get("out_refund_no", "")
            trade = self.trades.get(no)
            amount = data.get("amount") or {}
            if trade is None or trade["state"] not in ("SUCCESS", "REFUND"):
                return h._answer(400, {"code": "RESOURCE_NOT_EXISTS", "message": "订单不存在或未支付"})
            if amount.get("total") != trade["amount"] or not 0 < int(amount.get("refund", 0)) <= trade["amount"]:
                return h._answer(400, {"code": "PARAM_ERROR", "message": "退款金额不正确"})
            if rno not in self.refunds:
                self.refunds[rno] = {"refund_id": "50300" + uuid.uuid4().hex[:24], "out_trade_no": no,
                                     "amount": amount["refund"], "status": self.refund_outcome}
                trade["state"] = "REFUND"
            r = self.refunds[rno]
            return h._answer(200, {"refund_id": r["refund_id"], "out_refund_no": rno, "out_trade_no": no,
                                   "status": r["status"], "amount": {"refund": r["amount"], "total": trade["amount"],
                                                                     "currency": "CNY"}})
        if method == "GET" and path == "/v3/bill/tradebill":
            day = query.get("bill_date", "")
            return h._answer(200, {"hash_type": "SHA1", "hash_value": "0",
                                   "download_url": f"{self.base_url}/v3/billdownload/file?token={day}"})
        if method == "GET" and path == "/v3/billdownload/file":
            return h._answer(200, None, raw=gzip.compress(self.bill_text(query.get("token", "")).encode()))
        return h._answer(404, {"code": "NOT_FOUND", "message": "无此接口"})


