"""Meals through the real checkout for the alert rules: `sell` commits one sale at a local time."""

from __future__ import annotations

from datetime import datetime
from itertools import count
from zoneinfo import ZoneInfo

import pytest

from zhucan.checkout import services as S

SH = ZoneInfo("Asia/Shanghai")
_keys = count(1)


def at(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S" if text.count(":") == 2 else "%Y-%m-%d %H:%M").replace(
        tzinfo=SH)


def sell(canteen, elder, dish, when: str, *, ident: str = "card", qty: int = 1, mode: str = "live", **kw):
    key = f"t{next(_keys)}"
    line = (S.OrderLine(dish_id=dish.pk, quantity=qty) if mode == "live" else
            S.OrderLine(quantity=qty, name=dish.name, unit_price_fen=dish.price_fen))  # a vendor POS's report
    return S.meal_commit(canteen=canteen, elder=elder, lines=[line],
                         idempotency_key=key, request_digest=key, identified_by=ident, at=at(when), mode=mode,
                         **kw).meal


def reverse(meal, when: str, kind: str = "void", **kw):
    key = f"r{next(_keys)}"
    return S.meal_reverse(canteen=meal.canteen, receipt_no=meal.receipt_no, kind=kind, idempotency_key=key,
                          request_digest=key, at=at(when), **kw).meal


@pytest.fixture
def today(frozen_clock):
    """The platform's clock on 2026-03-10 09:00 local: detection looks at 2026-03-09 and before."""
    frozen_clock(at("2026-03-10 09:00"))
    return at("2026-03-10 09:00").date()
