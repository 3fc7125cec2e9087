"""The console refuses text the database cannot store (NUL) in any query parameter or form field
with a Chinese 400 page, before a view filters or saves with it."""

from __future__ import annotations

import pytest

from tests.conftest import login
from zhucan.canteens.models import Canteen
from zhucan.core import text
from zhucan.core.errors import DomainError
from zhucan.core.models import AuditLog


@pytest.mark.parametrize("url", [
    "/canteens/?status=%00",
    "/canteens/?q=%E5%8C%97%00",
    "/funds/subsidies/?status=open%00",
    "/elders/?q=%00",
])
def test_query_parameter_with_nul_gets_a_chinese_400(world, client, url):
    login(client, world.users["district_admin"])
    r = client.get(url)
    assert r.status_code == 400
    body = r.content.decode()
    assert "含有无法保存的字符" in body and "\x00" not in body


def test_form_field_with_nul_writes_nothing(world, client):
    login(client, world.users["district_admin"])
    before = (Canteen.objects.count(), AuditLog.objects.count())
    r = client.post(f"/canteens/{world.canteen.pk}/edit/", {"name": "北山\x00食堂", "address": "x\x00"})
    assert r.status_code == 400 and "含有无法保存的字符" in r.content.decode()
    assert (Canteen.objects.count(), AuditLog.objects.count()) == before
    world.canteen.refresh_from_db()
    assert world.canteen.name == "北山长者食堂"
    assert client.get("/canteens/?q=%E5%8C%97%E5%B1%B1").status_code == 200  # ordinary text passes


def test_english_page_when_chosen(world, client, settings):
    login(client, world.users["district_admin"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    r = client.get("/canteens/?q=%00")
    assert r.status_code == 400 and "cannot be saved" in r.content.decode()


def test_the_validator_names_the_first_bad_string():
    assert text.is_storable("北山长者食堂 \ufffd") and not text.is_storable("a\x00") and not text.is_storable("\udc80")
    assert list(text.unstorable_paths({"items": [{"name": "ok"}, {"name": "b\x00"}], "k\x00": 1})) == [
        "items.1.name", "k\x00"]
    with pytest.raises(DomainError) as caught:
        text.require_storable({"reason": "\ud800"}, field="body")
    error = caught.value
    assert (error.code, error.field, error.http_status) == ("TEXT_NOT_STORABLE", "body.reason", 400)
