"""Helpers for the evaluation tests: real meals through the ledger, bound phone accounts."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

SH = ZoneInfo("Asia/Shanghai")
ELDER_PHONE = "13800001111"
FAMILY_PHONE = "13900002222"
PASSWORD = "Laoren-2025"


def at(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=SH)


def meal(world, menu, when: str, *, elder=None, key: str | None = None, canteen=None, dish="套餐"):
    """A real sale in the ledger (checkout.services.meal_commit)."""
    from zhucan.checkout.services import OrderLine, meal_commit

    canteen = canteen or world.canteen
    key = key or f"m-{when}-{(elder or world.elder).pk}-{canteen.pk}"
    dish_obj = menu[dish] if canteen == world.canteen else menu["other:套餐"]
    return meal_commit(canteen=canteen, elder=elder or world.elder, lines=[OrderLine(dish_id=dish_obj.pk, quantity=1)],
                       idempotency_key=key, request_digest=key, identified_by="card", at=at(when)).meal


GOOD = {"taste": "5", "portion": "4", "hygiene": "5", "service": "4"}


@pytest.fixture
def phones(world):
    """world.elder's own phone and a child's phone, both activated."""
    from types import SimpleNamespace

    from zhucan.elderphone.services import account_set_password, binding_create

    staff = world.users["subdistrict_staff"]
    p = SimpleNamespace()
    p.own = binding_create(actor=staff, elder_id=world.elder.pk, phone=ELDER_PHONE, relation="self",
                           notify=False).binding
    p.child = binding_create(actor=staff, elder_id=world.elder.pk, phone=FAMILY_PHONE, relation="child",
                             display_name="张晓东", notify=False).binding
    p.elder_account = account_set_password(account=p.own.account, password=PASSWORD)
    p.family_account = account_set_password(account=p.child.account, password=PASSWORD)
    return p


def h5_login(client, phone: str, password: str = PASSWORD):
    response = client.post("/h5/login/", {"phone": phone, "password": password})
    assert response.status_code == 302, response.content.decode()[:2000]
    return client


def listed(canteen):
    """Put a canteen that already has its designated span (tests.conftest) in the public directory:
    the designation row the filing lifecycle would have left (its own tests walk that lifecycle)."""
    from django.core.cache import cache

    from tests.conftest import _system_user
    from zhucan.core import clock
    from zhucan.filing.models import Designation

    Designation.objects.create(canteen=canteen, stage="designated", filing_number=f"XH-{canteen.pk:04d}",
                               selected_at=clock.now(), selected_by=_system_user(), stage_changed_at=clock.now())
    cache.clear()
