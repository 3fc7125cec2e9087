"""Helpers for the elder phone page tests: bound accounts, a logged-in phone client."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from zhucan.elderphone import sms

NOON = datetime(2025, 6, 2, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
ELDER_PHONE = "13800001111"
FAMILY_PHONE = "13900002222"
PASSWORD = "Laoren-2025"


@pytest.fixture(autouse=True)
def _empty_outbox():
    sms.outbox_clear()
    yield
    sms.outbox_clear()


@pytest.fixture
def staff(world):
    """Subdistrict staff of 北山街道 (西湖区): may change world.elder, not world.other_elder."""
    return world.users["subdistrict_staff"]


@pytest.fixture
def noon(frozen_clock):
    return frozen_clock(NOON)


@pytest.fixture
def phones(world, staff):
    """world.elder with their own phone (activated) and a child (activated) also bound to a second
    elder of 北山街道; world.other_elder (上城区) has nobody."""
    from tests.conftest import make_elder
    from zhucan.elderphone.services import account_set_password, binding_create

    p = SimpleNamespace()
    p.second = make_elder(world.xihu_c1, name="张国华")
    p.own = binding_create(actor=staff, elder_id=world.elder.pk, phone=ELDER_PHONE, relation="self",
                           notify=False).binding
    p.child = binding_create(actor=staff, elder_id=world.elder.pk, phone=FAMILY_PHONE, relation="child",
                             display_name="张晓东", notify=False).binding
    p.child2 = binding_create(actor=staff, elder_id=p.second.pk, phone=FAMILY_PHONE, relation="child",
                              display_name="张晓东", notify=False).binding
    p.elder_account = account_set_password(account=p.own.account, password=PASSWORD)
    p.family_account = account_set_password(account=p.child.account, password=PASSWORD)
    return p


def h5_login(client, phone: str, password: str = PASSWORD):
    response = client.post("/h5/login/", {"phone": phone, "password": password})
    assert response.status_code == 302, response.content.decode()[:2000]
    return client
