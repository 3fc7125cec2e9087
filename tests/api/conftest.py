"""Signed requests against API v1 through Django's test client, at a frozen lunch moment."""

from __future__ import annotations

import json
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from zhucan.api import signing

SH = ZoneInfo("Asia/Shanghai")
LUNCH = datetime(2025, 6, 2, 11, 30, tzinfo=SH)
CARD = "3301000012345678"


class Signed:
    """A terminal's HTTP client: signs every request like a vendor would."""

    def __init__(self, client, key_id: str, secret: str, now):
        self.client, self.key_id, self.secret, self.now = client, key_id, secret, now

    def request(self, method: str, path: str, data=None, *, raw: bytes | None = None, key: str | None = None,
                headers: dict | None = None, timestamp: int | None = None, nonce: str | None = None,
                sign_with: str | None = None):
        body = raw if raw is not None else (b"" if data is None else json.dumps(data).encode())
        ts = int(self.now().timestamp()) if timestamp is None else timestamp
        signed = signing.signed_headers(self.key_id, sign_with or self.secret, method, path, body, timestamp=ts,
                                        nonce=nonce)
        if key is not None:
            signed[signing.HEADER_IDEMPOTENCY] = key
        signed.update(headers or {})
        return self.client.generic(method, path, data=body, content_type="application/json", headers=signed)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, data=None, **kw):
        return self.request("POST", path, data, **kw)


@pytest.fixture
def lunch(frozen_clock):
    return frozen_clock(LUNCH)


@pytest.fixture
def menu(world):
    from zhucan.canteens.models import Dish

    return {
        "套餐": Dish.objects.create(canteen=world.canteen, name="套餐", price_fen=1500),
        "米饭": Dish.objects.create(canteen=world.canteen, name="米饭", price_fen=100),
        "停售菜": Dish.objects.create(canteen=world.canteen, name="停售菜", price_fen=800, active=False),
    }


@pytest.fixture
def carded(world):
    from tests.conftest import bind_card

    bind_card(world.elder, CARD)
    return world.elder


@pytest.fixture
def terminal(world):
    from zhucan.api.services import terminal_register

    reg = terminal_register(actor=None, canteen=world.canteen, name="1号收银台", vendor="测试厂商")
    return SimpleNamespace(obj=reg.terminal, key_id=reg.terminal.key_id, secret=reg.secret)


@pytest.fixture
def api(client, terminal, lunch):
    from zhucan.core import clock

    return Signed(client, terminal.key_id, terminal.secret, lambda: clock.now())
