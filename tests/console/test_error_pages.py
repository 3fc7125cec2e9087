"""Chinese 400, 403, 404 and 500 pages through the real handlers (DEBUG off, as in the demo)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import login


def _no_debug_page(html: str) -> None:
    assert "Traceback" not in html and "Django" not in html and "settings.py" not in html


def test_404_in_chinese(world, client):
    login(client, world.users["district_admin"])
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404 and "未找到" in html and "返回首页" in html
    _no_debug_page(html)


def test_404_for_anonymous_too(db, client):
    response = client.get("/static-nothing/here/")
    assert response.status_code == 404 and "未找到" in response.content.decode()


def test_403_in_chinese(world, client):
    login(client, world.users["cashier"])
    response = client.get("/audit/")
    html = response.content.decode()
    assert response.status_code == 403 and "无权访问" in html and "联系上级管理员" in html
    _no_debug_page(html)


@pytest.mark.urls("tests.console.urls_boom")
def test_500_in_chinese_without_a_traceback(world):
    client = Client(raise_request_exception=False)
    login(client, world.users["district_admin"])
    response = client.get("/boom/")
    html = response.content.decode()
    assert response.status_code == 500
    assert "系统繁忙，请稍后再试" in html and "没有保存任何内容" in html
    _no_debug_page(html)
    assert "a bug" not in html and "RuntimeError" not in html


def test_400_in_chinese(world, client):
    login(client, world.users["district_admin"])
    response = client.get("/audit/", HTTP_HOST="bad host name")  # DisallowedHost → 400
    assert response.status_code == 400
    assert "请求无法处理" in response.content.decode()


def test_debug_is_off_and_static_files_are_still_served(client, settings):
    assert settings.DEBUG is False
    response = client.get("/static/zhucan/console.css")
    assert response.status_code == 200
    assert b"".join(response.streaming_content if response.streaming else [response.content])
