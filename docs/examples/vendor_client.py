#!/usr/bin/env python3
"""A vendor's client for Zhucan API v1, standard library only (urllib, hmac, hashlib, json).

Runs one checkout: menu → identify by citizen card → quote → commit → a retry of the commit (which
answers the same receipt with "replayed": true). Configuration from the environment:

    ZHUCAN_BASE_URL     e.g. https://zhucan.example.gov.cn   (no trailing slash)
    ZHUCAN_KEY_ID       the terminal's key id (tk_…)
    ZHUCAN_SECRET       the terminal's secret
    ZHUCAN_CANTEEN_ID   the terminal's canteen id (optional: the platform knows it from the key)
    ZHUCAN_DISH_ID      a dish id from the menu (optional: the first dish is used)
    ZHUCAN_CARD         the elder's citizen card number

    python3 docs/examples/vendor_client.py
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import sys
import time
import urllib.error
import urllib.request
import uuid


def sign(secret: str, method: str, path: str, timestamp: int | str, nonce: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nSHA256_HEX(BODY)."""
    canonical = "\n".join([method.upper(), path, str(timestamp), nonce, hashlib.sha256(body).hexdigest()])
    return hmac.new(secret.encode(), canonical.encode(), hashlib.sha256).hexdigest()


class ApiError(Exception):
    def __init__(self, status: int, body: dict):
        super().__init__(f"{status} {body.get('code')}: {body.get('message')} / {body.get('message_en')}")
        self.status, self.body = status, body


class Client:
    def __init__(self, base_url: str, key_id: str, secret: str):
        self.base_url, self.key_id, self.secret = base_url.rstrip("/"), key_id, secret

    def call(self, method: str, path: str, data: dict | None = None, idempotency_key: str | None = None) -> dict:
        body = b"" if data is None else json.dumps(data, ensure_ascii=False).encode()
        timestamp, nonce = int(time.time()), secrets.token_hex(16)
        headers = {
            "Content-Type": "application/json",
            "X-Zhucan-Key": self.key_id,
            "X-Zhucan-Timestamp": str(timestamp),
            "X-Zhucan-Nonce": nonce,
            "X-Zhucan-Signature": sign(self.secret, method, path, timestamp, nonce, body),
        }
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        request = urllib.request.Request(self.base_url + path, data=body if data is not None else None,
                                         method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise ApiError(exc.code, json.loads(exc.read() or b"{}")) from None


def main() -> int:
    env = os.environ
    client = Client(env["ZHUCAN_BASE_URL"], env["ZHUCAN_KEY_ID"], env["ZHUCAN_SECRET"])
    canteen = {"canteen_id": int(env["ZHUCAN_CANTEEN_ID"])} if env.get("ZHUCAN_CANTEEN_ID") else {}

    menu = client.call("GET", "/api/v1/canteen/menu")
    dish_id = int(env.get("ZHUCAN_DISH_ID") or menu["dishes"][0]["dish_id"])
    print(f"canteen: {menu['canteen_name']}, {len(menu['dishes'])} dishes")

    elder = client.call("POST", "/api/v1/elders/identify", {**canteen, "card_number": env["ZHUCAN_CARD"]})
    print(f"elder: {elder['name']} ({elder['age']}), {elder['eligibility']['message']}")

    order = {**canteen, "elder": {"elder_id": elder["elder_id"], "identified_by": "card"},
             "items": [{"dish_id": dish_id, "quantity": 1}]}
    quote = client.call("POST", "/api/v1/meals/quote", order)
    print(f"quote: gross {quote['gross_yuan']} benefit {quote['benefit_yuan']} payable {quote['payable_yuan']}")
    print(f"       {quote['explanation_zh']}")

    # One key per meal, kept until the answer arrives: a retry after a timeout reuses it.
    key = f"pos-{uuid.uuid4()}"
    commit = {**order, "expected_payable_fen": quote["payable_fen"],
              "tenders": [{"kind": "cash", "amount_fen": quote["payable_fen"]}]}
    meal = client.call("POST", "/api/v1/meals/commit", commit, idempotency_key=key)
    retry = client.call("POST", "/api/v1/meals/commit", commit, idempotency_key=key)
    assert retry["replayed"] and retry["receipt_no"] == meal["receipt_no"]
    print(f"receipt_no: {meal['receipt_no']}")
    print(f"paid {meal['payable_yuan']}, benefit {meal['benefit_yuan']} "
          f"({', '.join(line['funder'] + ' ' + line['amount_yuan'] for line in meal['benefit_lines']) or '-'})")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ApiError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        sys.exit(1)
